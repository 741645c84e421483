// aeogate-web's HTTP API and stream against a real aeogated: sessions,
// roles, CSRF, bounds, static-file safety and security headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, login, api, mustCtl, wsOpen, h10301Bits } from './lib.mjs';

let stack;

before(async () => {
  stack = await startStack({ demo: true });
  stack.addUser('guard1', 'guard');
  stack.addUser('manager1', 'manager');
  stack.addUser('auditor1', 'auditor');
  stack.addUser('admin1', 'admin');
  mustCtl(stack, ['level', 'add', 'dock-all', '--zone', 'dock']);
  mustCtl(stack, ['person', 'add', 'E100', '--name', 'Test Person', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E100', '--wiegand', 'h10301:12:3456']);
});

after(async () => {
  await stack.stop();
});

const GETS = ['/api/status', '/api/events?since=0', '/api/doors', '/api/readers',
  '/api/zones', '/api/levels', '/api/schedules', '/api/holidays', '/api/persons', '/api/persons/E100', '/api/badges', '/api/users',
  '/api/alarms?open=1', '/api/reports', `/api/exports/${'0'.repeat(32)}/file`,
  `/api/exports/${'0'.repeat(32)}/manifest`];
const POSTS = [
  ['/api/logout', {}],
  ['/api/persons', { id: 'X1', name: 'X' }],
  ['/api/persons/E100/suspend', {}],
  ['/api/persons/E100/reinstate', {}],
  ['/api/persons/E100/terminate', {}],
  ['/api/persons/E100/update', { name: 'X' }],
  ['/api/levels', { name: 'L1', zones: ['dock'] }],
  ['/api/levels/update', { name: 'dock-all', add_zones: ['bonded-cage'] }],
  ['/api/levels/remove', { name: 'dock-all' }],
  ['/api/zones/set', { zone: 'dock', vetting: 'required' }],
  ['/api/schedules', { name: 'S1', intervals: ['mon-fri 07:00-17:00'] }],
  ['/api/schedules/update', { name: 'S1', add_intervals: ['sat 08:00-12:00'] }],
  ['/api/schedules/remove', { name: 'S1' }],
  ['/api/holidays', { date: '2031-12-25', name: 'Christmas Day' }],
  ['/api/holidays/remove', { date: '2031-12-25' }],
  ['/api/doors/mode', { door: 'dock-1', mode: 'locked' }],
  ['/api/doors/unlock', { door: 'dock-1', comment: 'x' }],
  ['/api/badges', { person: 'E100', credential: 'uid:04a1b2c3' }],
  ['/api/badges/revoke', { credential: 'h10301:12:3456' }],
  ['/api/sim/present', { reader: 'dock-1-in', uid: '04a1b2c3' }],
  ['/api/sim/door', { door: 'dock-1', state: 'open' }],
  ['/api/sim/rex', { door: 'dock-1' }],
  ['/api/alarms/ack', { id: 1, comment: 'seen' }],
  ['/api/alarms/close', { id: 1 }],
  ['/api/badges/suspend', { credential: 'h10301:12:3456' }],
  ['/api/badges/lost', { credential: 'h10301:12:3456' }],
  ['/api/badges/return', { credential: 'h10301:12:3456' }],
  ['/api/badges/reinstate', { credential: 'h10301:12:3456' }],
  ['/api/exports', { report: 'access', format: 'csv' }],
  ['/api/users', { name: 'u', role: 'guard', password: 'x'.repeat(12) }],
];

function assertSecurityHeaders(h, api = true) {
  const csp = h.get('content-security-policy') || '';
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(h.get('x-content-type-options'), 'nosniff');
  assert.equal(h.get('referrer-policy'), 'no-referrer');
  if (api) assert.equal(h.get('cache-control'), 'no-store');
}

test('login sets a HttpOnly SameSite=Strict session cookie and returns role and csrf', async () => {
  const s = await login(stack, 'manager1');
  assert.equal(s.res.status, 200);
  assert.equal(s.body.user, 'manager1');
  assert.equal(s.body.role, 'manager');
  assert.match(s.body.csrf, /^[0-9a-f]{64}$/);
  assert.match(s.setCookie, /^aeogate_session=[0-9a-f]{64};/);
  assert.match(s.setCookie, /HttpOnly/);
  assert.match(s.setCookie, /SameSite=Strict/);
  assert.match(s.setCookie, /Path=\//);
  assert.doesNotMatch(s.setCookie, /Secure/); // plain HTTP in this test
  assertSecurityHeaders(s.res.headers);
  const me = await api(stack, s, 'GET', '/api/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.user, 'manager1');
  assert.equal(me.body.csrf, s.csrf);
});

test('a wrong password is 401 and sets no session', async () => {
  const s = await login(stack, 'guard1', 'not the password');
  assert.equal(s.res.status, 401);
  assert.equal(s.body.error.code, 'unauthenticated');
  assert.doesNotMatch(s.setCookie, /aeogate_session=[0-9a-f]/);
  const unknown = await login(stack, 'nobody', 'not the password');
  assert.equal(unknown.res.status, 401);
  assert.equal(unknown.body.error.message, s.body.error.message, 'cannot tell who exists');
});

test('every endpoint refuses a request without a session', async () => {
  for (const path of GETS) {
    const r = await api(stack, null, 'GET', path);
    assert.equal(r.status, 401, `GET ${path}`);
    assert.equal(r.body.error.code, 'unauthenticated');
    assertSecurityHeaders(r.headers);
  }
  for (const [path, body] of POSTS) {
    const r = await api(stack, null, 'POST', path, body);
    assert.equal(r.status, 401, `POST ${path}`);
  }
  const forged = await api(stack, { cookie: 'aeogate_session=' + 'a'.repeat(64) }, 'GET', '/api/doors');
  assert.equal(forged.status, 401);
});

// Who-am-I is the one question a signed-out page asks: it gets an answer,
// not an error status, so the sign-in page logs no console error.
test('/api/me answers 200 {"signed_in": false} without a session, true with one', async () => {
  const none = await api(stack, null, 'GET', '/api/me');
  assert.equal(none.status, 200);
  assert.deepEqual(none.body, { signed_in: false });
  assertSecurityHeaders(none.headers);
  const forged = await api(stack, { cookie: 'aeogate_session=' + 'a'.repeat(64) }, 'GET', '/api/me');
  assert.equal(forged.status, 200);
  assert.deepEqual(forged.body, { signed_in: false });
  assert.match(forged.headers.get('set-cookie') || '', /aeogate_session=;.*Max-Age=0/, 'the dead cookie is cleared');
  const s = await login(stack, 'guard1');
  const me = await api(stack, s, 'GET', '/api/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.signed_in, true);
  assert.equal(me.body.user, 'guard1');
  await api(stack, s, 'POST', '/api/logout');
  const after = await api(stack, s, 'GET', '/api/me');
  assert.equal(after.status, 200);
  assert.deepEqual(after.body, { signed_in: false });
  // Still only GET: a POST is refused as before.
  const post = await api(stack, null, 'POST', '/api/me', {});
  assert.notEqual(post.status, 200);
});

test('the stream refuses a connection without a valid session', async () => {
  const none = await wsOpen(stack, null, 0);
  assert.ok(none.refused, 'upgrade without cookie refused');
  const forged = await wsOpen(stack, 'aeogate_session=' + 'b'.repeat(64), 0);
  if (!forged.refused) {
    const code = await forged.closed;
    assert.equal(code, 4401);
    assert.equal(forged.messages.filter((m) => m.event).length, 0, 'no events leak');
  }
  const g = await login(stack, 'guard1');
  const cross = await wsOpen(stack, g.cookie, 0, { origin: 'http://evil.example' });
  assert.ok(cross.refused, 'cross-site origin refused');
});

test('a guard is refused manager operations (403), an auditor cannot write', async () => {
  const g = await login(stack, 'guard1');
  let r = await api(stack, g, 'POST', '/api/persons', { id: 'G1', name: 'By guard' });
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'permission_denied');
  r = await api(stack, g, 'POST', '/api/badges/revoke', { credential: 'h10301:12:3456' });
  assert.equal(r.status, 403);
  r = await api(stack, g, 'GET', '/api/users');
  assert.equal(r.status, 403);
  r = await api(stack, g, 'POST', '/api/sim/present', { reader: 'dock-1-in', uid: '04a1b2c3' });
  assert.equal(r.status, 403);
  r = await api(stack, g, 'GET', '/api/doors');
  assert.equal(r.status, 200);
  const a = await login(stack, 'auditor1');
  r = await api(stack, a, 'POST', '/api/persons/E100/suspend');
  assert.equal(r.status, 403);
});

test('state-changing requests need the session CSRF token', async () => {
  const m = await login(stack, 'manager1');
  let r = await api(stack, m, 'POST', '/api/persons', { id: 'C1', name: 'No csrf' }, { 'x-csrf-token': '' });
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'csrf_failed');
  const other = await login(stack, 'manager1');
  r = await api(stack, m, 'POST', '/api/persons', { id: 'C1', name: 'Wrong csrf' }, { 'x-csrf-token': other.csrf });
  assert.equal(r.status, 403);
  r = await api(stack, m, 'POST', '/api/persons', { id: 'C1', name: 'Right csrf' });
  assert.equal(r.status, 200);
  assert.equal(r.body.id, 'C1');
});

test('oversize bodies are 413, malformed JSON 400, wrong content type 415', async () => {
  const m = await login(stack, 'manager1');
  let r = await api(stack, m, 'POST', '/api/persons', JSON.stringify({ id: 'B1', name: 'x'.repeat(17000) }));
  assert.equal(r.status, 413);
  r = await api(stack, m, 'POST', '/api/persons', '{"id": "B1", ');
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'bad_json');
  r = await api(stack, m, 'POST', '/api/persons', '[1,2]');
  assert.equal(r.status, 400);
  r = await api(stack, m, 'POST', '/api/persons', '{"id":"B1","name":"n","x":[[[[[[[[1]]]]]]]]}');
  assert.equal(r.status, 400);
  r = await api(stack, m, 'POST', '/api/persons', 'id=B1', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(r.status, 415);
  r = await api(stack, m, 'GET', '/api/events?since=abc');
  assert.equal(r.status, 400);
  r = await api(stack, m, 'GET', '/api/nothing-here');
  assert.equal(r.status, 404);
  r = await api(stack, m, 'GET', '/api/persons/nobody');
  assert.equal(r.status, 404);
  r = await api(stack, m, 'POST', '/api/persons', { id: 'E100', name: 'Dup' });
  assert.equal(r.status, 409);
});

test('static files: index, MIME types, no traversal, no listing', async () => {
  let res = await fetch(stack.base + '/');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assertSecurityHeaders(res.headers, false);
  res = await fetch(stack.base + '/app.js');
  assert.match(res.headers.get('content-type'), /^text\/javascript/);
  res = await fetch(stack.base + '/style.css');
  assert.match(res.headers.get('content-type'), /^text\/css/);
  const { request } = await import('node:http');
  const raw = (path) => new Promise((resolve, reject) => {
    const u = new URL(stack.base);
    const req = request({ host: u.hostname, port: u.port, path }, (r) => {
      let body = '';
      r.on('data', (d) => { body += d; });
      r.on('end', () => resolve({ status: r.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
  for (const path of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd',
    '/%252e%252e/etc/passwd', '/.git/config', '/ui/', '/./index.html/..', '/..\\..\\etc\\passwd']) {
    const r = await raw(path);
    assert.ok([400, 403, 404].includes(r.status) || (r.status === 200 && r.body.includes('<!DOCTYPE html>')),
      `${path} → ${r.status}`);
    assert.doesNotMatch(r.body, /root:.*:0:0:/, `${path} leaked /etc/passwd`);
  }
  res = await fetch(stack.base + '/tests/');
  assert.equal(res.status, 404);
});

test('events over HTTP and the stream: live, resumable, no gaps or duplicates', async () => {
  const g = await login(stack, 'guard1');
  const status = await api(stack, g, 'GET', '/api/status');
  const since = status.body.last_seq;
  const ws = await wsOpen(stack, g.cookie, since);
  assert.equal(ws.refused, false);
  await ws.waitFor((m) => m.following);
  const present = stack.ctl(['sim', 'present', 'dock-1-in', '--bits', h10301Bits(12, 3456)]);
  assert.equal(present.status, 0, present.stderr);
  const granted = await ws.waitFor((m) => m.event && m.event.kind === 'access.granted', 2000);
  assert.equal(granted.event.person, 'E100');
  stack.ctl(['sim', 'present', 'dock-1-in', '--uid', 'deadbeef']);
  const denied = await ws.waitFor((m) => m.event && m.event.kind === 'access.denied', 2000);
  assert.equal(denied.event.reason, 'unknown_credential');
  ws.close();

  // Reconnect from the first seq we saw: the rest comes again, once, in order.
  const first = ws.messages.find((m) => m.event).event.seq;
  const ws2 = await wsOpen(stack, g.cookie, first);
  await ws2.waitFor((m) => m.event && m.event.seq === denied.event.seq, 2000);
  const seqs = ws2.messages.filter((m) => m.event).map((m) => m.event.seq);
  assert.equal(seqs[0], first + 1);
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1);
  ws2.close();

  const page = await api(stack, g, 'GET', `/api/events?since=${since}`);
  assert.equal(page.status, 200);
  assert.ok(Array.isArray(page.body));
  assert.ok(page.body.some((e) => e.seq === granted.event.seq && e.kind === 'access.granted'));
  for (const e of page.body) assert.ok(e.seq > since);
});

test('simulator endpoints work for a manager in demo mode', async () => {
  const m = await login(stack, 'manager1');
  const r = await api(stack, m, 'POST', '/api/sim/present', { reader: 'dock-1-in', bits: h10301Bits(12, 3456) });
  assert.equal(r.status, 200);
  assert.equal(r.body.granted, true);
  const d = await api(stack, m, 'POST', '/api/sim/rex', { door: 'dock-1' });
  assert.equal(d.status, 200);
});

test('logout ends the session and clears the cookie', async () => {
  const s = await login(stack, 'guard1');
  const out = await api(stack, s, 'POST', '/api/logout');
  assert.equal(out.status, 200);
  assert.match(out.headers.get('set-cookie'), /aeogate_session=;.*Max-Age=0/);
  const after = await api(stack, s, 'GET', '/api/doors');
  assert.equal(after.status, 401);
});

test('the user events record logins, failures and logouts', async () => {
  const a = await login(stack, 'admin1');
  const r = await api(stack, a, 'GET', '/api/events?since=0&limit=1000');
  const kinds = new Set(r.body.map((e) => e.kind));
  for (const k of ['user.added', 'user.login', 'user.login_failed', 'user.logout']) assert.ok(kinds.has(k), k);
  const failed = r.body.find((e) => e.kind === 'user.login_failed');
  assert.equal(failed.person, null);
  assert.ok(failed.detail && failed.detail.user && failed.detail.source);
});

test('repeated failures delay the account (429 with Retry-After), not the others', async () => {
  // Its own controller: throttling also counts failures per source address.
  const s2 = await startStack({ demo: false });
  try {
    s2.addUser('victim', 'guard');
    s2.addUser('boss', 'admin');
    // The first delay is one second (docs/web.md): a round slower than that proves nothing.
    let t;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) assert.equal((await login(s2, 'victim', 'wrong password!!')).res.status, 401);
      const sent = Date.now();
      assert.equal((await login(s2, 'victim', 'wrong password!!')).res.status, 401);
      t = await login(s2, 'victim');
      if (t.res.status === 429 || Date.now() - sent < 1000) break;
    }
    assert.equal(t.res.status, 429);
    assert.equal(t.body.error.code, 'throttled');
    const after = Number(t.res.headers.get('retry-after'));
    assert.ok(after >= 1 && after <= 60, `Retry-After ${after}`);
    // Every browser reaches the controller through aeogate-web: another account is not refused.
    assert.equal((await login(s2, 'boss')).res.status, 200);
  } finally {
    await s2.stop();
  }
});

// ---------------------------------------------------------------- alarms, badges, exports

test('alarms: list open ones, acknowledge with a comment, close; auditors only look', async () => {
  mustCtl(stack, ['sim', 'door', 'cage-1', 'open']);
  mustCtl(stack, ['sim', 'door', 'cage-1', 'close']);
  const g = await login(stack, 'guard1');
  let r = await api(stack, g, 'GET', '/api/alarms?open=1');
  assert.equal(r.status, 200);
  const alarm = r.body.find((a) => a.kind === 'door.forced' && a.door === 'cage-1' && a.state === 'open');
  assert.ok(alarm, JSON.stringify(r.body));
  assert.equal((await api(stack, g, 'GET', '/api/alarms?open=maybe')).status, 400);

  const a = await login(stack, 'auditor1');
  assert.equal((await api(stack, a, 'GET', '/api/alarms?open=1')).status, 200, 'auditors see alarms');
  r = await api(stack, a, 'POST', '/api/alarms/ack', { id: alarm.id, comment: 'auditor' });
  assert.equal(r.status, 403);
  assert.equal((await api(stack, a, 'POST', '/api/alarms/close', { id: alarm.id })).status, 403);

  r = await api(stack, g, 'POST', '/api/alarms/ack', { id: alarm.id, comment: 'ok' }, { 'x-csrf-token': '' });
  assert.equal(r.status, 403, 'CSRF');
  assert.equal(r.body.error.code, 'csrf_failed');
  r = await api(stack, g, 'POST', '/api/alarms/ack', { id: alarm.id });
  assert.equal(r.status, 400, 'a comment is required');
  r = await api(stack, g, 'POST', '/api/alarms/ack', { id: alarm.id, comment: 'checked the cage, door shut' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.state, 'acknowledged');
  assert.equal(r.body.comment, 'checked the cage, door shut');
  r = await api(stack, g, 'POST', '/api/alarms/ack', { id: alarm.id, comment: 'again' });
  assert.equal(r.status, 409, 'only an open alarm is acknowledged');
  r = await api(stack, g, 'POST', '/api/alarms/close', { id: alarm.id });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.state, 'closed');
  r = await api(stack, g, 'GET', '/api/alarms?open=1');
  assert.ok(!r.body.some((x) => x.id === alarm.id), 'closed alarms are not open');
  r = await api(stack, g, 'GET', '/api/alarms');
  assert.ok(r.body.some((x) => x.id === alarm.id && x.state === 'closed'));
});

test('badge lifecycle: a manager suspends, reinstates, reports lost and returns; a guard may not', async () => {
  mustCtl(stack, ['person', 'add', 'E200', '--name', 'Lifecycle', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E200', '--uid', '04c0ffee']);
  const g = await login(stack, 'guard1');
  let r = await api(stack, g, 'POST', '/api/badges/suspend', { credential: 'uid:04c0ffee' });
  assert.equal(r.status, 403);
  const m = await login(stack, 'manager1');
  r = await api(stack, m, 'POST', '/api/badges/suspend', { credential: 'uid:04c0ffee' }, { 'x-csrf-token': '' });
  assert.equal(r.status, 403, 'CSRF');
  for (const [step, want, body] of [['suspend', 'suspended'], ['reinstate', 'active'],
    ['lost', 'lost', { reason: 'stolen' }], ['reinstate', 'active'], ['return', 'returned']]) {
    r = await api(stack, m, 'POST', `/api/badges/${step}`, { credential: 'uid:04c0ffee', ...(body || {}) });
    assert.equal(r.status, 200, `${step}: ${r.text}`);
    assert.equal(r.body.status, want, step);
  }
  r = await api(stack, m, 'POST', '/api/badges/reinstate', { credential: 'uid:04c0ffee' });
  assert.equal(r.status, 409, 'a returned badge stays returned');
});

async function download(stack, session, url) {
  const res = await fetch(stack.base + url, { headers: { cookie: session.cookie } });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

test('exports: an auditor produces a report and downloads file and manifest that verify', async () => {
  const pubkey = JSON.parse(mustCtl(stack, ['audit', 'pubkey', '--json'])).public_key;
  const a = await login(stack, 'auditor1');
  const dir = mkdtempSync(join(tmpdir(), 'aeogate-export-'));
  try {
    for (const [body, ext] of [[{ report: 'access', format: 'csv' }, 'csv'],
      [{ kinds: ['door.*'], format: 'jsonl', from: '2020-01-01T00:00:00Z', to: null }, 'jsonl'],
      [{ format: 'csv' }, 'csv']]) {
      const r = await api(stack, a, 'POST', '/api/exports', body);
      assert.equal(r.status, 200, r.text);
      assert.match(r.body.id, /^[0-9a-f]{32}$/);
      assert.ok(r.body.file.endsWith('.' + ext));
      assert.equal(r.body.manifest_file, r.body.file + '.manifest.json');
      const f = await download(stack, a, r.body.url);
      assert.equal(f.status, 200);
      assert.match(f.headers.get('content-disposition'), new RegExp(`^attachment; filename="${r.body.file}"$`));
      assert.match(f.headers.get('content-type'), ext === 'csv' ? /^text\/csv/ : /^application\/x-ndjson/);
      assert.equal(f.headers.get('cache-control'), 'no-store');
      assert.equal(f.body.length, r.body.bytes);
      const man = await download(stack, a, r.body.manifest_url);
      assert.equal(man.status, 200);
      assert.match(man.headers.get('content-disposition'), /manifest\.json"$/);
      const manifest = JSON.parse(man.body.toString('utf8'));
      assert.equal(manifest.statement.rows, r.body.rows);
      assert.equal(manifest.statement.report, body.report ?? null);
      assert.equal(manifest.statement.operator.includes('auditor1'), true, manifest.statement.operator);
      if (body.report === 'access') assert.ok(r.body.rows >= 1, 'the access report has the grants above');
      writeFileSync(join(dir, r.body.file), f.body);
      writeFileSync(join(dir, r.body.manifest_file), man.body);
      const v = stack.ctl(['audit', 'verify', join(dir, r.body.file), '--pubkey', pubkey]);
      assert.equal(v.status, 0, `${r.body.file}: ${v.stdout} ${v.stderr}`);
      assert.match(v.stdout, /ok: /);
      // One flipped byte is caught.
      if (f.body.length > 200) {
        const bad = Buffer.from(f.body);
        bad[bad.length - 100] ^= 1;
        writeFileSync(join(dir, r.body.file), bad);
        assert.equal(stack.ctl(['audit', 'verify', join(dir, r.body.file), '--pubkey', pubkey]).status, 1);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('table reports (alarms, entitlements, validity, leavers, access points, visitors) download and verify', async () => {
  const pubkey = JSON.parse(mustCtl(stack, ['audit', 'pubkey', '--json'])).public_key;
  const m = await login(stack, 'manager1');
  const reports = (await api(stack, m, 'GET', '/api/reports')).body;
  const tables = reports.filter((r) => r.type === 'table').map((r) => r.name);
  assert.deepEqual(tables.sort(), ['access-points', 'alarms', 'entitlements', 'leavers', 'muster', 'validity', 'vetting', 'visitors']);
  const dir = mkdtempSync(join(tmpdir(), 'aeogate-report-'));
  try {
    for (const body of [{ report: 'alarms', format: 'csv', from: '2020-01-01T00:00:00Z' },
      { report: 'validity', format: 'jsonl', within_days: 30 }, { report: 'entitlements', format: 'csv' },
      { report: 'leavers', format: 'csv' }, { report: 'access-points', format: 'jsonl' },
      { report: 'visitors', format: 'csv', from: '2020-01-01T00:00:00Z' }]) {
      const r = await api(stack, m, 'POST', '/api/exports', body);
      assert.equal(r.status, 200, `${body.report}: ${r.text}`);
      assert.equal(r.body.type, 'table');
      const f = await download(stack, m, r.body.url);
      const man = await download(stack, m, r.body.manifest_url);
      assert.equal(JSON.parse(man.body).statement.report, body.report);
      writeFileSync(join(dir, r.body.file), f.body);
      writeFileSync(join(dir, r.body.manifest_file), man.body);
      const v = stack.ctl(['audit', 'verify', join(dir, r.body.file), '--pubkey', pubkey]);
      assert.equal(v.status, 0, `${r.body.file}: ${v.stdout} ${v.stderr}`);
    }
    let r = await api(stack, m, 'POST', '/api/exports', { report: 'entitlements', format: 'csv', from: '2020-01-01T00:00:00Z' });
    assert.equal(r.status, 400, 'the controller says which parameters a report takes');
    r = await api(stack, m, 'POST', '/api/exports', { report: 'access', format: 'csv', within_days: 3 });
    assert.equal(r.status, 400);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exports: refused without the export role, to other sessions, without CSRF, or malformed', async () => {
  const g = await login(stack, 'guard1');
  let r = await api(stack, g, 'POST', '/api/exports', { report: 'access', format: 'csv' });
  assert.equal(r.status, 403, 'a guard may not export');
  const a = await login(stack, 'auditor1');
  r = await api(stack, a, 'POST', '/api/exports', { report: 'access', format: 'csv' }, { 'x-csrf-token': '' });
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'csrf_failed');
  for (const bad of [{ report: 'access' }, { report: 'access', format: 'xlsx' }, { report: 'nope', format: 'csv' },
    { report: 'access', format: 'csv', kinds: ['door.*'] }, { format: 'csv', kinds: ['Not A Kind'] },
    { format: 'csv', from: 'yesterday' }, { format: 'csv', from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
    { format: 'csv', extra: 1 }]) {
    r = await api(stack, a, 'POST', '/api/exports', bad);
    assert.equal(r.status, 400, JSON.stringify(bad) + ' ' + r.text);
  }
  r = await api(stack, a, 'POST', '/api/exports', { report: 'devices', format: 'jsonl' });
  assert.equal(r.status, 200, r.text);
  const { url, manifest_url: murl } = r.body;
  // Another session, even of an auditor, gets nothing; a guard neither.
  const a2 = await login(stack, 'auditor1');
  for (const s of [a2, g]) {
    assert.equal((await download(stack, s, url)).status, 403);
    assert.equal((await download(stack, s, murl)).status, 403);
  }
  assert.equal((await download(stack, a, url.replace(/[0-9a-f]{32}/, 'f'.repeat(32)))).status, 404);
  assert.equal((await download(stack, a, url)).status, 200);
  // A session holds a couple of exports at once: a third pushes out the oldest.
  r = await api(stack, a, 'POST', '/api/exports', { report: 'admin', format: 'csv' });
  assert.equal(r.status, 200, r.text);
  const second = r.body.url;
  r = await api(stack, a, 'POST', '/api/exports', { report: 'admin', format: 'csv' });
  assert.equal(r.status, 200, r.text);
  assert.equal((await download(stack, a, url)).status, 404, 'the oldest went');
  assert.equal((await download(stack, a, second)).status, 200);
  // Logging out drops the rest.
  assert.equal((await api(stack, a, 'POST', '/api/logout')).status, 200);
  const a3 = await login(stack, 'auditor1');
  assert.equal((await download(stack, a3, r.body.url)).status, 404, 'gone with the session');
});

// ---------------------------------------------------------------- editing persons and levels

test('person update: manager only, CSRF, JSON; a past valid-until denies as expired, null clears it', async () => {
  mustCtl(stack, ['person', 'add', 'E150', '--name', 'Up Date', '--level', 'dock-all']);
  mustCtl(stack, ['badge', 'issue', 'E150', '--uid', '04150150']);
  const path = '/api/persons/E150/update';
  for (const user of ['guard1', 'auditor1']) {
    const s = await login(stack, user);
    const r = await api(stack, s, 'POST', path, { name: 'Nope' });
    assert.equal(r.status, 403, user);
    assert.equal(r.body.error.code, 'permission_denied', user);
  }
  const m = await login(stack, 'manager1');
  let r = await api(stack, m, 'POST', path, { name: 'No csrf' }, { 'x-csrf-token': '' });
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'csrf_failed');
  r = await api(stack, m, 'POST', path, '{"name": ');
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'bad_json');
  r = await api(stack, m, 'POST', path, '');
  assert.equal(r.status, 400, 'a body is required');
  r = await api(stack, m, 'POST', path, {});
  assert.equal(r.status, 400, 'nothing to change');
  assert.equal(r.body.error.code, 'invalid_argument');
  r = await api(stack, m, 'POST', path, { valid_until: 'tomorrow' });
  assert.equal(r.status, 400);
  r = await api(stack, m, 'POST', '/api/persons/nobody/update', { name: 'x' });
  assert.equal(r.status, 404);
  r = await api(stack, m, 'POST', path, { add_levels: ['no-such-level'] });
  assert.equal(r.status, 404);
  // The path names the person, whatever the body says.
  r = await api(stack, m, 'POST', path, { id: 'E100', name: 'Up Dated', valid_until: '2020-01-01T00:00:00Z' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.id, 'E150');
  assert.equal(r.body.name, 'Up Dated');
  assert.equal(r.body.valid_until, '2020-01-01T00:00:00.000Z');
  assert.equal((await api(stack, m, 'GET', '/api/persons/E100')).body.name, 'Test Person');
  let p = stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '04150150', '--json']);
  assert.equal(p.status, 1);
  assert.equal(JSON.parse(p.stdout).reason, 'expired');
  r = await api(stack, m, 'POST', path, { valid_until: null, remove_levels: ['dock-all'] });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.valid_until, null);
  assert.deepEqual(r.body.levels, []);
  p = stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '04150150', '--json']);
  assert.equal(JSON.parse(p.stdout).reason, 'no_access');
  r = await api(stack, m, 'POST', path, { add_levels: ['dock-all'] });
  assert.equal(r.status, 200, r.text);
  p = stack.ctl(['sim', 'present', 'dock-1-in', '--uid', '04150150', '--json']);
  assert.equal(p.status, 0, p.stdout);
  const list = (await api(stack, m, 'GET', '/api/persons')).body;
  const e150 = list.find((x) => x.id === 'E150');
  assert.deepEqual([e150.name, e150.valid_until, e150.levels], ['Up Dated', null, ['dock-all']]);
});

test('levels: add, change zones, remove; manager only, CSRF, JSON', async () => {
  for (const user of ['guard1', 'auditor1']) {
    const s = await login(stack, user);
    for (const [path, body] of [['/api/levels', { name: 'L-x', zones: ['dock'] }],
      ['/api/levels/update', { name: 'dock-all', add_zones: ['bonded-cage'] }],
      ['/api/levels/remove', { name: 'dock-all' }]]) {
      const r = await api(stack, s, 'POST', path, body);
      assert.equal(r.status, 403, `${user} ${path}`);
    }
  }
  const m = await login(stack, 'manager1');
  for (const path of ['/api/levels', '/api/levels/update', '/api/levels/remove']) {
    let r = await api(stack, m, 'POST', path, { name: 'L-x' }, { 'x-csrf-token': '' });
    assert.equal(r.status, 403, path);
    assert.equal(r.body.error.code, 'csrf_failed');
    r = await api(stack, m, 'POST', path, '{');
    assert.equal(r.status, 400, path);
    assert.equal(r.body.error.code, 'bad_json');
  }
  let r = await api(stack, m, 'POST', '/api/levels', { name: 'cage-all', zones: ['bonded-cage'] });
  assert.equal(r.status, 200, r.text);
  r = await api(stack, m, 'POST', '/api/levels', { name: 'cage-all', zones: ['bonded-cage'] });
  assert.equal(r.status, 409);
  r = await api(stack, m, 'POST', '/api/levels', { name: 'empty', zones: [] });
  assert.equal(r.status, 400);
  r = await api(stack, m, 'POST', '/api/levels/update', { name: 'cage-all', add_zones: ['dock'], remove_zones: ['bonded-cage'] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.zones, ['dock']);
  r = await api(stack, m, 'POST', '/api/levels/update', { name: 'cage-all', remove_zones: ['dock'] });
  assert.equal(r.status, 400, 'a level keeps at least one zone');
  r = await api(stack, m, 'POST', '/api/levels/remove', { name: 'dock-all' });
  assert.equal(r.status, 409, 'a held level stays');
  r = await api(stack, m, 'POST', '/api/levels/remove', { name: 'cage-all' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.removed, true);
  r = await api(stack, m, 'POST', '/api/levels/remove', { name: 'cage-all' });
  assert.equal(r.status, 404);
  assert.ok(!(await api(stack, m, 'GET', '/api/levels')).body.some((l) => l.name === 'cage-all'));
});

test('the report list is for the roles that may export: a guard gets 403', async () => {
  const g = await login(stack, 'guard1');
  const r = await api(stack, g, 'GET', '/api/reports');
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'permission_denied');
  for (const user of ['auditor1', 'manager1', 'admin1']) {
    const s = await login(stack, user);
    const ok = await api(stack, s, 'GET', '/api/reports');
    assert.equal(ok.status, 200, user);
    assert.ok(ok.body.some((x) => x.name === 'access'), user);
  }
});

test('schedules, holidays, zone settings and door modes: manager only, CSRF, the controller\'s words', async () => {
  const writes = [
    ['/api/schedules', { name: 'S-x', intervals: ['mon-fri 07:00-17:00'] }],
    ['/api/schedules/update', { name: 'S-x', add_intervals: ['sat 08:00-12:00'] }],
    ['/api/schedules/remove', { name: 'S-x' }],
    ['/api/holidays', { date: '2031-12-25', name: 'Christmas Day' }],
    ['/api/holidays/remove', { date: '2031-12-25' }],
    ['/api/zones/set', { zone: 'dock', vetting: 'required' }],
    ['/api/doors/mode', { door: 'dock-1', mode: 'locked' }],
  ];
  for (const user of ['guard1', 'auditor1']) {
    const s = await login(stack, user);
    for (const [path, body] of writes) {
      const r = await api(stack, s, 'POST', path, body);
      assert.equal(r.status, 403, `${user} ${path}`);
      assert.equal(r.body.error.code, 'permission_denied');
    }
    for (const path of ['/api/schedules', '/api/holidays', '/api/zones']) {
      const r = await api(stack, s, 'GET', path);
      assert.equal(r.status, 200, `${user} GET ${path}`);
      assert.ok(Array.isArray(r.body));
    }
  }
  const m = await login(stack, 'manager1');
  for (const [path, body] of writes) {
    let r = await api(stack, m, 'POST', path, body, { 'x-csrf-token': '' });
    assert.equal(r.status, 403, path);
    assert.equal(r.body.error.code, 'csrf_failed');
    r = await api(stack, m, 'POST', path, '{');
    assert.equal(r.status, 400, path);
    assert.equal(r.body.error.code, 'bad_json');
  }
  assert.equal(JSON.parse(mustCtl(stack, ['zone', 'show', 'dock', '--json'])).vetting, 'none', 'nothing was changed');

  // Schedules: add, a bad interval named in the message, in use by a level refuses removal.
  let r = await api(stack, m, 'POST', '/api/schedules', { name: 'day', intervals: ['mon-fri 07:00-17:00', 'sat 08:00-12:00'] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { name: 'day', intervals: ['mon-fri 07:00-17:00', 'sat 08:00-12:00'], levels: [] });
  r = await api(stack, m, 'POST', '/api/schedules', { name: 'day', intervals: ['sun 10:00-11:00'] });
  assert.equal(r.status, 409);
  r = await api(stack, m, 'POST', '/api/schedules/update', { name: 'day', add_intervals: ['mon-fri 25:00-26:00'] });
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /interval 'mon-fri 25:00-26:00'/);
  r = await api(stack, m, 'POST', '/api/schedules/update', { name: 'day', add_intervals: ['hol 10:00-14:00'], remove_intervals: ['sat 08:00-12:00'] });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body.intervals.sort(), ['hol 10:00-14:00', 'mon-fri 07:00-17:00']);
  r = await api(stack, m, 'POST', '/api/levels', { name: 'L-day', zones: ['dock'], schedule: 'day' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.schedule, 'day');
  r = await api(stack, m, 'POST', '/api/schedules/remove', { name: 'day' });
  assert.equal(r.status, 409);
  assert.equal(r.body.error.code, 'failed_precondition');
  assert.match(r.body.error.message, /schedule 'day' is in use by level 'L-day'/);
  const listed = (await api(stack, m, 'GET', '/api/schedules')).body.find((x) => x.name === 'day');
  assert.deepEqual(listed.levels, ['L-day']);
  r = await api(stack, m, 'POST', '/api/levels/update', { name: 'L-day', schedule: null });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.schedule, null);
  r = await api(stack, m, 'POST', '/api/schedules/remove', { name: 'day' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.removed, true);
  r = await api(stack, m, 'POST', '/api/levels/remove', { name: 'L-day' });
  assert.equal(r.status, 200, r.text);

  // Holidays.
  r = await api(stack, m, 'POST', '/api/holidays', { date: '2031-02-30', name: 'No such day' });
  assert.equal(r.status, 400);
  r = await api(stack, m, 'POST', '/api/holidays', { date: '2031-12-25', name: 'Christmas Day' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual((await api(stack, m, 'GET', '/api/holidays')).body, [{ date: '2031-12-25', name: 'Christmas Day' }]);
  r = await api(stack, m, 'POST', '/api/holidays/remove', { date: '2031-12-25' });
  assert.equal(r.status, 200, r.text);
  r = await api(stack, m, 'POST', '/api/holidays/remove', { date: '2031-12-25' });
  assert.equal(r.status, 404);

  // Zone settings.
  r = await api(stack, m, 'POST', '/api/zones/set', { zone: 'dock', vetting: 'sometimes' });
  assert.equal(r.status, 400);
  r = await api(stack, m, 'POST', '/api/zones/set', { zone: 'nowhere', vetting: 'required' });
  assert.equal(r.status, 404);
  r = await api(stack, m, 'POST', '/api/zones/set', { zone: 'bonded-cage', vetting: 'required' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.vetting, 'required');
  assert.equal((await api(stack, m, 'GET', '/api/zones')).body.find((z) => z.name === 'bonded-cage').vetting, 'required');
  r = await api(stack, m, 'POST', '/api/zones/set', { zone: 'bonded-cage', vetting: 'none' });
  assert.equal(r.status, 200, r.text);

  // Door modes.
  r = await api(stack, m, 'POST', '/api/doors/mode', { door: 'dock-1', mode: 'open-sesame' });
  assert.equal(r.status, 400);
  r = await api(stack, m, 'POST', '/api/doors/mode', { door: 'cage-1', mode: 'locked', comment: 'api test' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.mode, 'locked');
  r = await api(stack, m, 'POST', '/api/doors/mode', { door: 'cage-1', mode: 'card' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.mode, 'card');
});

// ---------------------------------------------------------------- door schedules, mode --clear, PINs

test('door schedules, door mode clear and PINs: manager only, CSRF, bad input refused in the controller\'s words, changing nothing', async () => {
  mustCtl(stack, ['person', 'add', 'E170', '--name', 'Pin Api', '--level', 'dock-all']);
  mustCtl(stack, ['schedule', 'add', 'api-day', '--interval', 'mon-fri 07:00-17:00']);
  const writes = [
    ['/api/doors/schedule', { door: 'dock-1', mode: 'unlocked', schedule: 'api-day' }],
    ['/api/doors/schedule', { door: 'dock-1', clear: true }],
    ['/api/doors/mode', { door: 'dock-1', clear: true }],
    ['/api/persons/E170/pin', { pin: '2468' }],
    ['/api/persons/E170/pin', { clear: true }],
    ['/api/persons/E170/pin-unlock', {}],
  ];
  const seq0 = JSON.parse(mustCtl(stack, ['status', '--json'])).last_seq;
  for (const [path, body] of writes) {
    const r = await api(stack, null, 'POST', path, body);
    assert.equal(r.status, 401, `no session: ${path}`);
  }
  for (const user of ['guard1', 'auditor1']) {
    const s = await login(stack, user);
    for (const [path, body] of writes) {
      const r = await api(stack, s, 'POST', path, body);
      assert.equal(r.status, 403, `${user} ${path}`);
      assert.equal(r.body.error.code, 'permission_denied');
    }
  }
  const m = await login(stack, 'manager1');
  for (const [path, body] of writes) {
    let r = await api(stack, m, 'POST', path, body, { 'x-csrf-token': '' });
    assert.equal(r.status, 403, path);
    assert.equal(r.body.error.code, 'csrf_failed');
    r = await api(stack, m, 'POST', path, '{');
    assert.equal(r.status, 400, path);
    assert.equal(r.body.error.code, 'bad_json');
  }
  // An empty POST: no JSON object where the op needs its args; {} lacks them.
  for (const path of ['/api/doors/schedule', '/api/persons/E170/pin']) {
    let r = await api(stack, m, 'POST', path, '');
    assert.equal(r.status, 400, `empty ${path}`);
    assert.equal(r.body.error.code, 'bad_json');
    r = await api(stack, m, 'POST', path, {});
    assert.equal(r.status, 400, `{} ${path}`);
    assert.equal(r.body.error.code, 'invalid_argument');
  }

  // PINs that are not 4-8 digits: refused, the PIN never repeated in the message.
  for (const pin of ['12a4', '123', '123456789', '', ' 1234', '１２３４', '1'.repeat(200)]) {
    const r = await api(stack, m, 'POST', '/api/persons/E170/pin', { pin });
    assert.equal(r.status, 400, `pin ${JSON.stringify(pin)}`);
    assert.equal(r.body.error.code, 'invalid_argument');
    assert.match(r.body.error.message, /'pin' must be 4 to 8 digits/);
    if (pin.length >= 3) assert.equal(r.text.includes(pin), false, 'the message does not repeat the PIN');
  }
  for (const body of [{ pin: 1234 }, { pin: '1234', clear: true }, { clear: 'yes' }]) {
    const r = await api(stack, m, 'POST', '/api/persons/E170/pin', body);
    assert.equal(r.status, 400, JSON.stringify(body));
  }
  let r = await api(stack, m, 'POST', '/api/persons/E170/pin-unlock');
  assert.equal(r.status, 404);
  assert.match(r.body.error.message, /person 'E170' has no PIN/);
  r = await api(stack, m, 'POST', '/api/persons/nobody/pin', { pin: '2468' });
  assert.equal(r.status, 404);
  assert.match(r.body.error.message, /no person 'nobody'/);

  // Door schedules and mode clear.
  for (const [body, status, message] of [
    [{ door: 'dock-1', mode: 'unlocked', schedule: 'no-such' }, 404, /no such schedule: no-such/],
    [{ door: 'dock-1', mode: 'open-sesame', schedule: 'api-day' }, 400, /'mode' must be card, card_and_pin, unlocked or locked/],
    [{ door: 'dock-1', mode: 'unlocked' }, 400, /schedule/],
    [{ door: 'nowhere', mode: 'unlocked', schedule: 'api-day' }, 404, /no door 'nowhere'/],
    [{ door: 'dock-1', clear: true, mode: 'unlocked' }, 400, /'clear' takes no mode/],
    [{ door: 'dock-1', mode: 'unlocked', schedule: 'api-day', first_person_in: 'yes' }, 400, /'first_person_in' must be true or false/],
  ]) {
    r = await api(stack, m, 'POST', '/api/doors/schedule', body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.match(r.body.error.message, message);
  }
  r = await api(stack, m, 'POST', '/api/doors/mode', { door: 'dock-1', clear: true, mode: 'locked' });
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /'clear' takes no mode or until/);
  const after = mustCtl(stack, ['events', '--json', '--since', String(seq0)]).split('\n').filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((e) => ['door.updated', 'door.mode', 'person.pin_set', 'person.pin_unlocked'].includes(e.kind));
  assert.deepEqual(after, [], 'nothing refused was recorded');
  assert.equal(JSON.parse(mustCtl(stack, ['person', 'show', 'E170', '--json'])).pin, 'none');
  assert.equal(JSON.parse(mustCtl(stack, ['door', 'list', '--json'])).find((d) => d.name === 'dock-1').schedule, null);

  // What is accepted: the reply shows the PIN's state, never the PIN.
  r = await api(stack, m, 'POST', '/api/persons/E170/pin', { pin: '97531', id: 'E100' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.body, { person: 'E170', pin: 'set', wrong_pins: 0, locked: false }, 'the path\'s ID wins');
  assert.equal(r.text.includes('97531'), false);
  assert.equal((await api(stack, m, 'GET', '/api/persons/E170')).body.pin, 'set');
  assert.equal((await api(stack, m, 'GET', '/api/persons/E100')).body.pin, 'none');
  r = await api(stack, m, 'POST', '/api/persons/E170/pin-unlock');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.pin, 'set');
  r = await api(stack, m, 'POST', '/api/persons/E170/pin', { clear: true });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.pin, 'none');
  r = await api(stack, m, 'POST', '/api/doors/schedule', { door: 'dock-1', mode: 'locked', schedule: 'api-day', first_person_in: true });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.body.name, r.body.schedule.schedule, r.body.schedule.mode, r.body.schedule.first_person_in],
    ['dock-1', 'api-day', 'locked', true]);
  r = await api(stack, m, 'POST', '/api/doors/schedule', { door: 'dock-1', clear: true });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.schedule, null);
  r = await api(stack, m, 'POST', '/api/doors/mode', { door: 'dock-1', mode: 'locked' });
  assert.equal(r.status, 200, r.text);
  r = await api(stack, m, 'POST', '/api/doors/mode', { door: 'dock-1', clear: true, comment: 'api test' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.body.mode, r.body.until], ['card', null]);
  mustCtl(stack, ['schedule', 'remove', 'api-day']);
});
