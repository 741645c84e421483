// The site plan (README "Site plan"): through the API, oversize,
// wrong-type (SVG), malformed and empty images and the wrong roles are
// refused with a clear message and nothing is stored; in a real browser
// (Debian's chromium through playwright-core) an admin uploads a plan on the
// Overview, drags door markers onto it, and after a reload they are where
// they were dropped; a guard sees the markers with the doors' live states
// (a door forced through the simulator turns its marker to "forced") and a
// marker opens the door's panel. The served image is the uploaded bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import {
  startStack, mustCtl, login, api, BUILD_DIR, launchChromium, closeChromium, signInPage,
} from './lib.mjs';
import { makePng } from './images.mjs';

const SHOTS = join(BUILD_DIR, 'e2e-shots');
let stack;
let browser;
let profile;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ demo: true });
  for (const role of ['guard', 'manager', 'admin']) stack.addUser(`${role}1`, role);
  ({ browser, profile } = await launchChromium());
});

after(async () => {
  await closeChromium({ browser, profile });
  if (stack) await stack.stop();
});

const events = () => mustCtl(stack, ['events', '--json']).split('\n').filter(Boolean).map((l) => JSON.parse(l));
const planEvents = () => events().filter((e) => e.kind === 'site.plan' || e.kind === 'site.marker');

// POST of raw bytes with a session (the CSRF token as the dashboard sends it).
async function postRaw(session, path, body, type) {
  const res = await fetch(stack.base + path, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': type },
    body,
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: res.status, body: json, text };
}

test('bad images, wrong roles and bad markers are refused with a clear message, and nothing is stored', async () => {
  const admin = await login(stack, 'admin1');
  const manager = await login(stack, 'manager1');
  const guard = await login(stack, 'guard1');
  const png = makePng(320, 200);
  const before = planEvents().length;
  const refusals = [
    // [session, body, type, status, message]
    [admin, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), 'image/svg+xml', 415, /image\/png or image\/jpeg/],
    [admin, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'image/png', 415, /not a PNG or JPEG/],
    [admin, Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;'), 'image/png', 415, /not a PNG or JPEG/],
    [admin, png.subarray(0, png.length - 12), 'image/png', 400, /malformed or truncated/],
    [admin, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x7f, 0x00, 0x4a]), 'image/jpeg', 400, /malformed or truncated/],
    [admin, makePng(9000, 10), 'image/png', 400, /width or height/],
    [admin, Buffer.alloc(0), 'image/png', 400, /empty/],
    [manager, png, 'image/png', 403, /./],
    [guard, png, 'image/png', 403, /./],
  ];
  for (const [session, body, type, status, message] of refusals) {
    const r = await postRaw(session, '/api/site/plan', body, type);
    assert.equal(r.status, status, `${type} ${body.length} bytes: ${r.text}`);
    assert.match(r.body.error.message, message, r.text);
  }
  // Over 1 MiB: refused from its Content-Length, before the body is read
  // (the client sends only its first bytes; the answer comes anyway).
  const url = new URL(stack.base);
  const big = await new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: '/api/site/plan', method: 'POST',
      headers: {
        'content-type': 'image/png', 'content-length': String(1024 * 1024 + 1),
        cookie: admin.cookie, 'x-csrf-token': admin.csrf,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.write(png.subarray(0, 64));
  });
  assert.equal(big.status, 413, big.text);
  assert.match(JSON.parse(big.text).error.message, /larger than 1 MiB/);
  // JSON where an image belongs.
  let r = await api(stack, admin, 'POST', '/api/site/plan', { image: 'x' });
  assert.equal(r.status, 415, r.text);
  r = await api(stack, admin, 'GET', '/api/site/plan');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.plan, null, 'nothing stored');
  r = await api(stack, admin, 'GET', '/api/site/plan/image');
  assert.equal(r.status, 404, r.text);

  // Markers: bad JSON, out of range, unknown door, a guard, an empty body.
  r = await api(stack, admin, 'POST', '/api/site/markers', '{"door":');
  assert.equal(r.status, 400, r.text);
  r = await api(stack, admin, 'POST', '/api/site/markers', {});
  assert.equal(r.status, 400, r.text);
  r = await api(stack, admin, 'POST', '/api/site/markers', { door: 'dock-1', x: 1.5, y: 0.2 });
  assert.equal(r.status, 400, r.text);
  assert.match(r.body.error.message, /'x' must be a number from 0 to 1/);
  r = await api(stack, admin, 'POST', '/api/site/markers', { door: 'dock-1', x: '0.5', y: 0.2 });
  assert.equal(r.status, 400, r.text);
  r = await api(stack, admin, 'POST', '/api/site/markers', { door: 'nowhere', x: 0.5, y: 0.2 });
  assert.equal(r.status, 404, r.text);
  r = await api(stack, guard, 'POST', '/api/site/markers', { door: 'dock-1', x: 0.5, y: 0.2 });
  assert.equal(r.status, 403, r.text);
  r = await api(stack, manager, 'POST', '/api/site/plan/remove');
  assert.equal(r.status, 403, r.text);
  r = await api(stack, admin, 'POST', '/api/site/plan/remove');
  assert.equal(r.status, 404, r.text);
  r = await api(stack, admin, 'POST', '/api/site/markers', 'x'.repeat(20000));
  assert.equal(r.status, 413, r.text);
  r = await api(stack, admin, 'GET', '/api/site/plan');
  assert.deepEqual(r.body.markers, [], 'no marker stored');
  assert.equal(planEvents().length, before, 'no site.plan or site.marker event');
  // Signed out: nothing.
  r = await api(stack, null, 'GET', '/api/site/plan/image');
  assert.equal(r.status, 401, r.text);
});

