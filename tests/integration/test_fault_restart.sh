#!/bin/bash
# Restarts under watch (issue 6, fault tests 3): aeogated and aeogate-web
# run, N WebSocket clients follow /api/stream, each with its own session,
# while a generator badges through the control socket at a steady pace.
# aeogated is restarted (SIGTERM, then started again on the same state
# directory and socket), then aeogate-web (same port), ROUNDS times each.
# The clients do what ui/stream.js does: on any close they reconnect with
# ?since=<last seq seen>; on 4401 (the controller forgot the session: it
# keeps sessions in memory) they sign in again first. They record every seq
# exactly as received — no filtering of replays, unlike the UI — and at
# the end each client's concatenated sequence must equal, seq for seq and
# hash for hash, what `aeogatectl events --json` lists after the point it
# started from: no gap, no duplicate. Bounded: ROUNDS restarts of each, a
# few hundred reads, every wait has a deadline.
source "$(dirname "$0")/lib.sh"

N=${AEOGATE_RESTART_CLIENTS:-5}
ROUNDS=${AEOGATE_RESTART_ROUNDS:-2}
AEOGATE_WEB="$BUILD_DIR/controller/web/aeogate-web"
WEB_PID=""
NODE_PID=""

restart_exit() {
	local rc=$?
	set +e
	[ -n "$NODE_PID" ] && kill -TERM "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
	if [ -n "$WEB_PID" ]; then
		kill -TERM "$WEB_PID" 2>/dev/null
		wait "$WEB_PID" 2>/dev/null
	fi
	if [ $rc -ne 0 ]; then
		echo "--- aeogate-web log ---" >&2
		tail -n 30 "$T/web.log" >&2 2>/dev/null
		echo "--- client log ---" >&2
		tail -n 30 "$T/clients.log" >&2 2>/dev/null
	fi
	(exit $rc)
	cleanup
}
trap restart_exit EXIT

cat >"$T/clients.mjs" <<'JS'
// N stream clients and a badge generator; see the test's header.
import { request } from 'node:http';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const [base, sock, ctlBin, user, password, nStr, sinceStr, dir] = process.argv.slice(2);
const N = Number(nStr), START = Number(sinceStr);
const url = new URL(base);
const log = (...a) => console.log(new Date().toISOString(), ...a);

async function login() {
  const res = await fetch(base + '/api/login', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password }),
  });
  await res.text();
  if (res.status !== 200) throw new Error(`login: ${res.status}`);
  return (res.headers.get('set-cookie') || '').split(';')[0];
}

// One WebSocket connection (RFC 6455, client side, text frames in; we never
// send anything but the close that ends the test). Resolves when it closes:
// { status } when the upgrade was refused (0: no connection at all), else
// { status: 101, code } with the close code (1006: closed without one).
function follow(cookie, since, onMsg) {
  return new Promise((resolve) => {
    const req = request({
      host: url.hostname, port: url.port, path: `/api/stream?since=${since}`,
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': 'aeogate-stream', Cookie: cookie,
      },
    });
    req.on('response', (res) => { res.resume(); resolve({ status: res.statusCode }); });
    req.on('error', () => resolve({ status: 0 }));
    req.on('upgrade', (res, socket, head) => {
      let buf = Buffer.alloc(0), code = 1006;
      const onData = (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          if (buf.length < 2) return;
          const op = buf[0] & 0x0f;
          let len = buf[1] & 0x7f, off = 2;
          if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
          else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
          if (buf.length < off + len) return;
          const payload = buf.subarray(off, off + len);
          buf = buf.subarray(off + len);
          if (op === 1) onMsg(JSON.parse(payload.toString('utf8')));
          else if (op === 8) { code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005; socket.end(); }
        }
      };
      socket.on('data', onData);
      socket.on('error', () => {});
      socket.on('close', () => resolve({ status: 101, code }));
      if (head && head.length) onData(head);
    });
    req.end();
  });
}

let stopping = false;
const clients = [];
for (let i = 0; i < N; i++) {
  clients.push({ i, last: START, seqs: [], hashes: [], following: false, connects: 0,
    closes: {}, refused: 0, relogins: 0, cookie: null });
}

