#!/bin/bash
# The dashboard's event stream (aeogate-web /api/stream, a WebSocket)
# across reloads: a signed-in browser's stream stays connected while a door
# and reader are added and removed by SIGHUP, and it shows config.reloaded
# and then the first decision at the new door, on the same connection.
source "$(dirname "$0")/lib.sh"

WEB="$BUILD_DIR/controller/web/aeogate-web"
write_sim_config
cp "$T/sim.ini" "$T/base.ini"
start_daemon "$T/sim.ini"
PW="guard-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PW" | ctl user add watcher --role guard >/dev/null || fail "user add"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$WEB" --socket "$SOCK" --listen "127.0.0.1:$PORT" --ui "$SOURCE_DIR/ui" >>"$T/web.log" 2>&1 &
WEB_PID=$!
BG_PIDS=("$WEB_PID")
wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$PORT/" || fail "aeogate-web did not come up"

# A browser's stream: sign in, upgrade, write each text frame as a line.
python3 - "$PORT" "$PW" "$T/stream.txt" <<'PY' &
import json, socket, struct, sys, urllib.request
port, pw, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
req = urllib.request.Request("http://127.0.0.1:%d/api/login" % port, method="POST",
    data=json.dumps({"username": "watcher", "password": pw}).encode(),
    headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=60) as r:
    cookie = r.headers["Set-Cookie"].split(";")[0]
s = socket.create_connection(("127.0.0.1", port), timeout=None)
s.sendall(("GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: Upgrade\r\n"
           "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: aeogate-stream\r\n"
           "Cookie: %s\r\n\r\n" % (port, cookie)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, buf = buf.split(b"\r\n\r\n", 1)
f = open(out, "a", buffering=1)
f.write(head.split(b"\r\n")[0].decode() + "\n")
def need(n):
    global buf
    while len(buf) < n:
        b = s.recv(65536)
        if not b:
            f.write("CLOSED\n")
            sys.exit(0)
        buf += b
    r, buf = buf[:n], buf[n:]
    return r
msg = b""
while True:
    b0, b1 = need(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", need(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", need(8))[0]
    payload = need(n)
    op = b0 & 0x0F
    if op == 8:
        f.write("CLOSED\n")
        sys.exit(0)
    if op == 9:  # ping: a pong back, masked as a client must
        s.sendall(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
        continue
    if op in (0, 1):
        msg += payload
        if b0 & 0x80:
            f.write(msg.decode().replace("\n", " ") + "\n")
            msg = b""
PY
STREAM=$!
BG_PIDS=("$STREAM" "$WEB_PID")
wait_for 20 grep -q '^HTTP/1.1 101' "$T/stream.txt" || fail "no stream: $(cat "$T/stream.txt" 2>/dev/null)"

expect_exit 1 ctl sim present dock-1-in --uid 04a1b2c3 # unknown yet: a denial on the stream
s0=$(last_seq)
printf '\n[door yard-9]\nzone = yard\nlock = sim\n\n[reader yard-9-in]\ntype = sim\ndoor = yard-9\n' >>"$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s0" config.reloaded 20
expect_exit 0 ctl level add staff --zone yard
expect_exit 0 ctl person add E1 --name "Erin One" --level staff
expect_exit 0 ctl badge issue E1 --uid 04a1b2c3
expect_exit 0 ctl sim present yard-9-in --uid 04a1b2c3
expect_contains "$OUT" granted
on_stream() { grep -q "$1" "$T/stream.txt"; }
wait_for 20 on_stream 'door yard-9: added' || fail "the stream missed config.reloaded: $(cat "$T/stream.txt")"
wait_for 20 on_stream '"access.granted".*"yard-9-in"\|"yard-9-in".*"access.granted"' ||
	fail "the stream missed the grant at the new door: $(cat "$T/stream.txt")"
pass "the dashboard's stream shows the door added and its first grant"

s1=$(last_seq)
cp "$T/base.ini" "$T/sim.ini"
kill -HUP "$DAEMON_PID"
wait_event "$s1" config.reloaded 20
wait_for 20 on_stream 'door yard-9: removed' || fail "the stream missed the removal: $(cat "$T/stream.txt")"
expect_exit 1 ctl sim present dock-1-in --uid 04a1b2c3 # E1's level is the yard's only
wait_for 20 on_stream "$(printf '"seq": \\?%s' "$(last_seq)")" || fail "the stream stopped after the removal: $(cat "$T/stream.txt")"
grep -q '^CLOSED$' "$T/stream.txt" && fail "the stream was closed: $(cat "$T/stream.txt")"
kill -0 "$STREAM" || fail "the stream client ended"
pass "the same WebSocket stays connected across both reloads and keeps streaming"

kill "$STREAM" 2>/dev/null; wait "$STREAM" 2>/dev/null || true
kill -TERM "$WEB_PID"
rc=0
wait "$WEB_PID" || rc=$?
BG_PIDS=()
[ "$rc" -eq 0 ] || fail "aeogate-web exited $rc"
stop_daemon
pass "aeogate-web and aeogated stop cleanly"
