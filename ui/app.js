// The dashboard: sign-in, live feed, alarms, door board (door modes and
// schedules, remote unlock), muster (who is inside), persons (PINs) and
// badges, levels, zones, schedules and holidays, reports, simulator, users.
// What a role may not do is not shown;
// the controller refuses it anyway.
import { get, post, setCsrf, ApiError, newestLoad } from './api.js';
import { EventStream } from './stream.js';
import {
  setTimeZone, timeZoneLabel, reasonText, kindText, isAlarm, eventClass, siteLocalToUtc,
  alarmRank,
  validFromToUtc, validUntilToUtc, validFromDate, validUntilDate, modeText, timeElement,
  eventSentence, actorText,
} from './format.js';
import { beep, soundBlocked, unlockSound } from './sound.js';
import { sortAlarms, escalatedNote, closeForm, historyPanel } from './alarms.js';
import { lockdownZoneButton } from './door_commands.js';
import { setupUsers } from './users.js';
import { setupPeopleImport } from './import.js';
import { LockdownBanner } from './lockdown.js';
import { setupVisitors } from './visitors.js';
import { setupSite } from './site.js';
import { pairingCells } from './zone_pairing.js';
import { setupShell, setSignedIn, setupStackedTables, toast } from './shell.js';
import { setupDateInputs } from './dateinput.js';
import { rowMenu, confirmDialog } from './menu.js';
import { setupOverview } from './overview.js';
import { setupSitePlan } from './siteplan.js';
import { personText, flagSpans, flagAttrs } from './names.js';
import { setupHistory } from './history.js';
import { el } from './dom.js';
import { setupPersonPhoto, feedPhoto, photoOnEvent } from './photo.js';

const FEED_MAX = 500;
const $ = (sel) => document.querySelector(sel);

const state = {
  me: null,
  status: null,
  events: [], // newest first
  doors: [],
  readers: [],
  persons: [],
  badges: [],
  alarms: [], // the controller's alarms that are not closed, by id
  alarmsSupported: true, // false when the controller has no alarm.list (501)
  liveAlarms: new Map(), // seq → event: banners without a controller record (old controllers)
  seenAlarmIds: new Set(),
  alarmsLoaded: false,
  reports: null,
  levels: [],
  zones: [],
  schedules: [],
  holidays: [],
  editing: null, // the person (as person.show gave it) in the edit form
};

function can(roles) {
  return state.me && roles.split(' ').includes(state.me.role);
}

const canManage = () => can('manager admin');

// ---------------------------------------------------------------- sign-in

function showLogin(message) {
  stream.stop();
  state.me = null;
  setSignedIn(false);
  $('#app-view').hidden = true;
  $('#logout').hidden = true;
  $('#sound').hidden = true;
  $('#sound-enable').hidden = true;
  users.clear();
  $('#who').textContent = '';
  $('#login-view').hidden = false;
  $('#login-error').textContent = message || '';
  $('#login-user').focus();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#login-error').textContent = '';
  try {
    const me = await post('/api/login', {
      username: $('#login-user').value,
      password: $('#login-pass').value,
    });
    $('#login-pass').value = '';
    await start(me);
  } catch (e) {
    $('#login-error').textContent =
      e.status === 429 ? 'Too many failed attempts. Try again later.'
        : e.status === 401 ? 'Wrong username or password.'
          : `Sign-in failed: ${e.message}`;
  }
});

$('#logout').addEventListener('click', async () => {
  try {
    await post('/api/logout');
  } catch {
    // The session is over either way.
  }
  showLogin('Signed out.');
});

// ---------------------------------------------------------------- live feed

const stream = new EventStream({
  onEvent: (ev) => onEvent(ev, true),
  onState: (s) => {
    const c = $('#conn');
    c.dataset.state = s;
    c.textContent = s;
  },
  onUnauthenticated: () => showLogin('Your session has ended. Sign in again.'),
});

function matchesFilters(ev) {
  const door = $('#f-door').value;
  const zone = $('#f-zone').value;
  const person = $('#f-person').value.trim();
  const kind = $('#f-kind').value;
  if (door && ev.door !== door) return false;
  if (zone && ev.zone !== zone) return false;
  if (person && !(ev.person || '').includes(person)
    && !(ev.person_name || '').toLowerCase().includes(person.toLowerCase())) return false;
  if (kind && !ev.kind.startsWith(kind)) return false;
  return true;
}

function eventItem(ev) {
  const parts = [];
  const sentence = eventSentence(ev);
  if (sentence) parts.push(sentence);
  if (ev.door) parts.push(`door ${ev.door}`);
  if (ev.reader) parts.push(`reader ${ev.reader}`);
  if (!sentence) {
    if (ev.person) parts.push(personText(ev.person, ev.person_name));
    if (ev.credential) parts.push(ev.credential);
    if (ev.detail && ev.detail.user) parts.push(`user ${ev.detail.user}`);
  }
  if (ev.kind === 'door.mode' && ev.detail) {
    parts.push(`${modeText(ev.detail.was)} → ${modeText(ev.detail.mode)} (${ev.detail.cause})`);
  }
  if (ev.kind === 'door.updated' && ev.detail && ev.detail.after) parts.push(doorUpdatedText(ev.detail));
  if (ev.kind.startsWith('site.') && ev.detail) {
    const d = ev.detail;
    if (ev.kind === 'site.threat' && d.before && d.after) parts.push(`level ${d.before.threat_level} → ${d.after.threat_level}`);
    else if (Array.isArray(d.zones)) parts.push(`zones ${d.zones.join(', ')}`);
    else parts.push('whole site');
  }
  if ((ev.kind === 'door.mode' || ev.kind === 'door.remote_unlock' || ev.kind.startsWith('site.')) && ev.detail) {
    if (ev.detail.operator) parts.push(`by ${actorText(ev.detail.operator)}`);
    if (ev.detail.comment) parts.push(`“${ev.detail.comment}”`);
  }
  return el('li', { class: `ev ${eventClass(ev)}`, 'data-kind': ev.kind, 'data-seq': ev.seq },
    timeElement(ev.ts),
    el('span', { class: 'kind', text: kindText(ev.kind) }),
    // The face beside the words (ui/photo.js), for a guard to compare.
    el('span', { class: 'what' }, feedPhoto(el, ev), parts.join(' · ')),
    ev.reason ? el('span', { class: 'reason', text: reasonText(ev.reason) }) : null);
}

function renderFeed() {
  const list = $('#feed');
  list.replaceChildren(...state.events.filter(matchesFilters).slice(0, 200).map(eventItem));
}

for (const id of ['#f-door', '#f-zone', '#f-kind']) $(id).addEventListener('change', renderFeed);
$('#f-person').addEventListener('input', renderFeed);
$('#feed-filters').addEventListener('submit', (e) => e.preventDefault());

let refreshTimer = null;
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    loadDoors();
    if (canManage() || can('auditor')) loadPeople();
  }, 150);
}

const lockdownBanner = new LockdownBanner($('#lockdown'));
// Lockdown, threat level, responder and clearance controls (ui/site.js).
const site = setupSite({ canManage: () => canManage(), onError: (e) => handleError(e) });
const personPhoto = setupPersonPhoto({
  el, box: $('#person-photo'), canWrite: () => canManage(), onError: (e) => handleError(e),
});

// The landing page (ui/overview.js) with the site plan (ui/siteplan.js):
// a door marker or tile opens the door's panel.
function openDoor(name) {
  selectTab('doors');
  const card = document.querySelector(`#doors [data-door="${CSS.escape(name)}"]`);
  if (card) card.scrollIntoView({ block: 'center' });
}
const sitePlan = setupSitePlan({
  isAdmin: () => can('admin'), openDoor, onError: (e) => handleError(e), onChange: () => overview.render(),
});
const overview = setupOverview({
  openDoor, openTab: (name) => selectTab(name), onError: (e) => handleError(e), plan: sitePlan,
});

function onEvent(ev, live) {
  if (live) {
    lockdownBanner.onEvent(ev);
    site.onEvent(ev);
    overview.onEvent(ev);
    photoOnEvent(ev);
    personPhoto.onEvent(ev);
  }
  state.events.unshift(ev);
  if (state.events.length > FEED_MAX) state.events.length = FEED_MAX;
  if (isAlarm(ev) && live) {
    if (state.alarmsSupported) scheduleAlarmReload();
    else if (ev.kind !== 'alarm.acknowledged' && ev.kind !== 'alarm.closed') {
      state.liveAlarms.set(ev.seq, ev);
      renderAlarms();
      alarmSound();
    }
  }
  if (live) {
    if (matchesFilters(ev)) $('#feed').prepend(eventItem(ev));
    while ($('#feed').children.length > 200) $('#feed').lastChild.remove();
    if (/^(door|reader|access|person|badge|site)\./.test(ev.kind)) scheduleRefresh();
    if (/^schedule\./.test(ev.kind) && canManage()) scheduleRefresh(); // the door schedule controls' choices
    pinOnEvent(ev);
    if (/^(level|zone|schedule|holiday)\./.test(ev.kind) && !$('#tab-levels').hidden) scheduleLevelsReload();
    if (/^(access\.granted|apb\.|zone\.)/.test(ev.kind) && !$('#tab-levels').hidden) scheduleLevelsReload();
    if (/^(access\.granted|apb\.forgiven)$/.test(ev.kind) && !$('#tab-muster').hidden) scheduleMusterReload();
    if (/^(visitor|access)\./.test(ev.kind) && !$('#tab-visitors').hidden) visitors.load();
  }
}

