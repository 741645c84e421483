// The History page (issue 17, part 6): events.search through GET
// /api/history, paged by the controller newest first by seq (keyset: each
// page below the last seq shown, no page repeats or skips an event), every
// filter (time range, door, zone, person by id or name, kind, result) and
// their bad values refused with a clear message; then in chromium, a guard
// searches with no range, pages to "Older", opens an event's neighbours,
// and an auditor downloads the search as a signed export that verifies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  startStack, mustCtl, login, api, BUILD_DIR, launchChromium, closeChromium, failOnConsoleErrors,
} from './lib.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-shots');
let stack;
let chrome;
const GRANTS = 60;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: true });
  stack.addUser('guard1', 'guard');
  stack.addUser('auditor1', 'auditor');
  mustCtl(stack, ['level', 'add', 'dock-all', '--zone', 'dock']);
  mustCtl(stack, ['person', 'add', 'E1', '--name', 'Ann Example', '--level', 'dock-all']);
  mustCtl(stack, ['person', 'add', 'E2', '--name', 'Bob Other', '--level', 'dock-all']);
  mustCtl(stack, ['person', 'add', 'E3', '--name', 'Ann Example']);
  mustCtl(stack, ['badge', 'issue', 'E1', '--uid', '04a1b2c3']);
  mustCtl(stack, ['badge', 'issue', 'E2', '--uid', '04a1b2c4']);
  for (let i = 0; i < GRANTS; i++) mustCtl(stack, ['sim', 'present', 'dock-1-in', '--uid', '04a1b2c3']);
  // E2 at the cage: no level there, denied.
  for (let i = 0; i < 3; i++) stack.ctl(['sim', 'present', 'cage-1-in', '--uid', '04a1b2c4']);
  mustCtl(stack, ['sim', 'present', 'dock-1-in', '--uid', '04a1b2c4']);
  chrome = await launchChromium();
});

after(async () => {
  await closeChromium(chrome);
  if (stack) await stack.stop();
});

const q = (s, params) => api(stack, s, 'GET', `/api/history?${Object.entries(params)
  .map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`);

test('paging: newest first, each page below the last, every event once', async () => {
  const s = await login(stack, 'guard1');
  const all = [];
  let before;
  let pages = 0;
  for (;;) {
    const r = await q(s, before ? { limit: 25, before } : { limit: 25 });
    assert.equal(r.status, 200, r.text);
    all.push(...r.body.events.map((e) => e.seq));
    pages++;
    if (r.body.next_before === null) break;
    before = r.body.next_before;
    assert.ok(pages < 50);
  }
  const last = Number(JSON.parse(mustCtl(stack, ['status', '--json'])).last_seq);
  // Every event of the log, once, newest first (the sign-in itself is one more at the end).
  assert.ok(all.length >= last - 1, `${all.length} of ${last}`);
  for (let i = 1; i < all.length; i++) assert.equal(all[i], all[i - 1] - 1);
  assert.equal(all[all.length - 1], 1);
  assert.ok(pages >= 3);
});

test('filters: door, zone, person by id or name, kind, result, time range', async () => {
  const s = await login(stack, 'guard1');
  let r = await q(s, { door: 'cage-1' });
  assert.equal(r.status, 200);
  assert.ok(r.body.events.length >= 3);
  assert.ok(r.body.events.every((e) => e.door === 'cage-1'));
  r = await q(s, { zone: 'dock', result: 'granted', limit: 200 });
  assert.equal(r.body.events.length, GRANTS + 1);
  assert.ok(r.body.events.every((e) => e.kind === 'access.granted' && e.zone === 'dock'));
  r = await q(s, { person: 'Bob Other' });
  assert.equal(r.body.person, 'E2');
  assert.ok(r.body.events.length >= 4);
  assert.ok(r.body.events.every((e) => e.person === 'E2' && e.person_name === 'Bob Other'));
  r = await q(s, { person: 'bob other', result: 'denied' });
  assert.equal(r.body.events.length, 3);
  assert.ok(r.body.events.every((e) => e.reason === 'no_access'));
  r = await q(s, { person: 'E2', kind: 'access.*' });
  assert.equal(r.body.events.length, 4);
  r = await q(s, { kind: 'person.*' });
  assert.ok(r.body.events.length === 3 && r.body.events.every((e) => e.kind.startsWith('person.')));
  // A kind and a result that cannot both hold: nothing, not an error.
  r = await q(s, { kind: 'door.*', result: 'granted' });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.events, []);
  // Time: everything before now, nothing in the far future.
  r = await q(s, { from: '2000-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z', limit: 5 });
  assert.equal(r.body.events.length, 5);
  r = await q(s, { from: '2099-01-01T00:00:00Z' });
  assert.deepEqual(r.body.events, []);
  assert.equal(r.body.next_before, null);
});

