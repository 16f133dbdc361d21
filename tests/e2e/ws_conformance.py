#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""RFC 6455 conformance of Warden's WebSocket stack, checked with an independent client.

Starts `warden --no-gui` with the conformance echo endpoint ([testing] echo_path = /echo), does
the handshake with Debian's python3-wsproto, and sends well-formed and malformed frames (raw
bytes where wsproto refuses to produce them), checking each documented close code, including
unmasked client frames (1002) and frames sent before the handshake response (HTTP 400).
Loopback only. Prints one line per case and a closing "N passed, M failed" line.
"""
import base64
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile

from wsproto import ConnectionType, WSConnection
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Message, Request,
                            TextMessage)

WARDEN = os.environ.get("WARDEN_BIN", "build/bin/warden")


def start_warden(tmp):
    cfg = os.path.join(tmp, "conformance.ini")
    with open(cfg, "w") as f:
        # WARDEN_TRANSPORT=qt checks the QtWebSockets escape hatch (e2e_ws_conformance_qt),
        # WARDEN_IO_THREADS the connections on I/O threads (e2e_ws_conformance_io, _qt_io).
        f.write("[server]\nlisten = 127.0.0.1:0\ntransport = " + os.environ.get("WARDEN_TRANSPORT", "native")
                + "\nio_threads = " + os.environ.get("WARDEN_IO_THREADS", "auto")
                + "\n[auth]\njwt_secret = conformance-secret-0123456789\n"
                "[limits]\nmax_message_bytes = 4096\n[testing]\necho_path = /echo\n")
    proc = subprocess.Popen([WARDEN, "--no-gui", "--config", cfg, "--data-dir", os.path.join(tmp, "data"),
                             "--log-format", "json"], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        ev = json.loads(line)
        if ev.get("type") == "listening":
            want = os.environ.get("WARDEN_IO_THREADS")
            if want and ev.get("io_threads") != int(want):
                raise SystemExit("warden runs %s I/O threads, not %s" % (ev.get("io_threads"), want))
            return proc, int(ev["address"].rsplit(":", 1)[1])
    raise SystemExit("warden did not start")


class Client:
    def __init__(self, port, path):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.sock.sendall(self.ws.send(Request(host="127.0.0.1", target=path)))
        self.events = []
        while not any(isinstance(e, AcceptConnection) for e in self.events):
            self._pump()

    def _pump(self):
        data = self.sock.recv(65536)
        self.ws.receive_data(data if data else None)
        self.events.extend(self.ws.events())
        return bool(data)

    def send(self, event):
        self.sock.sendall(self.ws.send(event))

    def raw(self, data):
        self.sock.sendall(data)

    def next_message(self):
        while True:
            for i, e in enumerate(self.events):
                if isinstance(e, Message):
                    return self.events.pop(i)
            if not self._pump():
                return None

    def close_code(self):
        """Reads until the server's close frame (or EOF); returns its code or None."""
        return self.close_code_and_reason()[0]

    def close_code_and_reason(self):
        try:
            while True:
                for e in self.events:
                    if isinstance(e, CloseConnection):
                        return e.code, e.reason or ""
                if not self._pump():
                    return None, ""
        except (socket.timeout, ConnectionError):
            return None, ""


def frame(opcode, payload, fin=True, rsv=0, mask=True):
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    m = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if mask:
        key = os.urandom(4)
        head += key
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + payload


