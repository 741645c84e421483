// The people CSV through aeogate-web (README "Bulk enrolment", "Dashboard"):
// POST /api/persons/import runs the import session aeogatectl person import
// runs, all or nothing, with the controller's roles; GET /api/persons/export
// gives the file person export writes. Bounds, types, sessions and CSRF as
// for every other POST; what was committed is checked through aeogatectl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, login, mustCtl } from './lib.mjs';

let stack;
let manager;
const HEADER = 'id,name,valid_from,valid_until,levels,credentials,vetting_status,vetting_checked,vetting_recheck_due,vetting_reference';

before(async () => {
  stack = await startStack({ demo: false });
  stack.addUser('guard1', 'guard');
  stack.addUser('manager1', 'manager');
  mustCtl(stack, ['level', 'add', 'dock-all', '--zone', 'dock']);
  mustCtl(stack, ['person', 'add', 'E100', '--name', 'Already Here', '--level', 'dock-all']);
  manager = await login(stack, 'manager1');
});

after(async () => {
  await stack.stop();
});

// POSTs bytes as they are: { status, body, headers }.
async function postCsv(session, body, { query = '', type = 'text/csv', csrf } = {}) {
  const headers = { 'content-type': type };
  if (session) {
    headers.cookie = session.cookie;
    headers['x-csrf-token'] = csrf ?? session.csrf;
  }
  const res = await fetch(`${stack.base}/api/persons/import${query}`, { method: 'POST', headers, body });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: res.status, body: json, text, headers: res.headers };
}

function personIds() {
  return JSON.parse(mustCtl(stack, ['person', 'list', '--json'])).map((p) => p.id).sort();
}

test('an empty body is refused with a clear 400, nothing committed', async () => {
  const before = personIds();
  const r = await postCsv(manager, '');
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'invalid_argument');
  assert.match(r.body.error.message, /empty/);
  assert.deepEqual(personIds(), before);
});

test('a body over AEOGATE_WEB_IMPORT_MAX is refused with 413 before it is read', async () => {
  const url = new URL(stack.base);
  const status = await new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: '/api/persons/import', method: 'POST',
      headers: {
        'content-type': 'text/csv', 'content-length': String(32 * 1024 * 1024 + 1),
        cookie: manager.cookie, 'x-csrf-token': manager.csrf,
      },
    });
    req.on('response', (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ code: res.statusCode, data }));
    });
    req.on('error', reject);
    req.write(`${HEADER}\r\n`);
  });
  assert.equal(status.code, 413);
  assert.equal(JSON.parse(status.data).error.code, 'message_too_large');
});

test('a file of many batches is spooled, read back in pieces and judged row by row', async () => {
  // 3000 rows: six batches and several reads of the spooled file.
  const rows = [];
  for (let i = 0; i < 3000; i++) rows.push(`B${String(i).padStart(5, '0')},Bulk Person ${i},,,dock-all`);
  rows[2500] = 'B02500,Bulk Bad,,,nosuchlevel';
  const r = await postCsv(manager, `id,name,valid_from,valid_until,levels\n${rows.join('\n')}\n`, { query: '?dry_run=1' });
  assert.equal(r.status, 422, r.text);
  assert.equal(r.body.rows, 3000);
  assert.equal(r.body.bad, 1);
  assert.equal(r.body.committed, false);
  assert.deepEqual(r.body.errors.map((e) => [e.line, e.column]), [[2502, 'levels']]);
  assert.equal(r.body.added, 2999, 'the dry run counts the good rows');
  assert.ok(!personIds().includes('B00000'));
});

test('a body that is not text/csv is refused with 415', async () => {
  const r = await postCsv(manager, `${HEADER}\n`, { type: 'application/json' });
  assert.equal(r.status, 415);
});