async function runClient(c) {
  while (!stopping) {
    if (!c.cookie) {
      try {
        c.cookie = await login();
        c.relogins++;
      } catch {
        await sleep(100);
        continue;
      }
    }
    const r = await follow(c.cookie, c.last, (m) => {
      if (m.following) {
        c.following = true;
        c.connects++;
        if (m.since !== c.last) log(`client ${c.i}: following since ${m.since}, asked ${c.last}`);
      } else if (m.event) {
        c.seqs.push(m.event.seq);
        c.hashes.push(m.event.hash);
        c.last = m.event.seq;
      }
    });
    c.following = false;
    if (r.status !== 101) {
      c.refused++;
    } else {
      c.closes[r.code] = (c.closes[r.code] || 0) + 1;
      if (r.code === 4401) c.cookie = null; // the controller no longer knows the session
    }
    if (!stopping) await sleep(100);
  }
}

// The generator: sim.present on one control-socket connection, reconnecting
// whenever aeogated goes away; counts the reads it saw answered.
const gen = { reads: 0, failures: 0, answered: [], stop: false };
function h10301(fc, cn) {
  const data = fc.toString(2).padStart(8, '0') + cn.toString(2).padStart(16, '0');
  const ones = (s) => [...s].filter((ch) => ch === '1').length;
  return (ones(data.slice(0, 12)) % 2 ? '1' : '0') + data + (ones(data.slice(12)) % 2 ? '0' : '1');
}
async function runGenerator() {
  let id = 0;
  while (!gen.stop) {
    const s = connect(sock);
    let buf = '', waiter = null, dead = false;
    s.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (waiter) { const w = waiter; waiter = null; w(line); }
      }
    });
    const gone = () => { dead = true; if (waiter) { const w = waiter; waiter = null; w(null); } };
    s.on('error', gone);
    s.on('close', gone);
    await new Promise((r) => { s.once('connect', r); s.once('error', r); });
    while (!dead && !gen.stop) {
      id++;
      const known = id % 2 === 0;
      const bits = known ? h10301(12, 1001) : h10301(12, 3000 + (id % 1000));
      const line = await new Promise((r) => {
        waiter = r;
        s.write(JSON.stringify({ id, op: 'sim.present', args: { reader: 'dock-1-in', bits } }) + '\n');
      });
      if (line === null) break;
      const rep = JSON.parse(line);
      if (!rep.ok || rep.result.granted !== known) throw new Error(`bad decision: ${line}`);
      gen.reads++;
      gen.answered.push(rep.result.seq);
      await sleep(20);
    }
    s.destroy();
    if (!gen.stop) { gen.failures++; await sleep(50); }
  }
}

function progress() {
  writeFileSync(`${dir}/progress.json`, JSON.stringify({
    reads: gen.reads, following: clients.filter((c) => c.following).length,
    last: clients.map((c) => c.last),
  }));
}

const runs = clients.map(runClient);
const deadline = Date.now() + 20000;
while (clients.some((c) => !c.following)) {
  if (Date.now() > deadline) throw new Error('clients did not connect');
  await sleep(20);
}
const genRun = runGenerator();
const ticker = setInterval(progress, 50);
writeFileSync(`${dir}/ready`, '');
while (!existsSync(`${dir}/stop`)) await sleep(50);

// Stop badging, then let every client catch up with the head of the log.
gen.stop = true;
await genRun;
const canon = execFileSync(ctlBin, ['--socket', sock, 'events', '--since', String(START), '--json'],
  { encoding: 'utf8', maxBuffer: 1 << 28 }).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const head = canon.length ? canon[canon.length - 1].seq : START;
const until = Date.now() + 20000;
while (clients.some((c) => c.last < head) && Date.now() < until) await sleep(50);
stopping = true;
clearInterval(ticker);
progress();

