// A stalled WebSocket client must not delay the others (issue 5,
// "Robustness"; issue 6, fault test 4): one client stops reading while a few
// thousand events go by; a healthy client gets every one of them in order,
// the stalled one is cut off, and aeogate-web keeps answering /api/status.
// The events come from sim.present requests pipelined over one
// control-socket connection (spawning aeogatectl per event is too slow).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { startStack, login, api, wsOpen } from './lib.mjs';

const EVENTS = 6000;
const WINDOW = 64; // requests in flight on the control socket

let stack;

before(async () => {
  stack = await startStack({ demo: true });
  stack.addUser('guard1', 'guard');
});

after(async () => {
  await stack.stop();
});

// Sends n sim.present requests for unknown badges (one access.denied event
// each), keeping WINDOW in flight; resolves when all are answered.
function presentMany(sock, n) {
  return new Promise((resolve, reject) => {
    const c = createConnection(sock);
    let sent = 0;
    let answered = 0;
    let buf = '';
    const send = () => {
      let out = '';
      while (sent < n && sent - answered < WINDOW) {
        const uid = (0x10000000 + sent).toString(16);
        out += JSON.stringify({ id: sent, op: 'sim.present', args: { reader: 'dock-1-in', uid } }) + '\n';
        sent++;
      }
      if (out) c.write(out);
    };
    c.setEncoding('utf8');
    c.on('connect', send);
    c.on('error', reject);
    c.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const reply = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (!reply.ok && reply.error.code !== 'failed_precondition') {
          reject(new Error(JSON.stringify(reply)));
          return;
        }
        answered++;
      }
      if (answered === n) {
        c.end();
        resolve();
      } else {
        send();
      }
    });
  });
}

test('a stalled stream client is cut off without delaying a healthy one', async (t) => {
  const g = await login(stack, 'guard1');
  const since = (await api(stack, g, 'GET', '/api/status')).body.last_seq;
  const healthy = await wsOpen(stack, g.cookie, since);
  const stalled = await wsOpen(stack, g.cookie, since);
  assert.equal(healthy.refused, false);
  assert.equal(stalled.refused, false);
  await healthy.waitFor((m) => m.following);
  await stalled.waitFor((m) => m.following);
  // From here on the stalled client reads nothing: its kernel buffers fill,
  // then aeogate-web's queue for it.
  stalled.socket.pause();

  const t0 = Date.now();
  const statusTimes = [];
  let generating = true;
  const poll = (async () => {
    while (generating) {
      const t = Date.now();
      const r = await api(stack, g, 'GET', '/api/status');
      assert.equal(r.status, 200);
      statusTimes.push(Date.now() - t);
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  await presentMany(stack.sock, EVENTS);
  const last = since + EVENTS;
  await healthy.waitFor((m) => m.event && m.event.seq === last, 20000);
  generating = false;
  await poll;
  const elapsed = Date.now() - t0;

  const seqs = healthy.messages.filter((m) => m.event).map((m) => m.event.seq);
  assert.equal(seqs.length, EVENTS, 'the healthy client got every event');
  for (let i = 0; i < seqs.length; i++) assert.equal(seqs[i], since + 1 + i, 'in order, no gaps');
  assert.ok(statusTimes.length > 0 && Math.max(...statusTimes) < 2000,
    `/api/status kept answering (slowest ${Math.max(...statusTimes)} ms)`);

  // Let the stalled client read what reached it: the connection ends (a
  // close frame 4408 if one got through, else the server's FIN or RST),
  // and it holds fewer events than were sent.
  stalled.socket.resume();
  let timer;
  const code = await Promise.race([stalled.closed,
    new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error('the stalled client was never cut off: it got '
        + `${stalled.messages.filter((m) => m.event).length} of ${EVENTS} events`)), 10000);
    })]).finally(() => clearTimeout(timer));
  const got = stalled.messages.filter((m) => m.event).map((m) => m.event.seq);
  assert.ok(got.length < EVENTS, `the stalled client was cut off (it got ${got.length} of ${EVENTS})`);
  for (let i = 0; i < got.length; i++) assert.equal(got[i], since + 1 + i, 'what it got was in order');
  assert.ok(code === null || code === 4408, `close code ${code}`);
  healthy.close();

  // It may come back and resume from the last seq it saw, without a gap.
  const resumed = await wsOpen(stack, g.cookie, got.length ? got[got.length - 1] : since);
  const next = await resumed.waitFor((m) => m.event, 5000);
  assert.equal(next.event.seq, (got.length ? got[got.length - 1] : since) + 1);
  resumed.close();
  assert.equal((await api(stack, g, 'GET', '/api/status')).status, 200);
  t.diagnostic(`${EVENTS} events in ${elapsed} ms; the stalled client got ${got.length}, close ${code}`);
});