test('bad input is refused with a clear message', async () => {
  const s = await login(stack, 'guard1');
  const bad = [
    [{ kind: 'Door Forced' }, /'kind'/],
    [{ result: 'maybe' }, /'result' must be "granted" or "denied"/],
    [{ from: 'yesterday' }, /from/],
    [{ from: '2026-02-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, /'from' must be before 'to'/],
    [{ person: 'Ann Example' }, /is the name of 2 people \(E1, E3\): give the id/],
    [{ limit: 100000 }, /limit/],
    [{ person: 'x'.repeat(300) }, /./],
  ];
  for (const [params, msg] of bad) {
    const r = await q(s, params);
    assert.ok(r.status >= 400 && r.status < 500, `${JSON.stringify(params)} gave ${r.status}`);
    assert.match(r.body && r.body.error ? r.body.error.message : r.text, msg, JSON.stringify(params));
  }
  // The door filter reaches the signed export too (an auditor's); a bad one is refused.
  const a = await login(stack, 'auditor1');
  let x = await api(stack, a, 'POST', '/api/exports', { format: 'csv', door: 'cage-1' });
  assert.equal(x.status, 200, x.text);
  assert.ok(x.body.rows >= 3);
  x = await api(stack, a, 'POST', '/api/exports', { format: 'csv', door: 'no such door' });
  assert.equal(x.status, 400);
  assert.match(x.body.error.message, /'door' is not an identifier/);
  const anon = await api(stack, null, 'GET', '/api/history');
  assert.equal(anon.status, 401);
  // A POST is not this route's method.
  const post = await api(stack, s, 'POST', '/api/history', {});
  assert.ok(post.status === 405 || post.status === 404, String(post.status));
});

test('the History page: search, Older, neighbours, signed export', async () => {
  const ctx = await chrome.browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  // A name several people share is refused on purpose (chromium logs every 4xx).
  failOnConsoleErrors(ctx, { refusals: [/400 .*\/api\/history\?/] });
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(stack.base + '/');
  await page.fill('#login-user', 'guard1');
  await page.fill('#login-pass', stack.users.guard1);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  await page.click('#tabs button[data-tab=history]');
  // No range needed: the newest 50 at once.
  await page.waitForFunction(() => document.querySelectorAll('#history-rows tr').length === 50);
  assert.equal(await page.isVisible('#history-older'), true);
  assert.equal(await page.isVisible('#history-export'), false, 'a guard cannot export');
  await page.click('#history-older');
  await page.waitForFunction(() => document.querySelectorAll('#history-rows tr').length > 50);
  const seqs = await page.$$eval('#history-rows tr', (rows) => rows.map((r) => Number(r.dataset.seq)));
  for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] - 1);

  // By name, denied only.
  await page.fill('#history-form input[name=person]', 'Bob Other');
  await page.selectOption('#history-form select[name=result]', 'denied');
  await page.click('#history-form button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#history-rows tr').length === 3);
  assert.match(await page.textContent('#history-rows tr'), /Bob Other \(E2\)/);
  assert.match(await page.getAttribute('#history-rows tr time', 'title'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'UTC on hover');
  assert.match(await page.textContent('#history-summary'), /3 events shown.*that is all/);
  // Neighbours of the first one.
  const seq = Number(await page.getAttribute('#history-rows tr', 'data-seq'));
  await page.click('#history-rows tr button[data-action=around]');
  await page.waitForSelector(`#history-around:not([hidden]) tr.current[data-seq="${seq}"]`);
  const near = await page.$$eval('#history-around tr', (rows) => rows.map((r) => Number(r.dataset.seq)));
  assert.ok(near.includes(seq - 1) && near.includes(seq + 1), JSON.stringify(near));
  // An ambiguous name is refused in the controller's words.
  await page.fill('#history-form input[name=person]', 'Ann Example');
  await page.selectOption('#history-form select[name=result]', '');
  await page.click('#history-form button[type=submit]');
  await page.waitForFunction(() => /give the id/.test(document.querySelector('#history-form .error').textContent));
  await page.screenshot({ path: join(SHOTS, 'history-guard.png'), fullPage: true });
  await ctx.close();

  // An auditor downloads the same search as a signed export; it verifies.
  const actx = await chrome.browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  failOnConsoleErrors(actx);
  const ap = await actx.newPage();
  ap.on('pageerror', (e) => errors.push(String(e)));
  await ap.goto(stack.base + '/');
  await ap.fill('#login-user', 'auditor1');
  await ap.fill('#login-pass', stack.users.auditor1);
  await ap.click('#login-form button[type=submit]');
  await ap.waitForSelector('#app-view:not([hidden])');
  await ap.click('#tabs button[data-tab=history]');
  await ap.waitForFunction(() => document.querySelectorAll('#history-rows tr').length > 0);
  await ap.fill('#history-form input[name=person]', 'Bob Other');
  await ap.selectOption('#history-form select[name=result]', 'denied');
  await ap.click('#history-export');
  await ap.waitForSelector('#history-export-file');
  assert.match(await ap.textContent('#history-export-result'), /^3 rows, signed by key/);
  const [dl] = await Promise.all([ap.waitForEvent('download'), ap.click('#history-export-file')]);
  const file = join(stack.dir, 'history.csv');
  await dl.saveAs(file);
  const manHref = await ap.$eval('#history-export-result a:last-of-type', (a) => a.href);
  const cookie = (await actx.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const man = await fetch(manHref, { headers: { cookie } });
  assert.equal(man.status, 200);
  writeFileSync(`${file}.manifest.json`, Buffer.from(await man.arrayBuffer()));
  const v = stack.ctl(['audit', 'verify', file]);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /3 rows|rows 3|3 events|ok/);
  await actx.close();
  assert.deepEqual(errors, []);
});