// ---------------------------------------------------------------- alarms

// Open and acknowledged alarms come from the controller (alarm.list): loaded
// at sign-in and again after every alarm-related event, so what the banners
// show is what the controller holds, whoever acknowledged it.
const ALARM_PAGES_MAX = 5;
let alarmTimer = null;

function scheduleAlarmReload() {
  clearTimeout(alarmTimer);
  alarmTimer = setTimeout(loadAlarms, 100);
}

const alarmsLoad = newestLoad();
async function loadAlarms() {
  if (!state.me) return;
  const newest = alarmsLoad();
  try {
    let all = [];
    let after = 0;
    for (let i = 0; i < ALARM_PAGES_MAX; i++) {
      const page = await get(`/api/alarms?open=1&after=${after}&limit=1000`);
      all = all.concat(page);
      if (page.length < 1000) break;
      after = page[page.length - 1].id;
    }
    if (!newest()) return;
    // Beep for alarms raised since the last load, not for those found at sign-in.
    const fresh = all.some((a) => a.state === 'open' && !state.seenAlarmIds.has(a.id));
    const initial = !state.alarmsLoaded;
    for (const a of all) state.seenAlarmIds.add(a.id);
    state.alarms = all;
    state.alarmsLoaded = true;
    renderAlarms();
    if (fresh && !initial) alarmSound();
  } catch (e) {
    if (!newest()) return;
    if (e instanceof ApiError && e.status === 501) {
      // A controller without the alarm lifecycle: banners from the live
      // feed only, with nothing to acknowledge.
      state.alarmsSupported = false;
      renderAlarms();
      return;
    }
    handleError(e);
  }
}

const ALARM_STATE_TEXT = { open: 'open', acknowledged: 'acknowledged' };

function alarmBanner(a) {
  const respond = can('guard manager admin');
  const where = (a.door ? ` at ${a.door}` : (a.zone ? ` in ${a.zone}` : ''))
    + (a.person ? `, ${personText(a.person, a.person_name)}` : '');
  const parts = [
    el('strong', { text: kindText(a.kind) }),
    el('span', { class: 'alarm-where' }, `${where} — raised `, timeElement(a.raised)),
    el('span', { class: 'alarm-state', text: ALARM_STATE_TEXT[a.state] || a.state }),
  ];
  parts.push(escalatedNote(a));
  if (a.state === 'acknowledged') {
    parts.push(el('span', { class: 'alarm-ack' },
      `by ${actorText(a.acknowledged_by) || '?'} at `, timeElement(a.acknowledged),
      a.comment ? ': “' + a.comment + '”' : null));
  }
  const err = el('span', { class: 'alarm-error', role: 'alert' });
  if (a.stored === false) {
    parts.push(el('span', { class: 'unstored', text: ' not recorded yet: storage is failing' }));
  }
  if (respond && a.state === 'open' && a.id != null) {
    const form = el('form', { class: 'alarm-ack-form' });
    const comment = el('input', {
      name: 'comment', placeholder: 'what was done (required)', maxlength: 256,
      required: true, class: 'ack-comment', 'aria-label': `comment on alarm ${a.id}`,
    });
    form.append(comment, el('button', { type: 'submit', class: 'ack', text: 'Acknowledge' }));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const text = comment.value.trim();
      if (!text) {
        err.textContent = 'A comment is required.';
        comment.focus();
        return;
      }
      await alarmAction('/api/alarms/ack', { id: a.id, comment: text }, err);
    });
    parts.push(form);
  }
  if (respond && a.state === 'acknowledged') {
    parts.push(closeForm(a, (outcome) => alarmAction('/api/alarms/close', { id: a.id, outcome }, err), err));
  }
  if (a.id != null) {
    parts.push(historyPanel(a, (e) => { if (e instanceof ApiError && e.status === 401) handleError(e); }));
  }
  parts.push(err);
  const duress = a.kind === 'alarm.duress' ? ' alarm-duress' : '';
  const escalated = a.escalated && a.state === 'open' ? ' alarm-escalated' : '';
  return el('div', {
    class: `alarm-banner alarm-${a.state}${duress}${escalated}`, role: 'alert', 'data-alarm-id': a.id,
    'data-kind': a.kind, 'data-door': a.door || '', 'data-state': a.state,
    'data-priority': a.priority ?? '', 'data-escalated': a.escalated ? 'true' : 'false',
  }, ...parts);
}

async function alarmAction(path, body, errEl) {
  try {
    await post(path, body);
    errEl.textContent = '';
  } catch (e) {
    if (e instanceof ApiError && e.status === 501) {
      state.alarmsSupported = false;
      renderAlarms();
      return;
    }
    if (e instanceof ApiError && e.status === 401) {
      handleError(e);
      return;
    }
    // Someone else acted first (409) or the request failed: show and refresh.
    errEl.textContent = e.message;
  }
  loadAlarms();
}

function liveBanner(ev) {
  const duress = ev.kind === 'alarm.duress' ? ' alarm-duress' : '';
  return el('div', { class: `alarm-banner${duress}`, role: 'alert', 'data-kind': ev.kind, 'data-door': ev.door || '' },
    el('strong', { text: kindText(ev.kind) }),
    el('span', {}, ` ${ev.door ? 'at ' + ev.door : ''}${ev.person ? ', ' + personText(ev.person, ev.person_name) : ''} — `, timeElement(ev.ts)),
    el('button', {
      type: 'button', class: 'dismiss', text: 'Hide',
      onclick: () => { state.liveAlarms.delete(ev.seq); renderAlarms(); },
    }));
}

function renderAlarms() {
  const box = $('#alarms');
  if (state.alarmsSupported) {
    // What a guard is doing survives the redraw every alarm event causes:
    // an open history panel (reloaded) and a comment or outcome being typed.
    const kept = new Map();
    for (const b of box.querySelectorAll('.alarm-banner[data-alarm-id]')) {
      const h = b.querySelector('details.alarm-history');
      const typed = [...b.querySelectorAll('input')].filter((i) => i.value)
        .map((i) => [i.name, i.value]);
      const focus = b.contains(document.activeElement) && document.activeElement.name;
      kept.set(b.dataset.alarmId, { open: !!(h && h.open), typed, focus });
    }
    // By the controller's priority (duress first), then the oldest.
    box.replaceChildren(...sortAlarms(state.alarms).map(alarmBanner));
    for (const b of box.querySelectorAll('.alarm-banner[data-alarm-id]')) {
      const k = kept.get(b.dataset.alarmId);
      if (!k) continue;
      for (const [name, value] of k.typed) {
        const i = b.querySelector(`input[name="${name}"]`);
        if (i) i.value = value;
      }
      if (k.focus) b.querySelector(`input[name="${k.focus}"]`)?.focus();
      const h = b.querySelector('details.alarm-history');
      if (h && k.open) h.open = true;
    }
  } else {
    const items = [...state.liveAlarms.values()].sort((a, b) =>
      alarmRank(a.kind) - alarmRank(b.kind) || b.seq - a.seq);
    box.replaceChildren(...items.map(liveBanner));
  }
}

// ---------------------------------------------------------------- alarm sound

// On by default for guards, off for the other roles; a choice made is kept
// in this browser. Browsers refuse audio before a user gesture: then a
// clear "Enable sound" button asks for one.
const SOUND_KEY = 'aeogate.alarmSound';
let sound = (() => {
  try {
    const v = localStorage.getItem(SOUND_KEY);
    return v === 'on' ? true : v === 'off' ? false : null;
  } catch {
    return null;
  }
})();

function soundOn() {
  return sound ?? can('guard');
}

// Plays the alarm sound, or shows the prompt when the browser refused it.
function alarmSound() {
  if (!soundOn()) return;
  if (!beep()) showSoundPrompt(true);
}

function showSoundPrompt(show) {
  $('#sound-enable').hidden = !(show && soundOn());
}

// At sign-in (or a reload with a session): sound wanted but not allowed yet.
function checkSoundAllowed() {
  showSoundPrompt(soundOn() && soundBlocked());
}

$('#sound-enable').addEventListener('click', async () => {
  await unlockSound();
  showSoundPrompt(soundBlocked());
  if (!soundBlocked()) beep(); // what the guard will hear
});

function renderSound() {
  const b = $('#sound');
  const on = soundOn();
  b.replaceChildren(el('span', { class: 'wide-only', text: 'Alarm ' }), `sound: ${on ? 'on' : 'off'}`);
  b.setAttribute('aria-pressed', on ? 'true' : 'false');
}

$('#sound').addEventListener('click', () => {
  const on = !soundOn();
  sound = on;
  try {
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
  } catch {
    // Private mode: the toggle lasts for this page only.
  }
  renderSound();
  // A click is the user gesture browsers want before they play audio.
  if (on) unlockSound().then(() => { beep(); showSoundPrompt(soundBlocked()); });
  else showSoundPrompt(false);
});

// ---------------------------------------------------------------- doors

