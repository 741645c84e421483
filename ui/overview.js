// The Overview: the landing page of every role. Doors by state with counts
// (as the site plan when one is stored, else a door grid), open alarms by
// priority with their age, people on site now (the muster), readers
// offline, storage and clock health. It follows the live stream: an event
// that can change any of these reloads them from the controller (debounced),
// so a door forced at the far end of the site moves the counts without a
// page reload. The controller stays the source of truth: nothing here is
// counted from events alone.
import { get } from './api.js';
import { formatTime, formatUtc, timeElement, kindText } from './format.js';
import { sortAlarms } from './alarms.js';
import { el } from './dom.js';

// The door states a guard sees, in the order the counts are shown.
export const DOOR_STATES = ['locked', 'unlocked', 'open', 'forced', 'held', 'offline'];

// A door is "offline" when it has readers and none of them answers: its
// badges cannot be read. A forced or held door stays forced or held (the
// alarm matters more than the reader).
export function doorOverviewState(door, readersByName) {
  if (door.state === 'forced' || door.state === 'held') return door.state;
  const readers = (door.readers || []).map((n) => readersByName.get(n)).filter(Boolean);
  if (readers.length && readers.every((r) => !r.online)) return 'offline';
  return door.state;
}

// The controller ranks each alarm (`priority`, 1 = most urgent: duress >
// forced > tamper > held > reader offline, README "Alarms"); this names the
// rank beside it, in words.
const PRIORITY_NAMES = { 1: 'duress', 2: 'forced', 3: 'tamper or integrity', 4: 'held', 5: 'reader offline', 6: 'backup' };

function priorityName(a) {
  return PRIORITY_NAMES[a.priority] || 'other';
}