async function signIn(user) {
  const r = await signInPage(browser, stack, user);
  await r.page.waitForSelector('#tab-overview:not([hidden]) #ov-door-counts');
  return r;
}

// Drags a marker (from the tray or the plan) to (fx, fy) of the plan image.
async function dragTo(page, door, fx, fy) {
  const m = await page.locator(`.plan-marker[data-door="${door}"]`).boundingBox();
  const box = await page.locator('#plan-image').boundingBox();
  await page.mouse.move(m.x + m.width / 2, m.y + m.height / 2);
  await page.mouse.down();
  const tx = box.x + box.width * fx;
  const ty = box.y + box.height * fy;
  await page.mouse.move((m.x + tx) / 2, (m.y + ty) / 2, { steps: 5 });
  await page.mouse.move(tx, ty, { steps: 5 });
  await page.mouse.up();
}

const markerAt = (page, door) => page.$eval(`#plan .plan-marker[data-door="${door}"]`, (b) => {
  const img = document.querySelector('#plan-image').getBoundingClientRect();
  const r = b.getBoundingClientRect();
  return { x: (r.left + r.width / 2 - img.left) / img.width, y: (r.top + r.height / 2 - img.top) / img.height };
});

test('an admin uploads a plan and drags markers; they stay after a reload, and a guard sees them live', async () => {
  const file = join(stack.dir, 'plan.png');
  const png = makePng(800, 480);
  writeFileSync(file, png);
  const svg = join(stack.dir, 'plan.svg');
  writeFileSync(svg, '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

  const { page, context, errors } = await signIn('admin1');
  // No plan: the door grid, and the admin's upload control.
  await page.waitForSelector('#ov-door-grid [data-door="dock-1"]');
  await page.waitForSelector('#plan-controls #plan-file');
  // An SVG is refused in the controller's words; nothing changes.
  await page.setInputFiles('#plan-file', svg);
  await page.waitForSelector('#plan-error:has-text("image/png or image/jpeg")');
  assert.equal(await page.$('#plan-image[src]'), null);

  await page.setInputFiles('#plan-file', file);
  await page.waitForSelector('#plan-result:has-text("Site plan saved")');
  await page.waitForSelector('#plan-image[src]');
  await page.waitForFunction(() => document.querySelector('#plan-image').naturalWidth === 800);
  // Both doors wait in the tray; drag them onto the plan.
  await page.waitForSelector('#plan-tray .plan-marker[data-door="dock-1"]');
  await dragTo(page, 'dock-1', 0.25, 0.4);
  await page.waitForSelector('#plan .plan-marker[data-door="dock-1"]');
  await page.waitForSelector('#plan-tray .plan-marker[data-door="cage-1"]');
  await dragTo(page, 'cage-1', 0.75, 0.6);
  await page.waitForSelector('#plan .plan-marker[data-door="cage-1"]');
  // Moved again, from where it is.
  await dragTo(page, 'cage-1', 0.7, 0.5);
  await page.waitForFunction(() => {
    const b = document.querySelector('#plan .plan-marker[data-door="cage-1"]');
    return b && b.style.left.startsWith('70') && b.style.top.startsWith('50');
  });

  // The keyboard: a focused marker moves by 1 % per arrow key.
  const top = () => page.$eval('#plan .plan-marker[data-door="dock-1"]', (b) => parseFloat(b.style.top));
  const top0 = await top();
  const topIs = (want) => page.waitForFunction(([w]) => Math.abs(parseFloat(
    document.querySelector('#plan .plan-marker[data-door="dock-1"]').style.top) - w) < 0.1, [want]);
  await page.focus('#plan .plan-marker[data-door="dock-1"]');
  await page.keyboard.press('ArrowUp');
  await topIs(top0 - 1);
  await page.keyboard.press('ArrowDown');
  await topIs(top0);

  // Stored by the controller: after a reload they are where they were dropped.
  await page.reload();
  await page.waitForSelector('#app-view:not([hidden])');
  await page.waitForSelector('#plan .plan-marker[data-door="cage-1"]');
  await page.waitForFunction(() => document.querySelector('#plan-image').naturalWidth === 800);
  const dock = await markerAt(page, 'dock-1');
  const cage = await markerAt(page, 'cage-1');
  assert.ok(Math.abs(dock.x - 0.25) < 0.02 && Math.abs(dock.y - 0.4) < 0.02, JSON.stringify(dock));
  assert.ok(Math.abs(cage.x - 0.7) < 0.02 && Math.abs(cage.y - 0.5) < 0.02, JSON.stringify(cage));
  assert.equal(await page.$('#plan-tray .plan-marker'), null, 'every door is on the plan');
  await page.screenshot({ path: join(SHOTS, 'siteplan-admin.png') });
  // Only the SVG's refusal, provoked on purpose (chromium logs every 4xx).
  assert.deepEqual(errors.filter((e) => !/status of 415 .*\/api\/site\/plan/.test(e)), []);
  await context.close();

  // The controller has it: the same bytes back, the events with the hash, the positions.
  const session = await login(stack, 'guard1');
  const res = await fetch(stack.base + '/api/site/plan/image', { headers: { cookie: session.cookie } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(png), 'the served image is the uploaded one');
  const shown = (await api(stack, session, 'GET', '/api/site/plan')).body;
  assert.equal(shown.plan.width, 800);
  assert.equal(shown.plan.height, 480);
  assert.equal(shown.plan.bytes, png.length);
  const evs = planEvents();
  const up = evs.find((e) => e.kind === 'site.plan');
  assert.equal(up.detail.action, 'uploaded');
  assert.equal(up.detail.after.sha256, shown.plan.sha256);
  assert.equal(up.detail.operator, 'user:admin1');
  assert.ok(!JSON.stringify(up).includes(png.subarray(16, 64).toString('base64')), 'no image bytes in the chain');
  assert.equal(evs.filter((e) => e.kind === 'site.marker' && e.door === 'cage-1').length, 2);

  // A guard: the markers with the live state; no upload control; a marker opens the door.
  const g = await signIn('guard1');
  await g.page.waitForSelector('#plan .plan-marker[data-door="cage-1"][data-state="locked"]');
  assert.equal(await g.page.$('#plan-controls'), null, 'no plan controls for a guard');
  mustCtl(stack, ['sim', 'door', 'cage-1', 'open']);
  await g.page.waitForSelector('#plan .plan-marker[data-door="cage-1"][data-state="forced"]', { timeout: 15000 });
  assert.match(await g.page.textContent('#plan .plan-marker[data-door="cage-1"]'), /forced/);
  await g.page.screenshot({ path: join(SHOTS, 'siteplan-guard-forced.png') });
  mustCtl(stack, ['sim', 'door', 'cage-1', 'close']);
  await g.page.waitForSelector('#plan .plan-marker[data-door="cage-1"][data-state="locked"]', { timeout: 15000 });
  await g.page.click('#plan .plan-marker[data-door="cage-1"]');
  await g.page.waitForSelector('#tab-doors:not([hidden]) #doors [data-door="cage-1"]');
  assert.deepEqual(g.errors, []);
  await g.context.close();
});
