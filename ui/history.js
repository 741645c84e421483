// The History page (issue 17, part 6): a search over the whole event log
// (GET /api/history → events.search) by time range, door, zone, person (id
// or name), kind and result, no range needed. The controller pages it newest
// first by seq ("Older" asks for the next page below the last one shown), so
// the page never holds the log. Each row opens its neighbours (the events
// just before and after it, GET /api/events); the search can be downloaded
// as a signed audit export with the same filters (POST /api/exports) by the
// roles that may export (manager, auditor, admin).
import { get, post } from './api.js';
import { timeElement, kindText, reasonText, siteLocalToUtc, eventClass } from './format.js';
import { personText } from './names.js';
import { el } from './dom.js';

const $ = (sel) => document.querySelector(sel);
const NEIGHBOURS = 5;

const KINDS = ['access.*', 'access.granted', 'access.denied', 'door.*', 'alarm.*', 'person.*',
  'badge.*', 'reader.*', 'site.*', 'user.*', 'config.*', 'system.*', 'clock.*', 'audit.*'];

function form() {
  const f = el('form', { id: 'history-form', class: 'form filters' },
    el('label', {}, 'From ', el('input', { name: 'from', type: 'datetime-local', step: '1' })),
    el('label', {}, 'To ', el('input', { name: 'to', type: 'datetime-local', step: '1' })),
    el('label', {}, 'Door ', el('select', { name: 'door' }, el('option', { value: '', text: 'any' }))),
    el('label', {}, 'Zone ', el('select', { name: 'zone' }, el('option', { value: '', text: 'any' }))),
    el('label', {}, 'Person ', el('input', { name: 'person', placeholder: 'id or name', maxlength: '256' })),
    el('label', {}, 'Kind ', el('select', { name: 'kind' }, el('option', { value: '', text: 'any' }),
      ...KINDS.map((k) => el('option', { value: k, text: k })))),
    el('label', {}, 'Result ', el('select', { name: 'result' }, el('option', { value: '', text: 'any' }),
      el('option', { value: 'granted', text: 'granted' }), el('option', { value: 'denied', text: 'denied' }))),
    el('div', { class: 'buttons' },
      el('button', { type: 'submit', text: 'Search' }),
      el('button', { type: 'button', id: 'history-export', class: 'secondary', text: 'Download signed export' })),
    el('p', { class: 'hint', id: 'history-tz' }),
    el('p', { class: 'error', role: 'alert' }));
  return f;
}

