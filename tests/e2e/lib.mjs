// Shared helpers for the e2e tests: each test file starts its own aeogated
// (sim board, temporary state) and aeogate-web on a free loopback port, and
// drives the controller only through aeogatectl.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export const BUILD_DIR = process.env.BUILD_DIR || join(process.cwd(), 'build');
export const SOURCE_DIR = process.env.SOURCE_DIR || process.cwd();
const AEOGATED = join(BUILD_DIR, 'controller/aeogated');
const AEOGATECTL = join(BUILD_DIR, 'controller/ctl/aeogatectl');
const AEOGATE_WEB = join(BUILD_DIR, 'controller/web/aeogate-web');

function simConfig(demo) {
  return `[controller]
site_name = E2E test site
allow_root = true
timezone = Europe/Amsterdam
demo = ${demo ? 'yes' : 'no'}

[door dock-1]
zone = dock
lock = sim
contact = sim
rex = sim
strike_time = 5s
held_time = 30s

[door cage-1]
zone = bonded-cage
lock = sim
lock_type = maglock
contact = sim
rex = sim

[reader dock-1-in]
type = sim
door = dock-1
formats = all

[reader cage-1-in]
type = sim
door = cage-1
formats = h10301,h10304,h10302

[reader cage-1-out]
type = sim
door = cage-1
direction = out
formats = all
`;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what, fn, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const SANITIZER_REPORT = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/;

// The sanitizer reports in the named logs of dir, 40 lines from each; '' when none.
export function sanitizerReports(dir, logs) {
  let out = '';
  for (const name of logs) {
    let text;
    try {
      text = readFileSync(join(dir, name), 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    const at = lines.findIndex((l) => SANITIZER_REPORT.test(l));
    if (at >= 0) out += `--- ${name} ---\n${lines.slice(at, at + 40).join('\n')}\n`;
  }
  return out;
}

// extraConfig: INI text appended to the config (more doors, an [audit] section).
export async function startStack({ demo = true, extraConfig = '' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'aeogate-e2e-'));
  const sock = join(dir, 'ctl.sock');
  writeFileSync(join(dir, 'sim.ini'), simConfig(demo) + extraConfig);
  const dlog = openSync(join(dir, 'aeogated.log'), 'a');
  const daemon = spawn(AEOGATED, ['-c', join(dir, 'sim.ini'), '--state-dir', join(dir, 'state'),
    '--socket', sock], { stdio: ['ignore', dlog, dlog] });
  const stack = { dir, sock, daemon, web: null, base: null };
  stack.ctl = (args, opts = {}) => ctl(sock, args, opts);
  // ctl() reports failure in its status rather than throwing: wait for a 0.
  await waitFor('aeogated', () => stack.ctl(['status']).status === 0);
  const port = await freePort();
  const wlog = openSync(join(dir, 'aeogate-web.log'), 'a');
  stack.web = spawn(AEOGATE_WEB, ['--socket', sock, '--listen', `127.0.0.1:${port}`,
    '--ui', join(SOURCE_DIR, 'ui')], { stdio: ['ignore', wlog, wlog] });
  stack.base = `http://127.0.0.1:${port}`;
  await waitFor('aeogate-web', async () => (await fetch(stack.base + '/')).ok);
  stack.users = {};
  stack.addUser = (name, role) => {
    const password = randomBytes(12).toString('base64url');
    const r = stack.ctl(['user', 'add', name, '--role', role], { input: password + '\n' });
    if (r.status !== 0) throw new Error(`aeogatectl user add ${name}: ${r.stderr}`);
    stack.users[name] = password;
    return password;
  };
  // Stopped, both processes write what a sanitizer found at exit (the ASan
  // suite): a report in either log fails the file, and its directory stays.
  stack.stop = async () => {
    for (const p of [stack.web, stack.daemon]) {
      if (p && p.exitCode === null) {
        p.kill('SIGTERM');
        await new Promise((r) => p.once('exit', r));
      }
    }
    const reports = sanitizerReports(dir, ['aeogated.log', 'aeogate-web.log']);
    if (!process.env.KEEP_TMP && !reports) rmSync(dir, { recursive: true, force: true });
    if (reports) throw new Error(`a sanitizer report (kept in ${dir}):\n${reports}`);
  };
  return stack;
}

// Runs aeogatectl; returns { status, stdout, stderr } without throwing.
export function ctl(sock, args, { input } = {}) {
  try {
    const stdout = execFileSync(AEOGATECTL, ['--socket', sock, ...args],
      { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (e) {
    if (e.status === undefined || e.status === null) throw e;
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

export function mustCtl(stack, args, opts) {
  const r = stack.ctl(args, opts);
  if (r.status !== 0) throw new Error(`aeogatectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// Logs in; returns { cookie, csrf, res, body }.
export async function login(stack, username, password) {
  const res = await fetch(stack.base + '/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: password ?? stack.users[username] }),
  });
  const body = await res.json();
  const setCookie = res.headers.get('set-cookie') || '';
  const cookie = setCookie.split(';')[0];
  return { res, body, cookie, csrf: body.csrf, setCookie };
}

// An API call with a session: { status, headers, body }.
export async function api(stack, session, method, path, body, extraHeaders = {}) {
  const headers = { ...extraHeaders };
  if (session && session.cookie) headers.cookie = session.cookie;
  if (method !== 'GET') {
    if (!('content-type' in headers)) headers['content-type'] = 'application/json';
    if (session && session.csrf && !('x-csrf-token' in headers)) headers['x-csrf-token'] = session.csrf;
  }
  const res = await fetch(stack.base + path, {
    method, headers, body: method === 'GET' ? undefined : (typeof body === 'string' ? body : JSON.stringify(body ?? {})),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, body: json, text };
}

// H10301 26-bit frame (even parity over the first 12 data bits, odd over the last 12).
export function h10301Bits(fc, cn) {
  const data = fc.toString(2).padStart(8, '0') + cn.toString(2).padStart(16, '0');
  const ones = (s) => [...s].filter((c) => c === '1').length;
  return (ones(data.slice(0, 12)) % 2 ? '1' : '0') + data + (ones(data.slice(12)) % 2 ? '0' : '1');
}

export { sleep, waitFor };

// A minimal WebSocket client (node 20 has none built in): resolves with
// { status } when the upgrade is refused, or a client collecting text frames.
export async function wsOpen(stack, cookie, since, { origin } = {}) {
  const { request } = await import('node:http');
  const url = new URL(stack.base);
  const key = randomBytes(16).toString('base64');
  const headers = {
    Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': 'aeogate-stream',
  };
  if (cookie) headers.Cookie = cookie;
  if (origin) headers.Origin = origin;
  const path = '/api/stream' + (since === undefined ? '' : `?since=${since}`);
  return new Promise((resolve) => {
    const req = request({ host: url.hostname, port: url.port, path, headers });
    req.on('response', (res) => { res.resume(); resolve({ status: res.statusCode, refused: true }); });
    req.on('error', () => resolve({ status: 0, refused: true }));
    req.on('upgrade', (res, socket, head) => {
      const client = { status: 101, refused: false, messages: [], closeCode: null, socket };
      let buf = Buffer.alloc(0);
      const waiters = [];
      const wake = () => { for (const w of waiters.splice(0)) w(); };
      client.closed = new Promise((r) => socket.on('close', () => { wake(); r(client.closeCode); }));
      const onData = (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          if (buf.length < 2) break;
          const op = buf[0] & 0x0f;
          let len = buf[1] & 0x7f;
          let off = 2;
          if (len === 126) { if (buf.length < 4) break; len = buf.readUInt16BE(2); off = 4; }
          else if (len === 127) { if (buf.length < 10) break; len = Number(buf.readBigUInt64BE(2)); off = 10; }
          if (buf.length < off + len) break;
          const payload = buf.subarray(off, off + len);
          buf = buf.subarray(off + len);
          if (op === 1) client.messages.push(JSON.parse(payload.toString('utf8')));
          else if (op === 8) { client.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005; socket.end(); }
        }
        wake();
      };
      socket.on('data', onData);
      // Frames may arrive in the same packet as the 101 response.
      if (head && head.length) onData(head);
      client.waitFor = async (pred, timeoutMs = 5000) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const m = client.messages.find(pred);
          if (m) return m;
          if (Date.now() > deadline || socket.destroyed) throw new Error('no such message');
          await new Promise((r) => { waiters.push(r); setTimeout(r, 100); });
        }
      };
      client.close = () => socket.destroy();
      resolve(client);
    });
    req.end();
  });
}

/*
 * Debian's chromium (never a downloaded browser), headless as root.
 * launch() gives it a fresh temporary profile of its own (playwright refuses
 * --user-data-dir); TMPDIR points it at a directory of ours, removed with
 * it, which also holds the tests' downloads. Returns
 * { browser, profile }; closeChromium takes it back (either part may be unset).
 */
export async function launchChromium({ args = [] } = {}) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'aeogate-chromium-'));
  process.env.TMPDIR = profile;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', ...args],
  });
  return { browser, profile };
}

export async function closeChromium({ browser, profile } = {}) {
  if (browser) await browser.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
}

/*
 * The page checks every browser test can use (issue 17): the three sizes a
 * guard desk, a tablet and a phone give the dashboard; console errors and
 * horizontal overflow as failures; an axe-core scan; a screenshot of each
 * page under BUILD_DIR/e2e-shots/<role>-<page>-<size>.png (CI keeps build/).
 */
export const SIZES = [
  { name: '1440x900', width: 1440, height: 900 },
  { name: '1024x768', width: 1024, height: 768 },
  { name: '390x844', width: 390, height: 844 },
];
export const SHOTS_DIR = join(BUILD_DIR, 'e2e-shots');

// Collects every console error and uncaught page error of a page, none excused.
export function watchConsole(page) {
  const errors = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = (m.location() && m.location().url) || '';
    errors.push(`${m.text()} (${url})`);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

// Opens a context of the given size (and locale) and signs in; returns
// { context, page, errors }. Without a user the page stays at the sign-in form.
export async function openDashboard(browser, stack, user, { size = SIZES[0], locale, timezoneId } = {}) {
  const context = await browser.newContext({
    viewport: { width: size.width, height: size.height }, locale, timezoneId,
  });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await page.goto(stack.base + '/');
  await page.waitForSelector('#login-view:not([hidden])');
  if (user) {
    await page.fill('#login-user', user);
    await page.fill('#login-pass', stack.users[user]);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app-view:not([hidden])');
    await page.waitForSelector('#conn[data-state="connected"]', { timeout: 15000 });
  }
  return { context, page, errors };
}

// The page's width beyond the viewport in px (0: no horizontal scroll), and
// the widest offenders, to say what to fix.
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const over = document.scrollingElement.scrollWidth - window.innerWidth;
    const culprits = [];
    if (over > 0) {
      for (const e of document.querySelectorAll('body *')) {
        const r = e.getBoundingClientRect();
        if (r.right > window.innerWidth + 1 && r.width > 0 && e.offsetParent !== null) {
          culprits.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''} right=${Math.round(r.right)}`);
        }
        if (culprits.length >= 8) break;
      }
    }
    return { over, culprits };
  });
}

// Runs axe-core (node_modules/axe-core, as playwright-core is installed) in
// the page; returns the serious and critical violations as text lines.
export async function axeScan(page) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  // Evaluated through the devtools protocol: the page's CSP (script-src 'self') stays on.
  if (!has) await page.evaluate(readFileSync(join(SOURCE_DIR, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  const result = await page.evaluate(async () => window.axe.run(document, {
    resultTypes: ['violations'],
  }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

export async function screenshot(page, role, pageName, size) {
  mkdirSync(SHOTS_DIR, { recursive: true });
  const file = join(SHOTS_DIR, `${role}-${pageName}-${size.name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// All the checks on the page as it is now: no console error so far, no
// horizontal overflow, no serious or critical axe violation; then its
// screenshot. Returns a list of problems (empty when the page passes).
export async function checkPage(page, errors, { role, name, size }) {
  const problems = [];
  const where = `${role} ${name} ${size.name}`;
  const { over, culprits } = await horizontalOverflow(page);
  if (over > 0) problems.push(`${where}: ${over}px horizontal overflow (${culprits.join('; ')})`);
  for (const v of await axeScan(page)) problems.push(`${where}: axe ${v}`);
  for (const e of errors.splice(0)) problems.push(`${where}: console error ${e}`);
  await screenshot(page, role, name, size);
  return problems;
}

// A row's action through its Actions menu (ui/menu.js), as a person clicks it.
export async function clickRowAction(page, row, action) {
  await page.click(`${row} .row-menu-button`);
  await page.click(`${row} [role=menuitem][data-action="${action}"]`);
}

// Waits for the polite toast that confirms a change (ui/shell.js's DONE
// table), as the person sees it.
export async function toastSays(page, text) {
  await page.locator('#toasts .toast', { hasText: text }).first().waitFor({ timeout: 15000 });
}

// Clicks a button that opens the confirmation dialog, again when no dialog
// came: the live stream may redraw the row between the press and the
// release of the first click (the click then lands on no button).
export async function clickForConfirm(page, selector, tries = 3) {
  for (let i = 1; ; i++) {
    await page.click(selector);
    try {
      await page.waitForSelector('#confirm-dialog[open]', { timeout: 5000 });
      return;
    } catch (e) {
      if (i >= tries) throw e;
    }
  }
}

// Picks an option of a <select> on a board that events redraw. Playwright
// finds the element, then sets it in a later step; a redraw in between
// leaves the choice on a detached copy and the page's own select as it was
// (a person always picks on the live page). So: pick again until the page's
// select shows the value and the page saw the change (data-dirty, which
// keeps the choice across later redraws: ui/app.js redrawKeeping).
export async function pick(page, selector, value, tries = 5) {
  for (let i = 1; ; i++) {
    await page.selectOption(selector, value);
    const live = await page.$eval(selector, (s, v) => s.value === v && (!s.dataset.keep || s.dataset.dirty === '1'), value);
    if (live) return;
    if (i >= tries) throw new Error(`${selector}: the page's select does not show ${value}`);
  }
}

// Answers the confirmation dialog a destructive action opens (ui/menu.js).
export async function answerConfirm(page, { accept = true } = {}) {
  await page.waitForSelector('#confirm-dialog[open]');
  await page.click(accept ? '#confirm-ok' : '#confirm-cancel');
  await page.waitForSelector('#confirm-dialog:not([open])', { state: 'attached' });
}

// Makes a context's close() fail when any of its pages logged a console
// error: one line in a test file's sign-in helper puts all of its tests
// under the rule that no page logs an error. `refusals` names the answers a
// test provokes on purpose (chromium logs every 4xx a fetch gets, e.g. the
// 400 for a lockdown without a comment): [/400 .*\/api\/site\/lockdown/].
export function failOnConsoleErrors(context, { refusals = [] } = {}) {
  const all = [];
  const errors = {
    push: (e) => {
      if (!(/status of 4\d\d/.test(e) && refusals.some((r) => r.test(e)))) all.push(e);
    },
  };
  context.on('page', (page) => watchConsoleInto(page, errors));
  for (const page of context.pages()) watchConsoleInto(page, errors);
  const close = context.close.bind(context);
  context.close = async (...args) => {
    await close(...args);
    if (all.length) throw new Error(`console errors:\n${all.join('\n')}`);
  };
  return all;
}

function watchConsoleInto(page, errors) {
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${(m.location() && m.location().url) || ''})`);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
}

// A new browser context at viewport, signed in as user, once the live
// stream is connected: openDashboard's { page, context, errors } (every
// console error and uncaught page error).
export function signInPage(browser, stack, user, viewport = SIZES[0]) {
  return openDashboard(browser, stack, user, { size: viewport });
}