const doorsLoad = newestLoad();
async function loadDoors() {
  const newest = doorsLoad();
  try {
    const [doors, readers, schedules] = await Promise.all([get('/api/doors'), get('/api/readers'),
      canManage() ? get('/api/schedules') : null]);
    if (!newest()) return;
    state.doors = doors;
    state.readers = readers;
    if (schedules) state.schedules = schedules;
    renderDoors();
  } catch (e) {
    if (!newest()) return;
    handleError(e);
  }
}

// Boards and tables are redrawn on events: what a user typed or picked in a
// field marked data-keep (a key unique on the page) survives the redraw, and
// so does the focus. A field is kept once the user changed it (data-dirty);
// an action that succeeds calls forget() so its field shows the new state.
document.addEventListener('input', (ev) => {
  if (ev.target.dataset && ev.target.dataset.keep) ev.target.dataset.dirty = '1';
});

// By key: a redraw may have replaced the fields while the request ran.
function forget(...fields) {
  const keys = new Set(fields.map((f) => f.dataset.keep));
  for (const f of document.querySelectorAll('[data-keep][data-dirty]')) {
    if (!keys.has(f.dataset.keep)) continue;
    delete f.dataset.dirty;
    if (f.tagName !== 'SELECT') f.value = '';
    else {
      const shown = [...f.options].find((o) => o.defaultSelected);
      if (shown) f.value = shown.value;
    }
  }
  for (const f of fields) if (f.tagName !== 'SELECT') f.value = '';
}

function redrawKeeping(container, render) {
  const kept = new Map([...container.querySelectorAll('[data-keep][data-dirty]')]
    .map((f) => [f.dataset.keep, f.value]));
  const a = document.activeElement;
  const focused = a && container.contains(a) && a.dataset.keep ? a.dataset.keep : null;
  render();
  for (const f of container.querySelectorAll('[data-keep]')) {
    const k = f.dataset.keep;
    if (kept.has(k) && (f.tagName !== 'SELECT' || [...f.options].some((o) => o.value === kept.get(k)))) {
      f.value = kept.get(k);
      f.dataset.dirty = '1';
    }
    if (k === focused) f.focus();
  }
}

// The last refusal on each door's forms, by door and form: the board is
// redrawn on every door event (maybe while the request ran), and the
// message must outlive that. '' clears it.
const doorErrors = new Map();

function doorError(d, form) {
  return el('span', {
    class: 'door-error', role: 'alert', 'data-form': form, text: doorErrors.get(`${d.name}/${form}`) || '',
  });
}

function setDoorError(d, form, text) {
  const key = `${d.name}/${form}`;
  if (text) doorErrors.set(key, text);
  else doorErrors.delete(key);
  for (const e of document.querySelectorAll(`#doors .door-error[data-form="${form}"]`)) {
    if (e.closest('.door').dataset.door === d.name) e.textContent = text;
  }
}

// A guard's remote unlock: a comment is required (who is let in, and why).
function unlockForm(d) {
  const err = doorError(d, 'unlock');
  const comment = el('input', {
    name: 'comment', placeholder: 'who is let in, and why (required)', maxlength: 256,
    required: true, class: 'unlock-comment', 'aria-label': `reason to unlock ${d.name}`,
    'data-keep': `door/${d.name}/unlock-comment`,
  });
  const form = el('form', { class: 'door-unlock-form' }, comment,
    el('button', { type: 'submit', class: 'unlock danger', text: 'Unlock' }), err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = comment.value.trim();
    if (!text) {
      setDoorError(d, 'unlock', 'A comment is required.');
      comment.focus();
      return;
    }
    const sure = await confirmDialog({
      title: `Unlock ${d.name}?`,
      text: `The lock of ${d.name} opens for its strike time; anyone at the door can walk in. “${text}”`,
      ok: `Unlock ${d.name}`,
    });
    if (!sure) return;
    try {
      await post('/api/doors/unlock', { door: d.name, comment: text });
      forget(comment);
      setDoorError(d, 'unlock', '');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        handleError(e);
        return;
      }
      setDoorError(d, 'unlock', e.message);
    }
    loadDoors();
  });
  return form;
}

const DOOR_MODES = ['card', 'card_and_pin', 'unlocked', 'locked'];

// The unlocked mode leaves the door open to anyone: its Set mode button is
// red while it is chosen (also when a redraw put the choice back).
function modeDanger(form) {
  const unlocked = form.querySelector('select.mode-select').value === 'unlocked';
  form.querySelector('button.set-mode').classList.toggle('danger', unlocked);
}

// A manager's door mode (door.mode, as `aeogatectl door mode DOOR MODE
// [--until T] [--comment TEXT]`): until is a site time, sent as UTC; empty
// means until changed. The card shows the new mode when the door.mode event
// arrives on the stream (the board is redrawn from door.list then).
function modeForm(d) {
  const err = doorError(d, 'mode');
  const mode = el('select', {
    name: 'mode', class: 'mode-select', 'aria-label': `mode of ${d.name}`, 'data-keep': `door/${d.name}/mode`,
  }, ...DOOR_MODES.map((m) => el('option', { value: m, text: m, selected: m === (d.mode || 'card') })));
  const until = el('input', {
    name: 'until', type: 'datetime-local', class: 'mode-until', 'aria-label': `${d.name} mode until (site time)`,
    'data-keep': `door/${d.name}/until`,
  });
  const comment = el('input', {
    name: 'comment', placeholder: 'comment (optional)', maxlength: 256, class: 'mode-comment',
    'aria-label': `comment on the mode of ${d.name}`, 'data-keep': `door/${d.name}/mode-comment`,
  });
  const form = el('form', { class: 'door-mode-form' },
    el('label', { class: 'inline-label' }, 'mode ', mode),
    el('label', { class: 'inline-label', title: `site time (${timeZoneLabel()}); empty: until changed` }, 'until ', until),
    comment,
    el('button', { type: 'submit', class: `set-mode${mode.value === 'unlocked' ? ' danger' : ''}`, text: 'Set mode' }),
    modeClearButton(d, comment), err);
  mode.addEventListener('change', () => modeDanger(form));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { door: d.name, mode: mode.value };
    if (mode.value === 'unlocked' && !await confirmDialog({
      title: `Leave ${d.name} unlocked?`,
      text: `The lock of ${d.name} is released and stays so${until.value ? ' until ' + until.value : ' until the mode is changed'}: `
        + 'anyone can walk in, no forced-door alarm.',
      ok: `Unlock ${d.name} (mode)`,
    })) return;
    try {
      if (until.value) body.until = siteLocalToUtc(until.value);
    } catch {
      setDoorError(d, 'mode', 'The until time is not valid.');
      return;
    }
    if (comment.value.trim()) body.comment = comment.value.trim();
    try {
      await post('/api/doors/mode', body);
      forget(mode, until, comment);
      setDoorError(d, 'mode', '');
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) handleError(e);
      else setDoorError(d, 'mode', e.message);
    }
  });
  return form;
}

// door mode DOOR --clear [--comment TEXT]: the manual mode goes, the door
// takes what its schedule or the default (card) gives it. The comment
// field of the mode form goes along when filled.
function modeClearButton(d, comment) {
  return el('button', {
    type: 'button', class: 'clear-mode secondary', text: 'Clear mode',
    title: `door mode ${d.name} --clear: back to its schedule, or card`,
    onclick: async () => {
      const body = { door: d.name, clear: true };
      if (comment.value.trim()) body.comment = comment.value.trim();
      try {
        await post('/api/doors/mode', body);
        forget(comment);
        setDoorError(d, 'mode', '');
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) handleError(e);
        else setDoorError(d, 'mode', e.message);
      }
    },
  });
}

// A door schedule in aeogatectl's words: "unlocked inside day-shift, after
// the first person in (now)".
function doorScheduleText(s) {
  return `${s.mode} inside ${s.schedule}${s.first_person_in ? ', after the first person in' : ''}${s.active ? ' (now)' : ''}`;
}

function doorUpdatedText(detail) {
  const before = detail.before && detail.before.schedule;
  const after = detail.after && detail.after.schedule;
  return `schedule ${before ? doorScheduleText(before) : 'none'} → ${after ? doorScheduleText(after) : 'none'}`;
}

function doorScheduleLine(d) {
  const s = d.schedule;
  return el('p', {
    class: 'door-schedule', 'data-schedule': s ? s.schedule : '', 'data-schedule-mode': s ? s.mode : '',
    'data-first-person-in': s && s.first_person_in ? '1' : '0', 'data-active': s && s.active ? '1' : '0',
    text: `schedule ${s ? doorScheduleText(s) : 'none'}`,
  });
}

