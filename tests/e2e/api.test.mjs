// aeogate-web's HTTP API and stream against a real aeogated: sessions,
// roles, CSRF, bounds, static-file safety and security headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

const GETS = ['/api/me', '/api/status', '/api/events?since=0', '/api/doors', '/api/readers',
  '/api/zones', '/api/levels', '/api/persons', '/api/persons/E100', '/api/badges', '/api/users'];
const POSTS = [
  ['/api/logout', {}],
  ['/api/persons', { id: 'X1', name: 'X' }],
  ['/api/persons/E100/suspend', {}],
  ['/api/persons/E100/reinstate', {}],
  ['/api/persons/E100/terminate', {}],
  ['/api/badges', { person: 'E100', credential: 'uid:04a1b2c3' }],
  ['/api/badges/revoke', { credential: 'h10301:12:3456' }],
  ['/api/sim/present', { reader: 'dock-1-in', uid: '04a1b2c3' }],
  ['/api/sim/door', { door: 'dock-1', state: 'open' }],
  ['/api/sim/rex', { door: 'dock-1' }],
  ['/api/alarms/ack', {}],
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

test('repeated failures throttle the login (429 with Retry-After)', async () => {
  // Its own controller: throttling also counts failures per source address.
  const s2 = await startStack({ demo: false });
  try {
    s2.addUser('victim', 'guard');
    for (let i = 0; i < 5; i++) assert.equal((await login(s2, 'victim', 'wrong password!!')).res.status, 401);
    const t = await login(s2, 'victim');
    assert.equal(t.res.status, 429);
    assert.equal(t.body.error.code, 'throttled');
    assert.ok(Number(t.res.headers.get('retry-after')) > 0);
    const m = await login(s2, 'victim');
    assert.equal(m.res.status, 429);
    // Not in demo mode: the simulator is refused even with a session (before this test throttled us, none exists).
  } finally {
    await s2.stop();
  }
});
