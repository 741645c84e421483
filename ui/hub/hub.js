// The fleet page of aeogate-hub serve: polls GET /api/fleet every 2 s and
// shows every controller (filtered by the site selector) and the hub's
// alarms. Read-only: the page has no actions and the server no session.
import { setTimeZone, timeZoneLabel, timeElement } from '/format.js';

const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);
let last = null;

// The office sees its own time zone; UTC is on hover of every time.
setTimeZone(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
$('tz').textContent = timeZoneLabel();

// The column headings, for the phone layout's cell labels (style.css).
const headings = [...document.querySelectorAll('#controllers thead th')].map((th) => th.textContent);

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.dataset.label = headings[tr.children.length] || '';
  if (text instanceof Node) td.append(text);
  else td.textContent = text;
  if (cls) td.className = cls;
  tr.append(td);
  return td;
}

function age(s) {
  if (s === null || s === undefined) return '';
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

function renderSites(sites) {
  const sel = $('site-select');
  const keep = sel.value;
  const have = [...sel.options].slice(1).map((o) => o.value);
  if (have.join('\n') !== sites.join('\n')) {
    while (sel.options.length > 1) sel.remove(1);
    for (const s of sites) sel.add(new Option(s, s));
  }
  // A site that left the store falls back to all sites rather than an empty table.
  sel.value = sites.includes(keep) ? keep : '';
}

function renderControllers(fleet, site) {
  const body = $('controller-rows');
  const rows = fleet.controllers.filter((c) => !site || c.site === site);
  body.replaceChildren();
  for (const c of rows) {
    const tr = document.createElement('tr');
    tr.dataset.site = c.site;
    tr.dataset.controller = c.controller;
    if (c.state === 'offline') tr.classList.add('is-offline');
    if (c.open_alarms > 0) tr.classList.add('has-alarms');
    cell(tr, c.site);
    cell(tr, c.controller, 'name');
    const badge = document.createElement('span');
    badge.className = `badge ${c.state}`;
    badge.textContent = c.state;
    cell(tr, badge, 'state');
    const seen = document.createElement('span');
    if (c.status_at) {
      seen.append(timeElement(c.status_at), ` (${age(c.status_age_s)})`);
    } else {
      seen.textContent = 'never';
    }
    cell(tr, seen, 'seen');
    cell(tr, String(c.verified_seq), 'stored');
    cell(tr, String(c.lag), c.lag > 0 ? 'lag behind' : 'lag');
    cell(tr, String(c.applied_version), 'applied');
    cell(tr, c.key_id ? c.key_id : 'not pinned', 'key');
    cell(tr, c.checkpoint_seq ? `seq ${c.checkpoint_seq}` : 'none', 'checkpoint');
    cell(tr, String(c.open_alarms), 'alarms');
    body.append(tr);
  }
  $('no-controllers').hidden = rows.length > 0;
  const shown = fleet.controllers.filter((c) => !site || c.site === site);
  const online = shown.filter((c) => c.online).length;
  $('totals').textContent = site
    ? `${shown.length} controllers at ${site}, ${online} online`
    : `${fleet.totals.controllers} controllers, ${fleet.totals.online} online, `
      + `${fleet.totals.events} events stored, ${fleet.totals.alarms} alarms`;
}

function renderAlarms(fleet, site) {
  const list = $('alarm-list');
  const alarms = fleet.alarms.filter((a) => !site || a.site === site);
  list.replaceChildren();
  // Newest first: the one that just came is the one to read.
  for (const a of [...alarms].reverse()) {
    const li = document.createElement('li');
    li.dataset.kind = a.kind;
    const kind = document.createElement('span');
    kind.className = 'kind';
    kind.textContent = a.kind;
    const where = document.createElement('span');
    where.textContent = `${a.site}/${a.controller} seq ${a.seq}`;
    const msg = document.createElement('span');
    msg.className = 'message';
    msg.textContent = a.message;
    li.append(timeElement(a.ts), kind, where, msg);
    list.append(li);
  }
  $('no-alarms').hidden = alarms.length > 0;
  $('alarm-count').textContent = alarms.length ? `(${alarms.length})` : '';
}

function render() {
  if (!last) return;
  const site = $('site-select').value;
  renderControllers(last, site);
  renderAlarms(last, site);
  $('generated').replaceChildren('as of ', timeElement(last.generated));
}

function setConn(state, text) {
  const c = $('conn');
  c.dataset.state = state;
  c.textContent = text;
}

async function poll() {
  try {
    const r = await fetch('/api/fleet', { cache: 'no-store' });
    const body = await r.json();
    if (!r.ok) throw new Error(body?.error?.message || `HTTP ${r.status}`);
    last = body;
    renderSites(body.sites);
    render();
    $('error').textContent = '';
    setConn('connected', 'live');
  } catch (e) {
    // Keep the last figures on screen, marked as not current.
    $('error').textContent = `Cannot refresh: ${e.message}`;
    setConn('reconnecting', 'stale');
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

$('site-select').addEventListener('change', render);
poll();