// A manager's door schedule (door.schedule, as `aeogatectl door schedule
// DOOR --mode MODE --schedule S [--first-person-in]` and `--clear`): the
// schedule, the mode the door takes inside it and whether only after the
// first person in. The card changes when the door.updated event arrives.
function doorScheduleForm(d) {
  const err = doorError(d, 'schedule');
  const cur = d.schedule;
  const names = state.schedules.map((x) => x.name);
  if (cur && !names.includes(cur.schedule)) names.push(cur.schedule);
  const schedule = el('select', {
    name: 'schedule', class: 'door-schedule-select', 'aria-label': `schedule of ${d.name}`,
    'data-keep': `door/${d.name}/schedule`,
  }, ...(names.length ? names.map((n) => el('option', { value: n, text: n, selected: cur && n === cur.schedule }))
    : [el('option', { value: '', text: 'no schedules yet' })]));
  const mode = el('select', {
    name: 'mode', class: 'door-schedule-mode', 'aria-label': `mode of ${d.name} inside its schedule`,
    'data-keep': `door/${d.name}/schedule-mode`,
  }, ...DOOR_MODES.map((m) => el('option', { value: m, text: m, selected: m === (cur ? cur.mode : 'unlocked') })));
  const fpi = el('select', {
    name: 'first_person_in', class: 'door-schedule-fpi', 'aria-label': `when ${d.name} takes that mode`,
    'data-keep': `door/${d.name}/schedule-fpi`,
  }, el('option', { value: '', text: 'from the start', selected: !(cur && cur.first_person_in) }),
  el('option', { value: '1', text: 'after the first person in', selected: Boolean(cur && cur.first_person_in) }));
  const form = el('form', { class: 'door-schedule-form' },
    el('label', { class: 'inline-label' }, 'schedule ', schedule),
    el('label', { class: 'inline-label' }, 'mode ', mode),
    fpi,
    el('button', { type: 'submit', class: 'set-door-schedule', text: 'Set schedule' }),
    cur ? el('button', {
      type: 'button', class: 'clear-door-schedule secondary', text: 'Clear schedule',
      onclick: () => doorScheduleAction(d, { door: d.name, clear: true }, []),
    }) : null,
    err);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    doorScheduleAction(d, {
      door: d.name, mode: mode.value, schedule: schedule.value, first_person_in: fpi.value === '1',
    }, [schedule, mode, fpi]);
  });
  return form;
}

async function doorScheduleAction(d, body, fields) {
  try {
    await post('/api/doors/schedule', body);
    forget(...fields);
    setDoorError(d, 'schedule', '');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) handleError(e);
    else setDoorError(d, 'schedule', e.message);
  }
}

// Lockdown and interlock at a door (door.list's locked_down, interlock,
// interlock_held_by, rex_waiting), or nothing when neither applies.
function doorSiteLine(d) {
  const parts = [];
  if (d.locked_down) parts.push('LOCKED DOWN');
  if (d.interlock) {
    parts.push(d.interlock_held_by ? `interlock ${d.interlock}: held by ${d.interlock_held_by}` : `interlock ${d.interlock}`);
  }
  if (d.rex_waiting) parts.push('exit button waiting');
  return parts.length ? el('p', { class: 'site-state', 'data-locked-down': d.locked_down ? '1' : null, text: parts.join(' · ') }) : null;
}

function renderDoors() {
  const byName = new Map(state.readers.map((r) => [r.name, r]));
  const respond = can('guard manager admin');
  const manage = canManage();
  // Door events redraw the board: what is being typed survives it.
  redrawKeeping($('#doors'), () => $('#doors').replaceChildren(...state.doors.map((d) => el('article',
    { class: `door door-${d.state}`, 'data-door': d.name, 'data-state': d.state, 'data-mode': d.mode || 'card' },
    el('h3', { text: d.name }),
    el('p', { class: 'zone', text: `zone ${d.zone}` }),
    el('p', { class: 'state', text: d.state }),
    el('p', { class: `mode mode-${d.mode || 'card'}` }, `mode ${modeText(d.mode)}`, d.until ? ' until ' : null,
      d.until ? timeElement(d.until) : null),
    doorScheduleLine(d),
    el('p', { class: 'detail', text: `lock ${d.lock} · contact ${d.contact} · ${d.lock_type}` }),
    doorSiteLine(d),
    el('ul', { class: 'readers' }, ...(d.readers || []).map((name) => {
      const r = byName.get(name);
      const online = r ? r.online : false;
      return el('li', { class: online ? 'online' : 'offline', text: `${name}: ${online ? 'online' : 'offline'}` });
    })),
    respond ? unlockForm(d) : null,
    manage ? modeForm(d) : null,
    manage ? doorScheduleForm(d) : null,
    manage ? lockdownZoneButton(d, {
      onDone: loadDoors,
      onError: (e) => {
        if (e instanceof ApiError && e.status === 401) handleError(e);
        else setDoorError(d, 'lockdown', e ? e.message : '');
      },
    }) : null,
    manage ? doorError(d, 'lockdown') : null))));
  for (const f of $('#doors').querySelectorAll('form.door-mode-form')) modeDanger(f);
  fillSelect($('#f-door'), state.doors.map((d) => d.name), true);
  fillSelect($('#sim-door-name'), state.doors.map((d) => d.name), false);
  fillSelect($('#sim-reader'), state.readers.filter((r) => r.type === 'sim').map((r) => r.name), false);
}

function fillSelect(select, values, keepAll) {
  const current = select.value;
  const opts = keepAll ? [el('option', { value: '', text: 'all' })] : [];
  for (const v of values) opts.push(el('option', { value: v, text: v }));
  select.replaceChildren(...opts);
  if (values.includes(current)) select.value = current;
}

// ---------------------------------------------------------------- persons & badges

const peopleLoad = newestLoad();
async function loadPeople() {
  const newest = peopleLoad();
  try {
    const [persons, badges] = await Promise.all([get('/api/persons'), get('/api/badges')]);
    if (!newest()) return;
    state.persons = persons;
    state.badges = badges;
    renderPeople();
  } catch (e) {
    if (!newest()) return;
    handleError(e);
  }
}

// A row action's request; the list reloads after it (the stream also tells).
async function rowAction(text, path, body) {
  try {
    await post(path, body);
    loadPeople();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) handleError(e);
    else toast(`${text} failed: ${e.message}`, { kind: 'error' });
  }
}

// The badge lifecycle (controller ops badge.*): which step each status allows.
// Revoke and stolen cannot be taken back: red, and behind a confirmation.
const BADGE_ACTIONS = [
  { text: 'Suspend', path: 'suspend', from: ['active'] },
  { text: 'Reinstate', path: 'reinstate', from: ['suspended', 'lost'] },
  { text: 'Lost', path: 'lost', from: ['active', 'suspended'], body: { reason: 'lost' } },
  { text: 'Stolen', path: 'lost', from: ['active', 'suspended'], body: { reason: 'stolen' }, danger: true,
    confirm: (b) => ({ title: `Report badge ${b.id} stolen?`, text: 'It is refused at every door from now on.', ok: 'Report stolen' }) },
  { text: 'Returned', path: 'return', from: ['active', 'suspended', 'lost'] },
  { text: 'Revoke', path: 'revoke', from: ['active', 'suspended', 'lost'], danger: true,
    confirm: (b) => ({ title: `Revoke badge ${b.id}?`, text: 'This cannot be undone.', ok: 'Revoke badge' }) },
];

function badgeMenu(b) {
  return rowMenu(`badge ${b.id}`, BADGE_ACTIONS.filter((a) => a.from.includes(b.status)).map((a) => ({
    text: a.text, action: a.text.toLowerCase(), danger: a.danger, confirm: a.confirm && a.confirm(b),
    run: () => rowAction(a.text, `/api/badges/${a.path}`, { credential: b.id, ...(a.body || {}) }),
  })));
}

function personMenu(p) {
  const path = (verb) => `/api/persons/${encodeURIComponent(p.id)}/${verb}`;
  return rowMenu(`${p.name} (${p.id})`, [
    p.status !== 'terminated' ? { text: 'Edit', action: 'edit', run: () => openPersonEdit(p.id) } : null,
    p.status === 'active' ? { text: 'Suspend', action: 'suspend', run: () => rowAction('Suspend', path('suspend')) } : null,
    p.status === 'suspended' ? { text: 'Reinstate', action: 'reinstate', run: () => rowAction('Reinstate', path('reinstate')) } : null,
    p.status !== 'terminated' ? {
      text: 'Terminate', action: 'terminate', danger: true,
      confirm: { title: `Terminate ${p.name} (${p.id})?`, text: 'All their badges are revoked. This cannot be undone.', ok: 'Terminate' },
      run: () => rowAction('Terminate', path('terminate')),
    } : null,
  ]);
}

function renderPeople() {
  const q = $('#person-search').value.trim().toLowerCase();
  const write = canManage();
  $('#persons').replaceChildren(...state.persons
    .filter((p) => !q || p.id.toLowerCase().includes(q) || p.name.toLowerCase().includes(q))
    .map((p) => el('tr', { 'data-person': p.id, ...flagAttrs(p.flags) },
      el('td', { text: p.id }), el('td', { text: p.name }),
      el('td', { class: 'status' }, p.status, ...flagSpans(p.flags)),
      el('td', { text: (p.levels || []).join(', ') }),
      el('td', { class: 'validity', 'data-valid-until': p.valid_until || '', text: validityText(p) }),
      el('td', { class: 'actions' }, write ? personMenu(p) : null))));
  $('#badges').replaceChildren(...state.badges
    .filter((b) => !q || b.person.toLowerCase().includes(q) || b.id.includes(q)
      || (b.person_name || '').toLowerCase().includes(q))
    .map((b) => el('tr', { 'data-badge': b.id, ...flagAttrs(b.flags) },
      el('td', { text: b.id }), el('td', { text: personText(b.person, b.person_name) }),
      el('td', { class: 'status' }, b.status, ...flagSpans(b.flags)),
      el('td', { class: 'actions' }, write ? badgeMenu(b) : null))));
  const badgeSel = $('#sim-badge');
  const cur = badgeSel.value;
  badgeSel.replaceChildren(el('option', { value: '', text: '— type bits or UID —' }),
    // Every enrolled badge of every format: the controller encodes its frame (sim.present credential).
    ...state.badges.filter((b) => !b.id.startsWith('raw:'))
      .map((b) => el('option', { value: b.id, text: `${b.id} (${personText(b.person, b.person_name)}, ${b.status})` })));
  badgeSel.value = cur;
  for (const f of document.querySelectorAll('form[data-write]')) f.hidden = !write;
  if (!write) $('#person-edit').hidden = true;
}