let bad = 0;
for (const c of clients) {
  const want = canon.map((e) => e.seq);
  let why = null;
  if (c.seqs.length !== want.length) why = `${c.seqs.length} events received, ${want.length} in the log`;
  for (let k = 0; !why && k < want.length; k++) {
    if (c.seqs[k] !== want[k]) why = `position ${k}: got seq ${c.seqs[k]}, the log has ${want[k]}`;
    else if (c.hashes[k] !== canon[k].hash) why = `seq ${want[k]}: hash differs from the log`;
  }
  if (why) {
    bad++;
    // Name the first duplicate and the first gap, if any.
    const seen = new Set(); let dup = null, gap = null;
    for (let k = 0; k < c.seqs.length; k++) {
      if (seen.has(c.seqs[k]) && dup === null) dup = c.seqs[k];
      seen.add(c.seqs[k]);
      if (k && c.seqs[k] !== c.seqs[k - 1] + 1 && gap === null) gap = `${c.seqs[k - 1]} -> ${c.seqs[k]}`;
    }
    log(`client ${c.i}: ${why}; first duplicate ${dup}, first jump ${gap}`);
  }
}
const inLog = new Set(canon.map((e) => e.seq));
const missing = gen.answered.filter((s) => !inLog.has(s));
if (missing.length) { bad++; log(`answered reads missing from the log: ${missing.slice(0, 5)}`); }
const sum = (f) => clients.reduce((a, c) => a + f(c), 0);
const codes = {};
for (const c of clients) for (const [k, v] of Object.entries(c.closes)) codes[k] = (codes[k] || 0) + v;
const summary = {
  clients: N, events: canon.length, from: START + 1, to: head, reads: gen.reads,
  generatorReconnects: gen.failures, connects: sum((c) => c.connects), logins: sum((c) => c.relogins),
  refusedUpgrades: sum((c) => c.refused), closeCodes: codes,
};
log('summary', JSON.stringify(summary));
writeFileSync(`${dir}/summary.json`, JSON.stringify(summary));
process.exit(bad ? 1 : 0);
JS

write_sim_config
start_daemon "$T/sim.ini"
ctl level add dock-staff --zone dock >/dev/null
ctl person add E1001 --name "Ann Example" --level dock-staff >/dev/null
ctl badge issue E1001 --wiegand h10301:12:1001 >/dev/null
PW="watcher-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
printf '%s\n' "$PW" | ctl user add watcher --role guard >/dev/null || fail "user add"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"

start_web() {
	"$AEOGATE_WEB" --socket "$SOCK" --listen "127.0.0.1:$PORT" --ui "$SOURCE_DIR/ui" \
		>>"$T/web.log" 2>&1 &
	WEB_PID=$!
	wait_for 10 curl -sf -o /dev/null "$BASE/" || fail "aeogate-web did not come up"
}

# progress KEY: a field of the clients' progress file (reads, following).
progress() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$T/progress.json" "$1" 2>/dev/null || echo 0
}
reads_past() { [ "$(progress reads)" -ge "$1" ]; }
all_following() { [ "$(progress following)" -eq "$N" ]; }

start_web
since=$(last_seq)
node "$T/clients.mjs" "$BASE" "$SOCK" "$AEOGATECTL" watcher "$PW" "$N" "$since" "$T" \
	>"$T/clients.log" 2>&1 &
NODE_PID=$!
wait_for 30 test -e "$T/ready" || fail "the stream clients did not connect"
pass "$N stream clients follow /api/stream from seq $since"

for round in $(seq 1 "$ROUNDS"); do
	r=$(progress reads)
	wait_for 30 reads_past $((r + 25)) || fail "round $round: no reads are being answered"
	stop_daemon
	start_daemon "$T/sim.ini"
	r=$(progress reads)
	wait_for 30 reads_past $((r + 25)) || fail "round $round: the generator did not resume after aeogated restarted"
	wait_for 30 all_following || fail "round $round: only $(progress following) of $N clients follow again after aeogated restarted"
	pass "round $round: aeogated restarted mid-stream; all $N clients follow again"

	kill -0 "$WEB_PID" || fail "aeogate-web exited when aeogated restarted"
	kill -TERM "$WEB_PID"
	wait "$WEB_PID" || fail "aeogate-web exited $? on SIGTERM"
	WEB_PID=""
	start_web
	r=$(progress reads)
	wait_for 30 reads_past $((r + 25)) || fail "round $round: reads stopped"
	wait_for 30 all_following || fail "round $round: only $(progress following) of $N clients follow again after aeogate-web restarted"
	pass "round $round: aeogate-web restarted mid-stream; all $N clients follow again"
done

touch "$T/stop"
rc=0
wait "$NODE_PID" || rc=$?
NODE_PID=""
[ $rc -eq 0 ] || fail "a client's stream has a gap or a duplicate: $(grep -v summary "$T/clients.log" | sed -n 1,5p)"
s=$(cat "$T/summary.json")
pass "every client's concatenated stream equals aeogatectl events --json, seq for seq and hash for hash: $s"

stop_daemon
kill -TERM "$WEB_PID"
wait "$WEB_PID" || fail "aeogate-web exited $? on SIGTERM"
WEB_PID=""
pass "both stop cleanly"