export function setupHistory({ timeZone, canExport, onError }) {
  const section = $('#tab-history');
  let loaded = false;
  let query = null; // the filters of the search shown
  let next = null; // the seq the next page starts below

  const f = form();
  const summary = el('p', { id: 'history-summary', role: 'status' });
  const table = el('table', { class: 'grid', id: 'history-table' },
    el('thead', {}, el('tr', {}, ...['Time', 'Event', 'Door', 'Zone', 'Person', 'Result', 'Seq', '']
      .map((h) => el('th', { text: h })))),
    el('tbody', { id: 'history-rows' }));
  const older = el('button', { type: 'button', id: 'history-older', text: 'Older', hidden: true });
  const around = el('div', { id: 'history-around', hidden: true });
  const exportResult = el('p', { id: 'history-export-result', role: 'status' });
  section.replaceChildren(el('h2', { text: 'History' }), f, exportResult, summary, table, older, around);

  function error(e) {
    f.querySelector('.error').textContent = e ? e.message : '';
    if (e) onError(e);
  }

  function filters() {
    const x = f.elements;
    const q = {};
    for (const k of ['from', 'to']) {
      if (x[k].value) q[k] = siteLocalToUtc(x[k].value, timeZone());
    }
    for (const k of ['door', 'zone', 'kind', 'result']) if (x[k].value) q[k] = x[k].value;
    if (x.person.value.trim()) q.person = x.person.value.trim();
    return q;
  }

  function url(q, before) {
    const p = Object.entries(q).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
    if (before) p.push(`before=${before}`);
    p.push('limit=50');
    return `/api/history?${p.join('&')}`;
  }

  function row(ev, mark) {
    const result = ev.kind === 'access.granted' ? 'granted' : (ev.reason ? reasonText(ev.reason) : '');
    return el('tr', { 'data-seq': ev.seq, 'data-kind': ev.kind, class: `${eventClass(ev)}${mark ? ' current' : ''}` },
      el('td', {}, timeElement(ev.ts)),
      el('td', { text: kindText(ev.kind) }),
      el('td', { text: ev.door || '' }),
      el('td', { text: ev.zone || '' }),
      el('td', { class: 'person', text: personText(ev.person, ev.person_name) }),
      el('td', { text: result }),
      el('td', { text: String(ev.seq) }),
      el('td', {}, el('button', {
        type: 'button', class: 'secondary', 'data-action': 'around', text: 'Before & after',
        onclick: () => showAround(ev.seq),
      })));
  }

  async function page(before) {
    const r = await get(url(query, before));
    const rows = $('#history-rows');
    if (!before) rows.replaceChildren();
    rows.append(...r.events.map((ev) => row(ev)));
    next = r.next_before;
    older.hidden = next === null;
    const n = rows.children.length;
    summary.textContent = `${n} event${n === 1 ? '' : 's'} shown, newest first`
      + (r.person ? ` (person ${r.person})` : '')
      + (next === null ? '; that is all.' : `; more below seq ${next}.`);
    if (r.person) query.resolved_person = r.person;
  }

  async function search() {
    error(null);
    around.hidden = true;
    try {
      query = filters();
    } catch {
      error(new Error('A time is not valid.'));
      return;
    }
    try {
      await page(null);
    } catch (e) {
      $('#history-rows').replaceChildren();
      summary.textContent = '';
      older.hidden = true;
      error(e);
    }
  }

  // The events just before and after one (the whole log, unfiltered).
  async function showAround(seq) {
    try {
      const since = Math.max(0, seq - NEIGHBOURS - 1);
      const evs = await get(`/api/events?since=${since}&limit=${2 * NEIGHBOURS + 1}`);
      around.replaceChildren(
        el('h3', { text: `Seq ${seq}: the ${NEIGHBOURS} events before and after it` }),
        el('table', { class: 'grid' }, el('tbody', {}, ...evs.map((ev) => row(ev, ev.seq === seq)))),
        el('button', { type: 'button', class: 'secondary', text: 'Close', onclick: () => { around.hidden = true; } }));
      around.hidden = false;
      around.dataset.seq = String(seq);
      around.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      error(e);
    }
  }

  // The signed audit export of the same filters (a result is its kind).
  async function download() {
    error(null);
    exportResult.textContent = '';
    let q;
    try {
      q = filters();
    } catch {
      error(new Error('A time is not valid.'));
      return;
    }
    const body = { format: 'csv' };
    if (q.from) body.from = q.from;
    if (q.to) body.to = q.to;
    if (q.zone) body.zone = q.zone;
    if (q.door) body.door = q.door;
    const kind = q.result ? (q.result === 'granted' ? 'access.granted' : 'access.denied') : q.kind;
    if (q.result && q.kind && !(q.kind === kind || (q.kind.endsWith('*') && kind.startsWith(q.kind.slice(0, -1))))) {
      error(new Error('That kind and result match no event.'));
      return;
    }
    if (kind) body.kinds = [kind];
    if (q.person) {
      // The export takes an id: the one the search resolved the name to.
      try {
        const r = await get(url({ person: q.person }, null).replace('limit=50', 'limit=1'));
        body.person = r.person;
      } catch (e) {
        error(e);
        return;
      }
    }
    try {
      const r = await post('/api/exports', body);
      exportResult.replaceChildren(
        `${r.rows} row${r.rows === 1 ? '' : 's'}, signed by key ${r.key_id}: `,
        el('a', { href: r.url, download: r.file, id: 'history-export-file', text: r.file }), ' and ',
        el('a', { href: r.manifest_url, download: r.manifest_file, text: r.manifest_file }));
    } catch (e) {
      error(e);
    }
  }

  f.addEventListener('submit', (ev) => { ev.preventDefault(); search(); });
  older.addEventListener('click', async () => {
    try {
      await page(next);
    } catch (e) {
      error(e);
    }
  });
  f.querySelector('#history-export').addEventListener('click', download);

  return {
    // First opening: the choices, then the newest events with no filter.
    async load() {
      $('#history-tz').textContent = `Times in site time (${timeZone()}).`;
      f.querySelector('#history-export').hidden = !canExport();
      if (loaded) return;
      loaded = true;
      try {
        const [doors, zones] = await Promise.all([get('/api/doors'), get('/api/zones')]);
        f.elements.door.append(...doors.map((d) => el('option', { value: d.name, text: d.name })));
        f.elements.zone.append(...zones.map((z) => el('option', { value: z.name, text: z.name })));
      } catch (e) {
        onError(e);
      }
      await search();
    },
  };
}