// "from … until …" in site time; "no bounds" when neither is set.
function validityText(x) {
  const parts = [];
  if (x.valid_from) parts.push(`from ${validFromDate(x.valid_from)}`);
  if (x.valid_until) parts.push(`until ${validUntilDate(x.valid_until)}`);
  return parts.length ? parts.join(' ') : 'no bounds';
}

// ---------------------------------------------------------------- edit a person

// The edit form (manager, admin): name, validity as days in the site's zone
// (empty: no bound), levels as checkboxes; saving sends only what changed
// (POST /api/persons/ID/update → person.update). The person's badges are
// listed with their status, as person.show returns them.
async function openPersonEdit(id) {
  const f = $('#person-edit');
  f.querySelector('.error').textContent = '';
  $('#person-edit-status').textContent = '';
  try {
    const [p, levels] = await Promise.all([
      get(`/api/persons/${encodeURIComponent(id)}`), get('/api/levels'),
    ]);
    state.levels = levels;
    fillPersonEdit(p);
    f.hidden = false;
    f.scrollIntoView({ block: 'nearest' });
    f.elements.name.focus();
  } catch (e) {
    handleError(e);
    toast(`Cannot load ${id}: ${e.message}`, { kind: 'error' });
  }
}

function fillPersonEdit(p) {
  const f = $('#person-edit');
  state.editing = p;
  f.dataset.person = p.id;
  $('#person-edit-id').replaceChildren(`${p.id} (${p.status})`, ...flagSpans(p.flags));
  f.elements.name.value = p.name;
  f.elements.valid_from.value = validFromDate(p.valid_from);
  f.elements.valid_until.value = validUntilDate(p.valid_until);
  f.querySelector('[data-now="valid_from"]').textContent =
    `now: ${p.valid_from ? validFromDate(p.valid_from) : 'none'}`;
  f.querySelector('[data-now="valid_until"]').textContent =
    `now: ${p.valid_until ? validUntilDate(p.valid_until) : 'none'}`;
  for (const t of f.querySelectorAll('.tz-label')) t.textContent = timeZoneLabel();
  const held = new Set(p.levels || []);
  // Levels the person holds stay listed even if level.list no longer has them.
  const names = [...new Set([...state.levels.map((l) => l.name), ...held])].sort();
  $('#person-edit-levels').replaceChildren(...names.map((n) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', name: 'level', value: n, checked: held.has(n) }),
    el('span', { text: n }))));
  if (!names.length) $('#person-edit-levels').append(el('span', { class: 'hint', text: 'No levels defined yet.' }));
  const creds = p.credentials || [];
  $('#person-edit-badges').replaceChildren(...(creds.length ? creds.map((b) => el('tr', { 'data-badge': b.id, ...flagAttrs(b.flags) },
    el('td', { text: b.id }),
    el('td', { class: `badge-status badge-${b.status}` }, b.status, ...flagSpans(b.flags)),
    el('td', { text: validityText(b) })))
    : [el('tr', {}, el('td', { colspan: 3, class: 'hint', text: 'No badges.' }))]));
  fillPersonPin(p);
  site.showPerson(p);
  personPhoto.show(p);
}

for (const b of document.querySelectorAll('#person-edit [data-clear]')) {
  b.addEventListener('click', () => {
    $('#person-edit').elements[b.dataset.clear].value = '';
  });
}

$('#person-edit-close').addEventListener('click', () => {
  $('#person-edit').hidden = true;
  state.editing = null;
});

$('#person-edit').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const p = state.editing;
  if (!p) return;
  const x = f.elements;
  const body = {};
  $('#person-edit-status').textContent = '';
  try {
    const name = x.name.value.trim();
    if (name !== p.name) body.name = name;
    if (x.valid_from.value !== validFromDate(p.valid_from))
      body.valid_from = x.valid_from.value ? validFromToUtc(x.valid_from.value) : null;
    if (x.valid_until.value !== validUntilDate(p.valid_until))
      body.valid_until = x.valid_until.value ? validUntilToUtc(x.valid_until.value) : null;
  } catch {
    formError(f, new Error('A date is not valid.'));
    return;
  }
  const held = new Set(p.levels || []);
  const want = new Set([...f.querySelectorAll('input[name=level]:checked')].map((c) => c.value));
  const add = [...want].filter((l) => !held.has(l));
  const remove = [...held].filter((l) => !want.has(l));
  if (add.length) body.add_levels = add;
  if (remove.length) body.remove_levels = remove;
  if (!Object.keys(body).length) {
    formError(f, null);
    $('#person-edit-status').textContent = 'Nothing to change.';
    return;
  }
  try {
    await post(`/api/persons/${encodeURIComponent(p.id)}/update`, body);
    formError(f, null);
    // person.update answers without the badges: read the whole record again.
    fillPersonEdit(await get(`/api/persons/${encodeURIComponent(p.id)}`));
    $('#person-edit-status').textContent = 'Saved.';
    loadPeople();
  } catch (e) {
    formError(f, e);
    handleError(e);
  }
});

// ---------------------------------------------------------------- a person's PIN

// Beside the edit form: person pin ID (the PIN typed twice into password
// fields, sent once in the POST body, the fields emptied before it goes:
// the browser keeps no copy), person pin ID --clear and person pin-unlock
// ID. The state shown is person.show's pin: none, set or locked.
const PIN_TEXT = {
  none: 'none',
  set: 'set',
  locked: 'locked (too many wrong PINs in a row): unlock it or set a new one',
};

function fillPersonPin(p) {
  const box = $('#person-pin');
  if (box.dataset.person !== p.id) {
    pinFieldsEmpty();
    $('#person-pin-result').textContent = '';
    box.querySelector('.error').textContent = '';
  }
  box.dataset.person = p.id;
  $('#person-pin-id').textContent = p.id;
  const pin = p.pin || 'none';
  $('#person-pin-status').dataset.pin = pin;
  $('#person-pin-status').textContent = PIN_TEXT[pin] || pin;
  $('#person-pin-clear').hidden = pin === 'none';
  $('#person-pin-unlock').hidden = pin !== 'locked';
  box.hidden = !canManage() || p.status === 'terminated';
}

function pinFieldsEmpty() {
  $('#person-pin-new').value = '';
  $('#person-pin-again').value = '';
}

async function reloadPersonPin() {
  const id = $('#person-pin').dataset.person;
  if (!id || $('#person-pin').hidden) return;
  try {
    const p = await get(`/api/persons/${encodeURIComponent(id)}`);
    if ($('#person-pin').dataset.person === id) fillPersonPin(p);
  } catch (e) {
    handleError(e);
  }
}

let pinTimer = null;
// A PIN changed elsewhere, or wrong PINs that lock it: the panel follows.
function pinOnEvent(ev) {
  const box = $('#person-pin');
  if (box.hidden || !ev.person || ev.person !== box.dataset.person) return;
  if (!/^(person|access)\./.test(ev.kind)) return;
  clearTimeout(pinTimer);
  pinTimer = setTimeout(reloadPersonPin, 150);
}

async function pinAction(path, body, done) {
  const box = $('#person-pin');
  const id = box.dataset.person;
  const err = box.querySelector('.error');
  err.textContent = '';
  $('#person-pin-result').textContent = '';
  try {
    await post(`/api/persons/${encodeURIComponent(id)}/${path}`, body);
    $('#person-pin-result').textContent = done;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      handleError(e);
      return;
    }
    err.textContent = e.message;
  }
  reloadPersonPin();
}

function setPersonPin() {
  const pin = $('#person-pin-new').value;
  const again = $('#person-pin-again').value;
  pinFieldsEmpty();
  const err = $('#person-pin .error');
  if (!pin) {
    err.textContent = 'Type the new PIN twice.';
    $('#person-pin-new').focus();
    return;
  }
  if (pin !== again) {
    $('#person-pin-result').textContent = '';
    err.textContent = 'The two PINs differ: nothing was sent. Type the new PIN twice.';
    $('#person-pin-new').focus();
    return;
  }
  pinAction('pin', { pin }, 'PIN set.');
}

$('#person-pin-set').addEventListener('click', setPersonPin);
for (const id of ['#person-pin-new', '#person-pin-again']) {
  $(id).addEventListener('keydown', (ev) => {
    if (ev.key !== 'Enter') return;
    ev.preventDefault();
    if (id === '#person-pin-new') $('#person-pin-again').focus();
    else setPersonPin();
  });
}
$('#person-pin-clear').addEventListener('click', async () => {
  const id = $('#person-pin').dataset.person;
  if (await confirmDialog({
    title: `Clear the PIN of ${id}?`,
    text: 'At a card + PIN door their badge is then refused until a new PIN is set.',
    ok: 'Clear PIN',
  })) pinAction('pin', { clear: true }, 'PIN cleared.');
});
$('#person-pin-unlock').addEventListener('click', () => pinAction('pin-unlock', undefined, 'PIN unlocked.'));
$('#person-edit-close').addEventListener('click', () => {
  $('#person-pin').hidden = true;
  pinFieldsEmpty();
});