// "3 min", "2 h 5 min", "4 d 1 h": how long an alarm has been open.
export function ageText(fromIso, nowMs = Date.now()) {
  const s = Math.max(0, Math.floor((nowMs - Date.parse(fromIso)) / 1000));
  if (!Number.isFinite(s)) return '';
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function bytesText(n) {
  if (typeof n !== 'number') return 'unknown';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${u ? v.toFixed(1) : v} ${units[u]}`;
}

function uptimeText(s) {
  if (typeof s !== 'number') return 'unknown';
  return ageText(new Date(Date.now() - s * 1000).toISOString());
}

// Events whose kinds can change what the Overview shows.
const RELOAD_ON = /^(door|reader|alarm|access|apb|site|zone|visitor|system|clock)\./;

// openDoor(name): shows the door's panel;
// openTab(name): shows another tab.
// plan: the site plan view (ui/siteplan.js), or null: the door grid alone.
export function setupOverview({
  openDoor, openTab, onError, plan,
}) {
  const root = document.querySelector('#overview');
  const view = {
    doors: [], readers: [], alarms: [], muster: [], status: null, loaded: false,
  };
  let timer = null;
  let loading = null;
  let again = false;

  async function load() {
    if (loading) { again = true; return loading; }
    loading = (async () => {
      try {
        const [status, doors, readers, alarms, muster] = await Promise.all([
          get('/api/status'), get('/api/doors'), get('/api/readers'),
          get('/api/alarms?open=1&limit=1000').catch(() => []), get('/api/muster').catch(() => [])]);
        Object.assign(view, { status, doors, readers, alarms, muster, loaded: true });
        if (plan) await plan.load().catch(onError);
        render();
      } catch (e) {
        onError(e);
      } finally {
        loading = null;
      }
    })();
    await loading;
    if (again) { again = false; return load(); }
    return undefined;
  }

  function onEvent(ev) {
    if (!RELOAD_ON.test(ev.kind) || root.closest('[hidden]')) return;
    clearTimeout(timer);
    timer = setTimeout(load, 150);
  }

  function doorStates() {
    const readersByName = new Map(view.readers.map((r) => [r.name, r]));
    return view.doors.map((d) => ({ door: d, state: doorOverviewState(d, readersByName) }));
  }

  function countsBlock(states) {
    return el('ul', { id: 'ov-door-counts', class: 'ov-counts', 'aria-label': 'Doors by state' },
      ...DOOR_STATES.map((s) => {
        const n = states.filter((x) => x.state === s).length;
        return el('li', { class: `ov-count door-${s}`, 'data-state': s, 'data-count': String(n) },
          el('span', { class: 'count', text: String(n) }), el('span', { class: 'word', text: s }));
      }));
  }

  function doorGrid(states) {
    return el('ul', { id: 'ov-door-grid', class: 'ov-door-grid', 'aria-label': 'Doors' },
      ...states.map(({ door, state: s }) => el('li', {},
        el('button', {
          type: 'button', class: `ov-door door-${s}`, 'data-door': door.name, 'data-state': s,
          title: `Open the panel of door ${door.name}`, onclick: () => openDoor(door.name),
        }, el('span', { class: 'name', text: door.name }), el('span', { class: 'zone', text: door.zone || '' }),
        el('span', { class: 'state', text: s })))));
  }

  function alarmsBlock() {
    const now = Date.now();
    const rows = sortAlarms(view.alarms.filter((a) => a.state !== 'closed'))
      .map((a) => ({ a, p: { rank: a.priority, name: priorityName(a) } }));
    if (!rows.length) return el('p', { id: 'ov-alarms', class: 'ov-none', 'data-count': '0', text: 'No open alarms.' });
    return el('ol', { id: 'ov-alarms', class: 'ov-alarms', 'data-count': String(rows.length) },
      ...rows.map(({ a, p }) => el('li', { class: `ov-alarm ov-prio-${p.rank}`, 'data-kind': a.kind, 'data-state': a.state },
        el('span', { class: 'prio', text: p.name }),
        el('span', { class: 'what', text: `${kindText(a.kind)}${a.door ? ` · door ${a.door}` : ''}` }),
        el('span', { class: 'state', text: a.state }),
        el('time', { datetime: a.raised, title: `${formatTime(a.raised)} (${formatUtc(a.raised)})`, text: `${ageText(a.raised, now)} ago` }))));
  }

  function peopleBlock() {
    const persons = new Set(view.muster.map((r) => r.person));
    const zones = new Map();
    for (const r of view.muster) zones.set(r.zone, (zones.get(r.zone) || 0) + 1);
    return el('div', {},
      el('p', { class: 'ov-big' }, el('span', { id: 'ov-people', 'data-count': String(persons.size), text: String(persons.size) }),
        ` ${persons.size === 1 ? 'person' : 'people'} on site`),
      el('ul', { class: 'ov-list' }, ...[...zones].map(([z, n]) => el('li', { 'data-zone': z, text: `${z}: ${n}` }))),
      el('button', { type: 'button', class: 'secondary', onclick: () => openTab('muster'), text: 'Muster list' }));
  }

  function readersBlock() {
    const off = view.readers.filter((r) => !r.online);
    return el('div', {},
      el('p', { class: 'ov-big' }, el('span', { id: 'ov-readers-offline', 'data-count': String(off.length), text: String(off.length) }),
        ` of ${view.readers.length} offline`),
      off.length ? el('ul', { class: 'ov-list' }, ...off.map((r) => el('li', { class: 'offline', text: `${r.name}${r.door ? ` (door ${r.door})` : ''}` }))) : null);
  }

  function healthBlock() {
    const s = view.status || {};
    const synced = s.clock_synced;
    const backup = s.last_backup;
    const row = (label, value, attrs = {}) => [el('dt', { text: label }), el('dd', attrs, value)];
    return el('dl', { id: 'ov-health', class: 'ov-health' },
      ...row('Database', bytesText(s.db_bytes), { 'data-field': 'db_bytes' }),
      ...row('Free space', bytesText(s.free_bytes), {
        'data-field': 'free_bytes', class: s.storage_failing ? 'bad' : null,
      }),
      ...row('Storage', s.storage_failing ? 'failing' : 'ok', { 'data-field': 'storage', class: s.storage_failing ? 'bad' : 'ok' }),
      ...row('Clock', synced === true ? 'synchronized' : synced === false ? 'not synchronized' : 'unknown', {
        'data-field': 'clock_synced', class: synced === false ? 'bad' : synced === true ? 'ok' : null,
      }),
      ...row('Up for', uptimeText(s.uptime_s), { 'data-field': 'uptime_s' }),
      ...row('Last backup', backup && backup.ts ? timeElement(backup.ts) : 'none', { 'data-field': 'last_backup' }));
  }

  function card(id, title, ...body) {
    return el('section', { class: 'ov-card', id, 'aria-labelledby': `${id}-title` },
      el('h2', { id: `${id}-title`, text: title }), ...body);
  }

  function render() {
    // A marker being dragged keeps its element: the drop redraws.
    if (!view.loaded || (plan && plan.busy())) return;
    const states = doorStates();
    const grid = doorGrid(states);
    // The plan's markers are kept across redraws: one that had the focus keeps it.
    const focused = root.contains(document.activeElement) ? document.activeElement : null;
    root.replaceChildren(
      card('ov-doors-card', 'Doors', countsBlock(states), plan ? plan.render(states, grid) : grid),
      card('ov-alarms-card', 'Open alarms', alarmsBlock()),
      card('ov-people-card', 'People on site', peopleBlock()),
      card('ov-readers-card', 'Readers offline', readersBlock()),
      card('ov-health-card', 'Storage and clock', healthBlock()));
    if (focused && focused.isConnected && document.activeElement !== focused) focused.focus({ preventScroll: true });
  }

  // Ages move with the clock: redraw them once a minute without a reload.
  setInterval(() => { if (view.loaded && !root.closest('[hidden]')) render(); }, 60000);

  return { load, onEvent, render };
}
