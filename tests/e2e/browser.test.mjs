// SPDX-License-Identifier: MIT
// Debian's Chromium, headless, against a real Warden: the demo page (warden.js) and a page with
// the seed's own client code both see the 401 logout at the idle deadline.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { mintToken, startWarden } from "./lib/warden.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const artifacts = process.env.E2E_ARTIFACTS || join(here, "artifacts");
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const IDLE_S = 4;
const WARNING_S = 2.5;

// The web application's own server: serves the seed page from an http:// origin on loopback, as
// a real deployment would (a file:// page has Origin "null", which Warden refuses by default).
async function serveSeedPage(t, host = "127.0.0.1") {
  const html = readFileSync(join(here, "pages", "seed.html"));
  const server = createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, host, resolve));
  t.after(() => server.close());
  return `http://${host}:${server.address().port}/seed.html`;
}

async function launch(t) {
  const profile = mkdtempSync(join(tmpdir(), "warden-chromium-"));
  // The machine has no network but loopback: without these flags Chromium stalls on start.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 900, height: 640 },
    timeout: 60000,
  });
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  return context;
}

test("the demo page and the seed's page are both logged out at the idle deadline", async (t) => {
  const warden = await startWarden({ session: { idle_timeout: IDLE_S, warning: WARNING_S } });
  t.after(() => warden.stop());
  const context = await launch(t);
  mkdirSync(artifacts, { recursive: true });

  // The seed's page: raw WebSocket, loginCheck every 50 ms.
  const seed = await context.newPage();
  const seedToken = mintToken({ sub: "seed-user", sid: "seed-session" });
  const seedUrl = new URL(await serveSeedPage(t));
  seedUrl.search = `?port=${warden.port}&token=${encodeURIComponent(seedToken)}`;
  await seed.goto(seedUrl.href);
  await seed.waitForFunction(() => document.body.dataset.loggedInAt, null, { timeout: 10000 });
  const seedLoggedInAt = Number(await seed.evaluate(() => document.body.dataset.loggedInAt));

  // The demo page: fake login form, token from /demo/token, warden.js does the rest.
  const demo = await context.newPage();
  demo.on("pageerror", (e) => console.error("demo page error:", e));
  await demo.goto(`${warden.url}/demo`);
  await demo.fill("#user", "dora");
  await demo.click("#sign-in");
  await demo.waitForFunction(() => document.getElementById("status").textContent === "logged_in",
    null, { timeout: 10000 });
  const demoLoggedInAt = Date.now();

  // The "you will be logged out" dialog appears in the warning window and counts down.
  const dialog = demo.locator(".warden-dialog");
  await dialog.waitFor({ state: "visible", timeout: IDLE_S * 1000 + 5000 });
  assert.match(await dialog.textContent(), /You will be logged out in \d+ s/);
  await demo.screenshot({ path: join(artifacts, "demo-expiring.png") });

  // Both pages see the 401 at the idle deadline (no mouse or keyboard in between).
  await seed.waitForFunction(() => document.body.dataset.loggedOut, null,
    { timeout: IDLE_S * 1000 + 5000 });
  await demo.waitForFunction(() => document.body.dataset.loggedOut, null,
    { timeout: IDLE_S * 1000 + 5000 });
  assert.equal(await seed.evaluate(() => document.body.dataset.loggedOut), "idle_timeout");
  assert.equal(await seed.evaluate(() => document.body.dataset.closeCode), "4501");
  assert.equal(await demo.evaluate(() => document.body.dataset.loggedOut), "idle_timeout");
  const seedLoggedOutAt = Number(await seed.evaluate(() => document.body.dataset.loggedOutAt));
  const seedIdle = seedLoggedOutAt - seedLoggedInAt;
  assert.ok(seedIdle >= IDLE_S * 1000 - 200 && seedIdle < IDLE_S * 1000 + 1500,
    `seed page logged out after ${seedIdle} ms`);
  const demoIdle = Date.now() - demoLoggedInAt;
  assert.ok(demoIdle >= IDLE_S * 1000 - 500, `demo page logged out after ${demoIdle} ms`);

  const overlay = demo.locator("#logout-overlay");
  assert.equal(await overlay.isVisible(), true);
  assert.match(await overlay.textContent(), /logged out/);
  assert.equal(await dialog.count(), 0, "the warning dialog is gone");
  const shot = join(artifacts, "demo-logout.png");
  await demo.screenshot({ path: shot });
  if (process.env.WARDEN_UPDATE_DOCS_SCREENSHOT)
    copyFileSync(shot, join(here, "..", "..", "docs", "demo-logout.png"));

  const expired = await warden.waitFor("expired");
  assert.equal(expired.reason, "idle_timeout");
});