$('#person-search').addEventListener('input', renderPeople);

// The people CSV import panel (ui/import.js): a commit reloads the lists.
setupPeopleImport({ onCommitted: loadPeople, onError: handleError });
const visitors = setupVisitors({ canManage: () => canManage(), onError: (e) => handleError(e) });

function formError(form, e) {
  form.querySelector('.error').textContent = e ? e.message : '';
}

$('#person-add').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const x = f.elements;
  const body = { id: x.id.value.trim(), name: x.name.value.trim() };
  const levels = x.levels.value.split(',').map((s) => s.trim()).filter(Boolean);
  if (levels.length) body.levels = levels;
  if (x.valid_until.value) body.valid_until = validUntilToUtc(x.valid_until.value);
  try {
    await post('/api/persons', body);
    formError(f, null);
    f.reset();
    loadPeople();
  } catch (e) {
    formError(f, e);
  }
});

$('#badge-issue').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  try {
    const x = f.elements;
    await post('/api/badges', { person: x.person.value.trim(), credential: x.credential.value.trim() });
    formError(f, null);
    f.reset();
    loadPeople();
  } catch (e) {
    formError(f, e);
  }
});

// ---------------------------------------------------------------- levels, zones, schedules, holidays

// The "Levels & zones" tab: levels with their zones and schedule, zones with
// their vetting setting, schedules with their intervals and the levels using
// them, holidays. Managers and admins change them through the same ops as
// aeogatectl (level.*, zone.set, schedule.*, holiday.*); auditors see them
// without the controls. The controller decides and refuses; its message is
// shown as it is.
const levelsLoad = newestLoad();
async function loadLevels() {
  const newest = levelsLoad();
  try {
    const [levels, zones, schedules, holidays] = await Promise.all([
      get('/api/levels'), get('/api/zones'), get('/api/schedules'), get('/api/holidays')]);
    if (!newest()) return;
    state.levels = levels;
    state.zones = zones;
    state.schedules = schedules;
    state.holidays = holidays;
    renderLevels();
    renderZones();
    renderSchedules();
    renderHolidays();
    fillSelect($('#f-zone'), zones.map((z) => z.name), true);
    fillSelect($('#report-zone'), zones.map((z) => z.name), true);
  } catch (e) {
    if (!newest()) return;
    handleError(e);
  }
}

let levelsTimer = null;
function scheduleLevelsReload() {
  clearTimeout(levelsTimer);
  levelsTimer = setTimeout(loadLevels, 150);
}

// One change through the API; the error (aeogated's message) goes to errEl.
// Returns whether it succeeded; the tab is loaded again either way.
async function tabAction(errEl, path, body) {
  errEl.textContent = '';
  let ok = false;
  try {
    await post(path, body);
    ok = true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      handleError(e);
      return false;
    }
    errEl.textContent = e.message;
  }
  loadLevels();
  return ok;
}

// Managers and admins add levels, add and remove a level's zones
// (level.update) and remove a level no one holds (level.remove). A level's
// last zone has no remove button (the controller refuses: remove the level);
// a level someone holds is refused with the reason shown.
function levelAction(path, body) {
  return tabAction($('#levels-error'), path, body);
}

function scheduleOptions(current) {
  return [el('option', { value: '', text: 'none', selected: !current }),
    ...state.schedules.map((x) => el('option', { value: x.name, text: x.name, selected: x.name === current }))];
}

function renderLevels() {
  const write = canManage();
  const zoneNames = state.zones.map((z) => z.name);
  for (const th of document.querySelectorAll('#tab-levels .level-write')) th.hidden = !write;
  redrawKeeping($('#levels'), () => $('#levels').replaceChildren(...state.levels.map((l) => {
    const zones = l.zones || [];
    const zonesCell = el('td', { class: 'zones' }, ...zones.map((z) => el('span', { class: 'chip', 'data-zone': z },
      z, write && zones.length > 1 ? el('button', {
        type: 'button', class: 'chip-remove', title: `remove zone ${z} from ${l.name}`,
        'aria-label': `remove zone ${z} from ${l.name}`, 'data-action': 'remove-zone', text: '×',
        onclick: () => levelAction('/api/levels/update', { name: l.name, remove_zones: [z] }),
      }) : null)));
    // level set NAME --schedule S|none: S, or null for none.
    const schedCell = el('td', { class: 'schedule', 'data-schedule': l.schedule || '' },
      el('span', { class: 'current', text: l.schedule || 'none' }));
    if (!write) return el('tr', { 'data-level': l.name }, el('td', { text: l.name }), zonesCell, schedCell);
    const schedPick = el('select', {
      'aria-label': `schedule of ${l.name}`, class: 'set-schedule', 'data-keep': `level/${l.name}/schedule`,
    }, ...scheduleOptions(l.schedule));
    schedCell.append(el('span', { class: 'inline-control' }, schedPick, el('button', {
      type: 'button', text: 'Set', 'data-action': 'set-schedule', title: `set the schedule of ${l.name}`,
      onclick: async () => {
        if (await levelAction('/api/levels/update', { name: l.name, schedule: schedPick.value || null })) forget(schedPick);
      },
    })));
    const missing = zoneNames.filter((z) => !zones.includes(z));
    const pick = el('select', { 'aria-label': `zone to add to ${l.name}`, class: 'add-zone', 'data-keep': `level/${l.name}/zone` },
      ...missing.map((z) => el('option', { value: z, text: z })));
    return el('tr', { 'data-level': l.name }, el('td', { text: l.name }), zonesCell, schedCell,
      el('td', { class: 'actions' },
        missing.length ? pick : null,
        missing.length ? el('button', {
          type: 'button', text: 'Add zone', 'data-action': 'add-zone',
          onclick: async () => {
            if (await levelAction('/api/levels/update', { name: l.name, add_zones: [pick.value] })) forget(pick);
          },
        }) : null,
        el('button', {
          type: 'button', class: 'danger', text: 'Remove level', 'data-action': 'remove-level',
          onclick: async () => {
            if (await confirmDialog({ title: `Remove level ${l.name}?`, text: 'Badges that open doors through it stop doing so.', ok: 'Remove level' })) {
              levelAction('/api/levels/remove', { name: l.name });
            }
          },
        })));
  })));
  $('#level-add').hidden = !write;
  const checked = new Set([...document.querySelectorAll('#level-add-zones input:checked')].map((c) => c.value));
  $('#level-add-zones').replaceChildren(...zoneNames.map((z) => el('label', { class: 'check' },
    el('input', { type: 'checkbox', name: 'zone', value: z, checked: checked.has(z) }),
    el('span', { text: z }))));
  const sel = $('#level-add-schedule');
  const cur = sel.value;
  sel.replaceChildren(el('option', { value: '', text: 'none (always)' }),
    ...state.schedules.map((x) => el('option', { value: x.name, text: x.name })));
  if (state.schedules.some((x) => x.name === cur)) sel.value = cur;
}

$('#level-add').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const zones = [...f.querySelectorAll('input[name=zone]:checked')].map((c) => c.value);
  if (!zones.length) {
    formError(f, new Error('Pick at least one zone.'));
    return;
  }
  const body = { name: f.elements.name.value.trim(), zones };
  if (f.elements.schedule.value) body.schedule = f.elements.schedule.value;
  try {
    await post('/api/levels', body);
    formError(f, null);
    f.reset();
    loadLevels();
  } catch (e) {
    formError(f, e);
    handleError(e);
  }
});

// zone set ZONE --vetting required|none (zone.set).
// A zone's anti-passback mode, its soft violations, and (managers) the control that sets it.
function apbCell(z, write) {
  const apb = z.apb || 'off';
  const violations = z.apb_violations || 0;
  const cell = el('td', { class: 'apb', 'data-apb': apb },
    el('span', { class: 'current', text: apb }),
    violations ? el('span', { class: 'violations', text: ` (${violations} soft violation${violations === 1 ? '' : 's'})` }) : null);
  if (!write) return cell;
  const mode = apb.startsWith('timed:') ? 'timed' : apb;
  const pick = el('select', { 'aria-label': `anti-passback for zone ${z.name}`, class: 'set-apb', 'data-keep': `zone/${z.name}/apb` },
    ...['off', 'soft', 'hard', 'timed'].map((v) => el('option', { value: v, text: v, selected: v === mode })));
  const minutes = el('input', {
    type: 'number', min: '1', max: '10080', class: 'apb-minutes', 'aria-label': `timed anti-passback minutes for zone ${z.name}`,
    'data-keep': `zone/${z.name}/apb-minutes`, placeholder: 'min', value: mode === 'timed' ? apb.slice(6) : '',
  });
  cell.append(el('span', { class: 'inline-control' }, pick, minutes, el('button', {
    type: 'button', text: 'Set', 'data-action': 'set-apb', title: `set the anti-passback of zone ${z.name}`,
    onclick: async () => {
      const value = pick.value === 'timed' ? `timed:${minutes.value}` : pick.value;
      if (await tabAction($('#zones-error'), '/api/zones/set', { zone: z.name, apb: value })) { forget(pick); forget(minutes); }
    },
  })));
  return cell;
}

