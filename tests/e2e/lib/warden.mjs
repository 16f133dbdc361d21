// SPDX-License-Identifier: MIT
// Starts `warden --no-gui` as a child process for one test, with its own data dir and a config
// file with short timeouts, and reads the port from the `listening` JSON log line.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const SECRET = "e2e-secret-0123456789abcdef";

function b64url(data) {
  return Buffer.from(data).toString("base64url");
}

// An HS256 login token, as a backend would sign it.
export function mintToken({ sub, sid, exp, name } = {}) {
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = { sub };
  if (sid) claims.sid = sid;
  if (name) claims.name = name;
  if (exp) claims.exp = exp;
  const payload = b64url(JSON.stringify(claims));
  const sig = createHmac("sha256", SECRET).update(`${header}.${payload}`).digest("base64url");
  return `${header}.${payload}.${sig}`;
}

export async function startWarden(sections = {}, { listen = "127.0.0.1:0" } = {}) {
  const bin = process.env.WARDEN_BIN;
  if (!bin) throw new Error("WARDEN_BIN is not set (run the tests through ctest)");
  const dir = mkdtempSync(join(tmpdir(), "warden-e2e-"));
  const config = {
    auth: { jwt_secret: SECRET },
    session: { idle_timeout: 60, warning: 10 },
    tcp: { poll_interval_ms: 0 },
    ...sections,
  };
  const ini = Object.entries(config)
    .map(([group, keys]) =>
      `[${group}]\n` + Object.entries(keys).map(([k, v]) => `${k} = ${v}`).join("\n"))
    .join("\n\n");
  const configFile = join(dir, "warden.ini");
  writeFileSync(configFile, ini + "\n");

  const child = spawn(bin, ["--no-gui", "--listen", listen, "--log-format", "json",
    "--data-dir", join(dir, "data"), "--config", configFile], { stdio: ["ignore", "pipe", "pipe"] });
  const lines = [];
  const waiters = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    let o;
    try { o = JSON.parse(line); } catch { return; }
    lines.push(o);
    for (const w of [...waiters]) {
      if (w.match(o)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(o);
      }
    }
  });
  let stderr = "";
  child.stderr.on("data", (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));

  const waitFor = (type, timeoutMs = 10000) => {
    const seen = lines.find((o) => o.type === type);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { match: (o) => o.type === type, resolve };
      waiters.push(w);
      setTimeout(() => reject(new Error(`no '${type}' line within ${timeoutMs} ms; stderr: ${stderr}`)),
        timeoutMs).unref();
      exited.then(({ code }) => reject(new Error(`warden exited (${code}) before '${type}': ${stderr}`)));
    });
  };

  const listening = await waitFor("listening");
  const port = Number(String(listening.address).split(":").pop());
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    lines,
    waitFor,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    kill(signal) { child.kill(signal); return exited; },
  };
}

export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