def main():
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        print(("PASS  " if ok else "FAIL  ") + name + (": " + str(detail) if detail else ""))
        if ok:
            passed += 1
        else:
            failed += 1

    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_warden(tmp)
        try:
            c = Client(port, "/echo")
            c.send(TextMessage(data="héllo"))
            m = c.next_message()
            check("echo text", isinstance(m, TextMessage) and m.data == "héllo", m)
            c.send(BytesMessage(data=b"\x00\x01\xff"))
            m = c.next_message()
            check("echo binary", isinstance(m, BytesMessage) and bytes(m.data) == b"\x00\x01\xff", m)
            c.raw(frame(0x1, b"fr", fin=False) + frame(0x0, b"ag"))
            m = c.next_message()
            check("fragmented text reassembled", isinstance(m, TextMessage) and m.data == "frag", m)
            c.send(CloseConnection(code=1000))
            check("clean close echoed", c.close_code() == 1000)

            cases = [
                ("bad opcode 0x3", frame(0x3, b"x"), 1002),
                ("reserved bit RSV1", frame(0x1, b"hi", rsv=4), 1002),
                ("reserved bits RSV2+RSV3", frame(0x1, b"hi", rsv=3), 1002),
                ("invalid UTF-8 text", frame(0x1, b"\xff\xfe"), 1007),
                ("fragmented ping", frame(0x9, b"p", fin=False), 1002),
                ("ping payload over 125 bytes", frame(0x9, b"x" * 126), 1002),
                ("continuation without start", frame(0x0, b"x"), 1002),
                ("message over max_message_bytes", frame(0x1, b"x" * 5000), 1009),
            ]
            for name, data, code in cases:
                c = Client(port, "/echo")
                c.raw(data)
                got = c.close_code()
                check(f"{name} -> {code}", got == code, f"got {got}")

            # The Warden protocol endpoint documents 1003 for binary frames.
            c = Client(port, "/")
            c.send(BytesMessage(data=b"\x01"))
            got = c.close_code()
            check("binary frame on the raw endpoint -> 1003", got == 1003, f"got {got}")

            # RFC 6455 5.1: the server fails the connection on an unmasked client frame
            # (QtWebSockets 6.4 alone would accept it; Warden's frame guard closes it).
            c = Client(port, "/echo")
            c.raw(frame(0x1, b"unmasked", mask=False))
            got, reason = c.close_code_and_reason()
            check("unmasked client frame -> 1002", got == 1002 and "masked" in reason,
                  f"got {got} {reason!r}")

            # The guard keeps track of frame boundaries across reads: masked traffic of every
            # length encoding, split at awkward places, still flows; an unmasked frame after it
            # is still caught.
            c = Client(port, "/echo")
            long_text = "L" * 3000  # 16-bit length
            stream = (frame(0x1, b"one") + frame(0x9, b"ping") + frame(0x1, b"fr", fin=False)
                      + frame(0xA, b"pong") + frame(0x0, b"ag") + frame(0x1, long_text.encode()))
            for i in range(0, len(stream), 7):
                c.raw(stream[i:i + 7])
            got = [c.next_message() for _ in range(3)]
            check("masked frames split across reads still work",
                  [getattr(m, "data", None) for m in got] == ["one", "frag", long_text],
                  [getattr(m, "data", m) for m in got][:2])
            big = frame(0x2, b"\x00" * 70000)  # 64-bit length: over max_message_bytes
            c2 = Client(port, "/echo")
            c2.raw(big)
            got2 = c2.close_code()
            check("64-bit length frame over the limit -> 1009 (not 1002)", got2 == 1009, f"got {got2}")
            c.raw(frame(0x1, b"ok") + frame(0x1, b"late", mask=False))
            got, reason = c.close_code_and_reason()
            check("unmasked frame after masked traffic -> 1002", got == 1002, f"got {got} {reason!r}")

            # RFC 6455 4.1: frames sent with the handshake, before the 101, are refused.
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            ws = WSConnection(ConnectionType.CLIENT)
            s.sendall(ws.send(Request(host="127.0.0.1", target="/echo")) + frame(0x1, b"early"))
            answer = s.recv(200)
            check("frames before the handshake response -> HTTP 400",
                  answer.startswith(b"HTTP/1.1 400"), answer[:40])
            s.close()

            # The server is still healthy after all of this.
            c = Client(port, "/echo")
            c.send(TextMessage(data="still here"))
            m = c.next_message()
            check("server healthy afterwards", isinstance(m, TextMessage) and m.data == "still here", m)
        finally:
            proc.terminate()
            rc = proc.wait(timeout=10)
            check("graceful stop exits 0", rc == 0, rc)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