// People inside now / the limit, and (managers) the control that sets the limit (empty: none).
function occupancyCell(z, write) {
  const max = z.max_occupancy === null || z.max_occupancy === undefined ? null : z.max_occupancy;
  const full = max !== null && (z.occupancy || 0) >= max;
  const cell = el('td', { class: 'occupancy', 'data-full': full ? '1' : null },
    el('span', { class: 'current', text: `${z.occupancy || 0} / ${max === null ? 'no limit' : max}` }));
  if (!write) return cell;
  const input = el('input', {
    type: 'number', min: '0', max: '100000', class: 'set-max-occupancy', 'aria-label': `maximum occupancy of zone ${z.name}`,
    'data-keep': `zone/${z.name}/max`, placeholder: 'none', value: max === null ? '' : String(max),
  });
  cell.append(el('span', { class: 'inline-control' }, input, el('button', {
    type: 'button', text: 'Set', 'data-action': 'set-max-occupancy', title: `set the maximum occupancy of zone ${z.name}`,
    onclick: async () => {
      const value = input.value.trim() === '' ? 'none' : input.value.trim();
      if (await tabAction($('#zones-error'), '/api/zones/set', { zone: z.name, max_occupancy: value })) forget(input);
    },
  })));
  return cell;
}

function renderZones() {
  const write = canManage();
  redrawKeeping($('#zones'), () => $('#zones').replaceChildren(...state.zones.map((z) => {
    const vetting = z.vetting || 'none';
    const cell = el('td', { class: 'vetting', 'data-vetting': vetting }, el('span', { class: 'current', text: vetting }));
    if (write) {
      const pick = el('select', { 'aria-label': `vetting for zone ${z.name}`, class: 'set-vetting', 'data-keep': `zone/${z.name}/vetting` },
        ...['none', 'required'].map((v) => el('option', { value: v, text: v, selected: v === vetting })));
      cell.append(el('span', { class: 'inline-control' }, pick, el('button', {
        type: 'button', text: 'Set', 'data-action': 'set-vetting', title: `set the vetting of zone ${z.name}`,
        onclick: async () => {
          if (await tabAction($('#zones-error'), '/api/zones/set', { zone: z.name, vetting: pick.value })) forget(pick);
        },
      })));
    }
    const pairing = pairingCells(z, { write, set: async (body, ...fields) => {
      if (await tabAction($('#zones-error'), '/api/zones/set', { zone: z.name, ...body })) forget(...fields);
    } });
    return el('tr', { 'data-zone': z.name }, el('td', { text: z.name }), el('td', { text: (z.doors || []).join(', ') }), cell,
      apbCell(z, write), occupancyCell(z, write), ...pairing);
  })));
}

// ---------------------------------------------------------------- muster

// The roll call (muster.list): one printable page, a table per zone with
// who is inside, since when (site time) and by which door; zones with no
// one say so. Loaded when the tab opens and again after each granted read
// or apb.forgiven while it is shown.
const musterLoad = newestLoad();
async function loadMuster() {
  const newest = musterLoad();
  try {
    const [rows, zones] = await Promise.all([get('/api/muster'), get('/api/zones')]);
    if (!newest()) return;
    state.zones = zones;
    renderMuster(rows);
    $('#muster-error').textContent = '';
  } catch (e) {
    if (!newest()) return;
    handleError(e);
    $('#muster-error').textContent = e.message;
  }
}

let musterTimer = null;
function scheduleMusterReload() {
  clearTimeout(musterTimer);
  musterTimer = setTimeout(loadMuster, 150);
}

function renderMuster(rows) {
  const names = state.zones.map((z) => z.name);
  for (const r of rows) if (!names.includes(r.zone)) names.push(r.zone);
  $('#muster-at').replaceChildren(timeElement(new Date().toISOString()));
  $('#muster').replaceChildren(...names.map((zone) => {
    const inside = rows.filter((r) => r.zone === zone);
    const head = el('h3', { text: `${zone}: ${inside.length} inside` });
    if (!inside.length) return el('div', { class: 'muster-zone', 'data-zone': zone }, head, el('p', { class: 'hint', text: 'No one inside.' }));
    return el('div', { class: 'muster-zone', 'data-zone': zone }, head,
      el('table', { class: 'grid' },
        el('thead', {}, el('tr', {}, ...['Person', 'Name', 'Since', 'Door', 'Present'].map((h) => el('th', { text: h })))),
        el('tbody', {}, ...inside.map((r) => el('tr', { 'data-person': r.person },
          el('td', { text: r.person }), el('td', { text: r.name || '' }), el('td', {}, timeElement(r.since)),
          el('td', { text: r.door }), el('td', { class: 'tick' }))))));
  }));
}

$('#muster-print').addEventListener('click', () => window.print());

// schedule add NAME --interval SPEC..., schedule set NAME --add-interval /
// --remove-interval SPEC, schedule remove NAME (refused while in use: the
// controller's message says by whom). A schedule's last interval has no
// remove button (the controller refuses it: remove the schedule).
function scheduleAction(body, path = '/api/schedules/update') {
  return tabAction($('#schedules-error'), path, body);
}

function renderSchedules() {
  const write = canManage();
  for (const th of document.querySelectorAll('#tab-levels .schedule-write')) th.hidden = !write;
  for (const t of document.querySelectorAll('#tab-levels .tz-label')) t.textContent = timeZoneLabel();
  redrawKeeping($('#schedules'), () => $('#schedules').replaceChildren(...state.schedules.map((x) => {
    const ivs = x.intervals || [];
    const users = [...(x.levels || []).map((l) => `level ${l}`), ...(x.doors || []).map((d) => `door ${d}`)];
    const cells = [
      el('td', { text: x.name }),
      el('td', { class: 'intervals' }, ...ivs.map((iv) => el('span', { class: 'chip', 'data-interval': iv },
        iv, write && ivs.length > 1 ? el('button', {
          type: 'button', class: 'chip-remove', title: `remove interval ${iv} from ${x.name}`,
          'aria-label': `remove interval ${iv} from ${x.name}`, 'data-action': 'remove-interval', text: '×',
          onclick: () => scheduleAction({ name: x.name, remove_intervals: [iv] }),
        }) : null))),
      el('td', { class: 'users', text: users.length ? users.join(', ') : 'none' }),
    ];
    if (write) {
      const spec = el('input', {
        class: 'add-interval', placeholder: 'e.g. sat 08:00-12:00', maxlength: 64,
        'aria-label': `interval to add to ${x.name}`, 'data-keep': `schedule/${x.name}/interval`,
      });
      const add = async () => {
        const v = spec.value.trim();
        if (!v) {
          $('#schedules-error').textContent = 'Type an interval to add (DAYS HH:MM-HH:MM).';
          spec.focus();
          return;
        }
        if (await scheduleAction({ name: x.name, add_intervals: [v] })) forget(spec);
      };
      spec.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') {
          ev.preventDefault();
          add();
        }
      });
      cells.push(el('td', { class: 'actions' }, spec,
        el('button', { type: 'button', text: 'Add interval', 'data-action': 'add-interval', onclick: add }),
        el('button', {
          type: 'button', class: 'danger', text: 'Remove schedule', 'data-action': 'remove-schedule',
          onclick: async () => {
            if (await confirmDialog({ title: `Remove schedule ${x.name}?`, ok: 'Remove schedule' })) {
              scheduleAction({ name: x.name }, '/api/schedules/remove');
            }
          },
        })));
    }
    return el('tr', { 'data-schedule': x.name }, ...cells);
  })));
  if (!state.schedules.length) {
    $('#schedules').append(el('tr', {}, el('td', { colspan: write ? 4 : 3, class: 'hint', text: 'No schedules yet: levels without one work at all times.' })));
  }
  $('#schedule-add').hidden = !write;
}

$('#schedule-add').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const intervals = f.elements.intervals.value.split('\n').map((x) => x.trim()).filter(Boolean);
  if (!intervals.length) {
    formError(f, new Error('A schedule needs at least one interval.'));
    return;
  }
  try {
    await post('/api/schedules', { name: f.elements.name.value.trim(), intervals });
    formError(f, null);
    f.reset();
  } catch (e) {
    formError(f, e);
    handleError(e);
  }
  loadLevels();
});

// holiday add DATE --name TEXT, holiday remove DATE: site-time dates.
function renderHolidays() {
  const write = canManage();
  for (const th of document.querySelectorAll('#tab-levels .holiday-write')) th.hidden = !write;
  $('#holidays').replaceChildren(...state.holidays.map((h) => el('tr', { 'data-holiday': h.date },
    el('td', { text: h.date }), el('td', { text: h.name }),
    write ? el('td', { class: 'actions' }, el('button', {
      type: 'button', class: 'danger', text: 'Remove', 'data-action': 'remove-holiday',
      onclick: async () => {
        if (await confirmDialog({ title: `Remove the holiday on ${h.date} (${h.name})?`, ok: 'Remove holiday' })) {
          tabAction($('#holidays-error'), '/api/holidays/remove', { date: h.date });
        }
      },
    })) : null)));
  if (!state.holidays.length) {
    $('#holidays').append(el('tr', {}, el('td', { colspan: write ? 3 : 2, class: 'hint', text: 'No holidays.' })));
  }
  $('#holiday-add').hidden = !write;
}