// On a phone (390 px) the search form is one column: each field under the
// one before, as wide as the form, its words above it, nothing past the
// screen's edge; the search still works from there.
test('the History form at 390 px: stacked, no overflow', async () => {
  const ctx = await chrome.browser.newContext({ viewport: { width: 390, height: 844 } });
  failOnConsoleErrors(ctx);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(stack.base + '/');
  await page.fill('#login-user', 'guard1');
  await page.fill('#login-pass', stack.users.guard1);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#app-view:not([hidden])');
  await page.click('#menu-toggle');
  await page.click('#tabs button[data-tab=history]');
  await page.waitForFunction(() => document.querySelectorAll('#history-rows tr').length > 0);
  const layout = await page.evaluate(() => {
    const form = document.querySelector('#history-form').getBoundingClientRect();
    const labels = [...document.querySelectorAll('#history-form > label')].map((l) => {
      const box = l.getBoundingClientRect();
      const field = l.querySelector('select, input:not(.date-native), .date-input').getBoundingClientRect();
      return { left: box.left, top: box.top, bottom: box.bottom, width: box.width, fieldTop: field.top, fieldRight: field.right };
    });
    const over = [...document.querySelectorAll('#history-form *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.classList.contains('date-native'))
      .map((e) => e.outerHTML.slice(0, 80));
    return {
      form, labels, over, inner: window.innerWidth, scroll: document.documentElement.scrollWidth,
    };
  });
  assert.equal(layout.labels.length, 7, 'from, to, door, zone, person, kind, result');
  assert.deepEqual(layout.over, [], 'nothing past the right edge');
  assert.ok(layout.scroll <= layout.inner, `no horizontal scroll: ${layout.scroll} > ${layout.inner}`);
  for (let i = 0; i < layout.labels.length; i++) {
    const l = layout.labels[i];
    assert.ok(Math.abs(l.left - layout.labels[0].left) < 1, `label ${i} in the one column`);
    assert.ok(l.width > layout.form.width * 0.8, `label ${i} as wide as the form`);
    assert.ok(l.fieldTop > l.top + 5, `label ${i}: the words above the field`);
    if (i > 0) assert.ok(l.top >= layout.labels[i - 1].bottom - 1, `label ${i} under the one before`);
  }
  await page.screenshot({ path: join(SHOTS, 'history-form-390.png') });
  await page.selectOption('#history-form select[name=result]', 'denied');
  await page.click('#history-form button[type=submit]');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#history-rows tr')];
    return rows.length > 0 && rows.every((r) => r.dataset.kind === 'access.denied');
  });
  assert.deepEqual(errors, []);
  await ctx.close();
});