test("'stay signed in' in the dialog counts as activity", async (t) => {
  const warden = await startWarden({ session: { idle_timeout: IDLE_S, warning: WARNING_S } });
  t.after(() => warden.stop());
  const context = await launch(t);
  const demo = await context.newPage();
  await demo.goto(`${warden.url}/demo`);
  await demo.fill("#user", "erin");
  await demo.click("#sign-in");
  // warden.js's reconnect rule: 4000-4499 and transport errors, never 4500-4999.
  const rule = await demo.evaluate(() =>
    [1000, 1001, 1003, 1006, 4000, 4001, 4002, 4004, 4499, 4500, 4501, 4504, 4999]
      .filter((code) => Warden.mayReconnect(code)));
  assert.deepEqual(rule, [1001, 1006, 4000, 4001, 4002, 4004, 4499]);
  const dialog = demo.locator(".warden-dialog");
  await dialog.waitFor({ state: "visible", timeout: IDLE_S * 1000 + 5000 });
  const staidAt = Date.now();
  await demo.click(".warden-stay");
  await dialog.waitFor({ state: "detached", timeout: 3000 });
  // The session lives past the old deadline, then ends one idle timeout after the click.
  await demo.waitForFunction(() => document.body.dataset.loggedOut, null,
    { timeout: IDLE_S * 1000 + 5000 });
  const lived = Date.now() - staidAt;
  assert.ok(lived >= IDLE_S * 1000 - 500, `logged out ${lived} ms after staying`);
  assert.equal(await demo.evaluate(() => document.body.dataset.loggedOut), "idle_timeout");
});

test("warden.js reconnects after a shutdown (4001) and logs in again", async (t) => {
  const first = await startWarden({ session: { idle_timeout: 60, warning: 10 } });
  t.after(() => first.stop());
  const context = await launch(t);
  const demo = await context.newPage();
  await demo.goto(`${first.url}/demo`);
  await demo.fill("#user", "fred");
  await demo.click("#sign-in");
  await demo.waitForFunction(() => document.getElementById("status").textContent === "logged_in",
    null, { timeout: 10000 });

  await first.kill("SIGTERM");
  await demo.waitForFunction(() => /status waiting 4001/.test(document.getElementById("log").textContent),
    null, { timeout: 10000 });
  // The same port again: the page's backoff finds the new server and logs in with its token.
  const second = await startWarden({ session: { idle_timeout: 60, warning: 10 } },
    { listen: `127.0.0.1:${first.port}` });
  t.after(() => second.stop());
  await second.waitFor("authenticated", 20000);
  await demo.waitForFunction(() => document.getElementById("status").textContent === "logged_in",
    null, { timeout: 10000 });
  assert.equal(await demo.evaluate(() => document.body.dataset.loggedOut), undefined);
});

test("a page from a foreign origin is refused before the upgrade; an allowed one logs in", async (t) => {
  const context = await launch(t);
  const pageUrl = new URL(await serveSeedPage(t));
  const token = mintToken({ sub: "origin-user" });

  // Only another origin is allowed: this page's origin (http://127.0.0.1:PORT) is foreign.
  const strict = await startWarden({ security: { allowed_origins: "https://app.example.com" } });
  t.after(() => strict.stop());
  const refused = await context.newPage();
  pageUrl.search = `?port=${strict.port}&token=${encodeURIComponent(token)}`;
  await refused.goto(pageUrl.href);
  await refused.waitForFunction(() => document.body.dataset.closeCode, null, { timeout: 10000 });
  assert.equal(await refused.evaluate(() => document.body.dataset.closeCode), "1006");
  assert.equal(await refused.evaluate(() => document.body.dataset.loggedInAt), undefined);
  const rejected = await strict.waitFor("rejected");
  assert.equal(rejected.status, 403);
  assert.equal(rejected.reason, "origin_not_allowed");
  assert.equal(rejected.origin, pageUrl.origin);

  // The same page, allowed by name, logs in.
  const open = await startWarden({ security: { allowed_origins: pageUrl.origin } });
  t.after(() => open.stop());
  const allowed = await context.newPage();
  pageUrl.search = `?port=${open.port}&token=${encodeURIComponent(token)}`;
  await allowed.goto(pageUrl.href);
  await allowed.waitForFunction(() => document.body.dataset.loggedInAt, null, { timeout: 10000 });
});
