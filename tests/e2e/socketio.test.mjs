// SPDX-License-Identifier: MIT
// The official socket.io-client 4.x against Warden's /socket.io/ endpoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { delay, mintToken, startWarden } from "./lib/warden.mjs";

const clientOptions = {
  transports: ["websocket"],
  reconnectionDelay: 100,
  reconnectionDelayMax: 200,
};

function record(socket) {
  const seen = [];
  socket.onAny((event, data) => seen.push({ event, data, at: Date.now() }));
  socket.io.on("reconnect_attempt", () => seen.push({ event: "<reconnect_attempt>", at: Date.now() }));
  return seen;
}

function once(emitter, event, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no '${event}' within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (...args) => { clearTimeout(t); resolve(args); });
  });
}

test("expiring, then 401 idle_timeout, then 'io server disconnect' without reconnecting", async (t) => {
  // Pings every 250 ms that socket.io-client must answer (or be dropped at ~750 ms), and they
  // must not keep the session alive: it still ends at the 2 s idle deadline.
  const warden = await startWarden({
    session: { idle_timeout: 2, warning: 1 },
    socketio: { ping_interval: 0.25, ping_timeout: 0.5 },
  });
  t.after(() => warden.stop());
  const token = mintToken({ sub: "alice", sid: "e2e-idle" });
  const socket = io(warden.url, { ...clientOptions, auth: { token } });
  t.after(() => socket.close());
  const seen = record(socket);

  const started = Date.now();
  await once(socket, "connect");
  assert.ok(socket.id, "socket.id is set from the CONNECT answer");
  const [reason] = await once(socket, "disconnect", 8000);
  const endedAfter = Date.now() - started;
  assert.equal(reason, "io server disconnect");

  const events = seen.map((s) => s.event);
  assert.deepEqual(events.slice(0, 1), ["message"]);
  assert.equal(seen[0].data.code, 200);
  const expiring = seen.find((s) => s.event === "expiring");
  assert.ok(expiring, `expiring arrived: ${JSON.stringify(events)}`);
  assert.equal(expiring.data.seconds, 1);
  const last = seen.filter((s) => s.event === "message").at(-1);
  assert.equal(last.data.code, 401);
  assert.equal(last.data.reason, "idle_timeout");
  assert.ok(last.data.message.length > 0);
  assert.ok(expiring.at < last.at, "expiring comes before the logout");
  assert.ok(endedAfter >= 1900 && endedAfter < 3500, `ended after ${endedAfter} ms`);
  assert.ok(!events.includes("connect") && !events.includes("disconnect"),
    "reserved names never arrive as events");

  const expired = await warden.waitFor("expired");
  assert.equal(expired.session_id, "e2e-idle");
  const gone = await warden.waitFor("disconnected");
  assert.equal(gone.code, 4501);

  await delay(800); // several reconnection delays
  assert.ok(!events.includes("<reconnect_attempt>") &&
    !seen.some((s) => s.event === "<reconnect_attempt>"), "no reconnect attempt");
  assert.equal(socket.connected, false);
  assert.equal(socket.active, false);
});

test("an ack round-trip; activity keeps the session alive", async (t) => {
  const warden = await startWarden({ session: { idle_timeout: 30, warning: 5 } });
  t.after(() => warden.stop());
  const socket = io(warden.url, { ...clientOptions, auth: { token: mintToken({ sub: "bob", sid: "e2e-ack" }) } });
  t.after(() => socket.close());
  await once(socket, "connect");

  const answer = await socket.timeout(3000).emitWithAck("activity", { source: "e2e" });
  assert.equal(answer.ok, true);
  assert.equal(answer.event, "activity");
  assert.equal(answer.session_id, "e2e-ack");
  assert.ok(answer.expires_in > 25 && answer.expires_in <= 30, JSON.stringify(answer));
  assert.ok(answer.deadline > Date.now());

  const echo = await socket.timeout(3000).emitWithAck("ping", { n: 7 });
  assert.deepEqual(echo, { n: 7 });

  // An event without an ack that Warden does not know still counts, and says so.
  const [[err]] = await Promise.all([once(socket, "error"), socket.emit("typing", {})]);
  assert.equal(err.reason, "unknown_event");
  assert.equal(err.event, "typing");
});

test("a bad token gives connect_error and no reconnect", async (t) => {
  const warden = await startWarden();
  t.after(() => warden.stop());
  const socket = io(warden.url, { ...clientOptions, auth: { token: "not-a-token" } });
  t.after(() => socket.close());
  const seen = record(socket);
  const [err] = await once(socket, "connect_error");
  assert.ok(err.message.length > 0);
  assert.equal(err.data.code, 401);
  assert.equal(err.data.reason, "invalid_token");
  assert.equal(err.data.detail, "malformed");
  const failed = await warden.waitFor("auth_failed");
  assert.equal(failed.reason, "invalid_token");
  await delay(800);
  assert.ok(!seen.some((s) => s.event === "<reconnect_attempt>"), "no reconnect attempt");
  assert.equal(socket.connected, false);
});

test("a shutdown closes without 41: socket.io-client reconnects", async (t) => {
  const warden = await startWarden();
  t.after(() => warden.stop());
  const socket = io(warden.url, { ...clientOptions, auth: { token: mintToken({ sub: "carol" }) } });
  t.after(() => socket.close());
  const seen = record(socket);
  await once(socket, "connect");
  const disconnected = once(socket, "disconnect");
  await warden.kill("SIGTERM");
  const [reason] = await disconnected;
  assert.equal(reason, "transport close");
  await once(socket.io, "reconnect_attempt", 5000);
  assert.ok(seen.some((s) => s.event === "<reconnect_attempt>"));
});
