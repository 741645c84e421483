// The "Visitors" tab: the visitor register (GET /api/visitors, as
// `aeogatectl visitor list`), a form to register a visitor (POST
// /api/visitors, as `visitor add`) and, per visit in progress, "End visit"
// (POST /api/visitors/end, as `visitor end`: the badge is returned).
// Guards and auditors see the register; managers and admins also change it.
// Times are shown and entered in site time.
import { get, post, newestLoad } from './api.js';
import { timeElement, siteLocalToUtc } from './format.js';
import { el } from './dom.js';

const $ = (sel) => document.querySelector(sel);

function visitState(v) {
  if (v.ended) return 'ended';
  if (v.on_site) return 'on site';
  return Date.parse(v.until) <= Date.now() ? 'expired' : 'expected';
}

// canManage: whether the signed-in role may add and end visits; onError: the
// page's handler (401 → sign in).
export function setupVisitors({ canManage, onError }) {
  let visitors = [];
  const form = $('#visitor-add');
  const status = $('#visitor-status');

  function render() {
    const write = canManage();
    const onSiteOnly = $('#visitors-on-site').checked;
    form.hidden = !write;
    $('#visitors').replaceChildren(...visitors
      .filter((v) => !onSiteOnly || v.on_site)
      .map((v) => el('tr', { 'data-visitor': v.id, 'data-state': visitState(v) },
        el('td', { text: v.id }), el('td', { text: v.name }), el('td', { text: v.company }),
        el('td', { text: v.host }), el('td', { text: v.document }), el('td', { text: v.vehicle || '—' }),
        el('td', {}, timeElement(v.until)), el('td', { class: 'visit-state', text: visitState(v) }),
        el('td', { class: 'actions' }, write && !v.ended ? el('button', {
          type: 'button', text: 'End visit', 'data-action': 'end', onclick: () => end(v.id),
        }) : null))));
    $('#visitors-empty').hidden = visitors.length > 0;
    $('#visitors').dataset.loaded = '1';
  }

  const visitorsLoad = newestLoad();
  async function load() {
    const newest = visitorsLoad();
    try {
      const list = await get('/api/visitors');
      if (!newest()) return;
      visitors = list;
      render();
    } catch (e) {
      if (!newest()) return;
      onError(e);
      status.textContent = `Could not load the register: ${e.message}`;
    }
  }

  async function end(id) {
    status.textContent = '';
    try {
      await post('/api/visitors/end', { id });
      status.textContent = `Visit of ${id} ended; badge returned.`;
    } catch (e) {
      onError(e);
      status.textContent = `Could not end the visit of ${id}: ${e.message}`;
    }
    await load();
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const x = form.elements;
    const errEl = form.querySelector('.error');
    errEl.textContent = '';
    let until;
    try {
      until = siteLocalToUtc(x.until.value);
    } catch {
      errEl.textContent = 'Give the end of the visit (date and time, site time).';
      return;
    }
    const body = {
      id: x.id.value.trim(), name: x.name.value.trim(), company: x.company.value.trim(),
      host: x.host.value.trim(), document: x.document.value.trim(), until,
    };
    if (x.vehicle.value.trim()) body.vehicle = x.vehicle.value.trim();
    const levels = x.levels.value.split(',').map((s) => s.trim()).filter(Boolean);
    if (levels.length) body.levels = levels;
    if (x.credential.value.trim()) body.credential = x.credential.value.trim();
    try {
      await post('/api/visitors', body);
      status.textContent = `Visitor ${body.id} registered.`;
      form.reset();
    } catch (e) {
      onError(e);
      errEl.textContent = e.message;
    }
    await load();
  });
  $('#visitors-on-site').addEventListener('change', render);
  return { load };
}