$('#holiday-add').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  try {
    await post('/api/holidays', { date: f.elements.date.value, name: f.elements.name.value.trim() });
    formError(f, null);
    f.reset();
  } catch (e) {
    formError(f, e);
    handleError(e);
  }
  loadLevels();
});

// ---------------------------------------------------------------- reports

// An export is produced once by aeogate-web (POST /api/exports), which pages
// the controller as aeogatectl does; the file and its signed manifest are
// then plain downloads of what it holds for a few minutes.
async function loadReports() {
  $('#report-tzmode').options[0].textContent = `site time (${timeZoneLabel()})`;
  if (state.reports) return;
  try {
    state.reports = await get('/api/reports');
  } catch (e) {
    handleError(e);
    return;
  }
  const sel = $('#report-name');
  sel.replaceChildren(el('option', { value: '', text: 'Audit export (all events, or filtered below)' }),
    ...state.reports.map((r) => el('option', { value: r.name, text: r.title })));
  updateReportForm();
}

function currentReport() {
  const name = $('#report-name').value;
  return (state.reports || []).find((x) => x.name === name) || null;
}

// Only the parameters the chosen report takes are shown (and sent).
function updateReportForm() {
  const r = currentReport();
  const params = r ? r.params : ['from', 'to'];
  $('#export-filters').hidden = Boolean(r);
  for (const l of document.querySelectorAll('#report-form [data-param]')) l.hidden = !params.includes(l.dataset.param);
  $('#report-title').textContent = !r
    ? 'Every event in the range, chained and signed; narrow it by kind, person or zone.'
    : r.type === 'table' ? 'Computed by the controller from its records, signed with a checkpoint of the event chain.'
      : `Event kinds: ${r.kinds.join(', ')}`;
}

$('#report-name').addEventListener('change', updateReportForm);

// A datetime-local value as a UTC time for the controller.
function rangeTime(value, mode) {
  if (!value) return null;
  value = value.trim().replace(' ', 'T');
  if (mode === 'utc') {
    const withSeconds = /T\d{2}:\d{2}$/.test(value) ? `${value}:00` : value;
    return `${withSeconds}Z`;
  }
  return siteLocalToUtc(value, timeZoneLabel());
}

$('#report-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const x = f.elements;
  const body = { format: x.format.value };
  const chosen = currentReport();
  const params = chosen ? chosen.params : ['from', 'to'];
  try {
    for (const p of ['from', 'to', 'at']) {
      const t = params.includes(p) ? rangeTime(x[p].value, x.tzmode.value) : null;
      if (t) body[p] = t;
    }
  } catch {
    formError(f, new Error('A time is not valid.'));
    return;
  }
  if (params.includes('within_days') && x.within_days.value !== '') body.within_days = Number(x.within_days.value);
  if (x.report.value) {
    body.report = x.report.value;
  } else {
    const kinds = x.kinds.value.split(',').map((k) => k.trim()).filter(Boolean);
    if (kinds.length) body.kinds = kinds;
    if (x.person.value.trim()) body.person = x.person.value.trim();
    if (x.zone.value) body.zone = x.zone.value;
  }
  const button = f.querySelector('button[type=submit]');
  button.disabled = true;
  $('#report-result').hidden = true;
  formError(f, null);
  try {
    const r = await post('/api/exports', body);
    const range = r.type === 'table' ? 'as the controller holds them'
      : r.range_first ? `out of chain seq ${r.range_first}–${r.range_last}` : 'no events in the range';
    $('#report-summary').textContent = `${r.file}: ${r.rows} row${r.rows === 1 ? '' : 's'} (${range}), `
      + `signed by key ${r.key_id}. Download both within ${Math.round(r.expires_s / 60)} minutes.`;
    const file = $('#report-file');
    file.href = r.url;
    file.setAttribute('download', r.file);
    file.textContent = `Download ${r.file}`;
    const man = $('#report-manifest');
    man.href = r.manifest_url;
    man.setAttribute('download', r.manifest_file);
    man.textContent = `Download ${r.manifest_file}`;
    $('#report-result').hidden = false;
  } catch (e) {
    formError(f, e);
    handleError(e);
  } finally {
    button.disabled = false;
  }
});

// ---------------------------------------------------------------- simulator

// H10301 26-bit frame for facility and card number, with its parity bits.
$('#sim-present').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = ev.target;
  const body = { reader: f.reader.value };
  const badge = f.badge.value;
  if (badge) body.credential = badge;
  else if (f.bits.value) body.bits = f.bits.value;
  else if (f.uid.value) body.uid = f.uid.value.toLowerCase();
  else {
    $('#sim-result').textContent = 'Pick a badge or type bits or a UID.';
    return;
  }
  try {
    const r = await post('/api/sim/present', body);
    // Card + PIN: the reader now waits for the PIN; its outcome comes as an event.
    $('#sim-result').textContent = r.pending ? `Waiting for the PIN${r.person ? ' of ' + r.person : ''}`
      : r.granted ? `Granted${r.person ? ' to ' + r.person : ''}`
        : `Denied: ${reasonText(r.reason)}`;
    $('#sim-result').dataset.granted = r.granted ? '1' : '0';
  } catch (e) {
    $('#sim-result').textContent = `Failed: ${e.message}`;
  }
});

$('#sim-door').addEventListener('click', async (ev) => {
  const b = ev.target.closest('button');
  if (!b) return;
  const door = $('#sim-door-name').value;
  try {
    if (b.dataset.rex) await post('/api/sim/rex', { door });
    else await post('/api/sim/door', { door, state: b.dataset.state });
    $('#sim-door-result').textContent = `${door}: ${b.textContent.toLowerCase()} done`;
  } catch (e) {
    $('#sim-door-result').textContent = `Failed: ${e.message}`;
  }
});

// ---------------------------------------------------------------- users

// ui/users.js: the admin's Users page and everyone's own password.
const users = setupUsers({
  onError: handleError,
  onSignedOut: (message) => showLogin(message),
});

function loadUsers() {
  users.load();
}

// ---------------------------------------------------------------- tabs & start

// The History page (ui/history.js): the whole log searched and paged by the controller.
const history = setupHistory({
  timeZone: () => timeZoneLabel(), canExport: () => can('manager auditor admin'), onError: (e) => handleError(e),
});

function selectTab(name) {
  for (const b of document.querySelectorAll('#tabs button')) {
    b.classList.toggle('active', b.dataset.tab === name);
    if (b.dataset.tab === name) b.setAttribute('aria-current', 'page');
    else b.removeAttribute('aria-current');
  }
  for (const s of document.querySelectorAll('.tab')) s.hidden = s.id !== `tab-${name}`;
  document.body.dataset.tab = name;
  if (name === 'overview') overview.load();
  if (name === 'levels') loadLevels();
  if (name === 'muster') loadMuster();
  if (name === 'users') loadUsers();
  if (name === 'visitors') visitors.load();
  if (name === 'history') history.load();
  if (name === 'people') loadPeople();
  if (name === 'reports') { loadReports(); loadLevels(); }
  if (name === 'doors' || name === 'sim') loadDoors();
}

$('#tabs').addEventListener('click', (ev) => {
  const b = ev.target.closest('button[data-tab]');
  if (b) selectTab(b.dataset.tab);
});

function handleError(e) {
  if (e instanceof ApiError && e.status === 401) showLogin('Your session has ended. Sign in again.');
}

async function start(me) {
  state.me = me;
  setCsrf(me.csrf);
  state.status = await get('/api/status');
  lockdownBanner.fromStatus(state.status);
  setTimeZone(state.status.timezone || 'UTC');
  $('#site').textContent = state.status.site || '';
  $('#site').title = state.status.site || '';
  $('#tz').replaceChildren(el('span', { class: 'wide-only', text: 'times in ' }), timeZoneLabel());
  $('#tz').title = `Times are shown in ${timeZoneLabel()}`;
  $('#who').textContent = `${me.user} (${me.role})`;
  $('#who').title = `Signed in as ${me.user} (${me.role})`;
  $('#logout').hidden = false;
  setSignedIn(true);
  $('#login-view').hidden = true;
  $('#app-view').hidden = false;
  document.body.dataset.role = me.role;
  site.fromStatus(state.status);

  for (const b of document.querySelectorAll('#tabs button')) {
    const allowed = b.dataset.roles.split(' ').includes(me.role);
    b.hidden = !allowed || (b.dataset.demo && !state.status.demo);
  }
  selectTab('overview');

  // The newest page of history, then the live stream from where it ends.
  const last = state.status.last_seq || 0;
  const events = await get(`/api/events?since=${Math.max(0, last - 200)}&limit=1000`);
  state.events = [];
  state.alarms = [];
  state.liveAlarms.clear();
  state.seenAlarmIds.clear();
  state.alarmsLoaded = false;
  state.alarmsSupported = true;
  for (const ev of events) onEvent(ev, false);
  renderFeed();
  renderAlarms();
  renderSound();
  $('#sound').hidden = false;
  checkSoundAllowed();
  const since = events.length ? events[events.length - 1].seq : last;
  stream.start(since);
  loadDoors();
  loadLevels();
  if (can('manager auditor admin')) loadPeople();
  loadAlarms();
}

setupShell();
setupStackedTables();
setupDateInputs();
(async () => {
  try {
    const me = await get('/api/me');
    if (me && me.signed_in === false) showLogin();
    else await start(me);
  } catch {
    showLogin();
  }
})();