test('no session: 401; no CSRF token: 403; a guard: the controller refuses (403)', async () => {
  const csv = 'id,name\nG1,Guard Try\n';
  let r = await postCsv(null, csv);
  assert.equal(r.status, 401);
  r = await postCsv(manager, csv, { csrf: '0'.repeat(64) });
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'csrf_failed');
  const guard = await login(stack, 'guard1');
  r = await postCsv(guard, csv);
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'permission_denied');
  const res = await fetch(`${stack.base}/api/persons/export`, { headers: { cookie: guard.cookie } });
  assert.equal(res.status, 403);
  assert.ok(!personIds().includes('G1'));
});

test('garbage that is not CSV gets row errors and commits nothing', async () => {
  const before = personIds();
  for (const body of [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0x00, 0x22, 0x41]),
    'hello, world\nthis is not\n"a people" file\n']) {
    const r = await postCsv(manager, body);
    assert.equal(r.status, 422, r.text);
    assert.equal(r.body.committed, false);
    assert.ok(r.body.errors.length > 0);
    assert.equal(r.body.errors[0].line, 1);
    assert.ok(r.body.errors_total >= r.body.errors.length);
    assert.match(r.body.error.message, /nothing committed|header/);
  }
  assert.deepEqual(personIds(), before);
});

test('bad UTF-8 in a row is that row\'s error; nothing committed', async () => {
  const body = Buffer.concat([Buffer.from('id,name\nU1,Good Name\nU2,Bad '), Buffer.from([0xff, 0xfe]),
    Buffer.from(' Bytes\n')]);
  const r = await postCsv(manager, body);
  assert.equal(r.status, 422, r.text);
  assert.deepEqual(r.body.errors, [{ line: 3, column: 'name', reason: 'not valid UTF-8' }]);
  assert.equal(r.body.message, '1 of 2 rows are bad; nothing committed');
  assert.equal(r.body.committed, false);
  assert.ok(!personIds().includes('U1'));
});

test('a dry run counts and commits nothing; the real import commits; export gives it back', async () => {
  const csv = `${HEADER}\nW1,Wanda Web,2026-01-01,2030-12-31,dock-all,uid:0a0b0c01,cleared,2026-01-05,2099-01-05,CASE-9\n`
    + 'E100,Already Here,,,dock-all,,,,,\n';
  let r = await postCsv(manager, csv, { query: '?dry_run=1' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.body.added, r.body.updated, r.body.unchanged, r.body.badges, r.body.committed, r.body.dry_run],
    [1, 0, 1, 1, false, true]);
  assert.equal(r.body.message, 'added 1, updated 0, unchanged 1, badges 1 (dry run: nothing committed)');
  assert.ok(!personIds().includes('W1'));

  r = await postCsv(manager, csv);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual([r.body.added, r.body.updated, r.body.unchanged, r.body.badges, r.body.committed],
    [1, 0, 1, 1, true]);
  assert.ok(personIds().includes('W1'));
  assert.match(mustCtl(stack, ['badge', 'list', 'W1']), /uid:0a0b0c01/);

  const res = await fetch(`${stack.base}/api/persons/export`, { headers: { cookie: manager.cookie } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/csv/);
  assert.match(res.headers.get('content-disposition'), /attachment; filename="aeogate-people-.*\.csv"/);
  const text = await res.text();
  mustCtl(stack, ['person', 'export', join(stack.dir, 'people.csv')]);
  assert.equal(text, readFileSync(join(stack.dir, 'people.csv'), 'utf8'), 'the same bytes as aeogatectl person export');
  assert.match(text, /^id,name,valid_from,valid_until,levels,credentials,vetting_status,vetting_checked,vetting_recheck_due,vetting_reference\r\n/);
  assert.match(text, /\r\nW1,Wanda Web,2026-01-01,2030-12-31,dock-all,uid:0a0b0c01,cleared,2026-01-05,2099-01-05,CASE-9\r\n/);

  // Export → import round-trips: nothing changes.
  r = await postCsv(manager, text);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.added, 0);
  assert.equal(r.body.updated, 0);
  assert.equal(r.body.badges, 0);
});
