// Run-time site settings for managers and admins (the controller's manage
// roles), as aeogatectl has them:
// - on the Doors tab, lock down the whole site or the zones ticked, release
//   it (POST /api/site/lockdown, /api/site/release: site lockdown|release
//   [--zone Z]... --comment TEXT), and set the threat level 0-5 (POST
//   /api/site/threat: site threat LEVEL --comment TEXT). The comment is
//   required; the controller refuses an empty one, and its words are shown.
// - on the person panel, whether the person is a responder (passes a
//   lockdown) and their clearance 0-5 (POST /api/persons/ID/update with
//   responder and clearance: person set --responder yes|no --clearance N).
// The state shown follows status at sign-in and the site.* events of the
// live stream; every role sees the banner (lockdown.js), only managers and
// admins these controls.
import { ApiError, get, post, newestLoad } from './api.js';
import { lockdownText } from './lockdown.js';
import { confirmDialog } from './menu.js';
import { el } from './dom.js';

const $ = (sel) => document.querySelector(sel);

// canManage: whether the signed-in role may change these; onError: the
// page's handler (401 → sign in).
export function setupSite({ canManage, onError }) {
  const box = $('#site-controls');
  const personBox = $('#person-site');
  const state = { lockdown: null, threat: 0 };

  function renderState() {
    const what = lockdownText(state.lockdown);
    const node = $('#site-state');
    node.dataset.lockdown = what ? JSON.stringify(state.lockdown) : '';
    node.dataset.threat = String(state.threat);
    node.textContent = `${what ? `locked down: ${what}` : 'no lockdown'}; threat level ${state.threat}`;
    $('#site-threat-level').value = String(state.threat);
  }

  const zonesLoad = newestLoad();
  async function loadZones() {
    const newest = zonesLoad();
    try {
      const zones = await get('/api/zones');
      if (!newest()) return;
      const ticked = new Set([...box.querySelectorAll('#site-zones input:checked')].map((i) => i.value));
      $('#site-zones').replaceChildren(...zones.map((z) => el('label', { class: 'check' },
        el('input', { type: 'checkbox', value: z.name, 'data-zone': z.name, checked: ticked.has(z.name) }),
        el('span', { text: z.name }))));
    } catch (e) {
      if (newest()) onError(e);
    }
  }

  // A site.* request: the reply is the state after it (system.status's lockdown, threat_level).
  async function act(path, body, done) {
    $('#site-error').textContent = '';
    $('#site-result').textContent = '';
    try {
      const after = await post(path, body);
      if (after && 'threat_level' in after) {
        state.lockdown = after.lockdown ?? null;
        state.threat = after.threat_level || 0;
        renderState();
      }
      $('#site-comment').value = '';
      $('#site-result').textContent = done;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) onError(e);
      else $('#site-error').textContent = e.message;
    }
  }

  function lockBody() {
    const zones = [...box.querySelectorAll('#site-zones input:checked')].map((i) => i.value);
    const body = { comment: $('#site-comment').value.trim() };
    if (zones.length) body.zones = zones;
    return body;
  }

  // A lockdown locks doors on people: red, and confirmed first.
  $('#site-lockdown').addEventListener('click', async () => {
    const body = lockBody();
    const what = body.zones ? `zone${body.zones.length > 1 ? 's' : ''} ${body.zones.join(', ')}` : 'the whole site';
    const ok = await confirmDialog({
      title: `Lock down ${what}?`,
      text: 'Every door of it locks and refuses every badge but responders\'; exit buttons still open.',
      ok: 'Lock down',
    });
    if (ok) act('/api/site/lockdown', body, `Locked down: ${what}.`);
  });
  $('#site-release').addEventListener('click', () => {
    const body = lockBody();
    act('/api/site/release', body, body.zones ? `Released: ${body.zones.join(', ')}.` : 'Lockdown released.');
  });
  $('#site-threat-set').addEventListener('click', () => {
    const level = Number($('#site-threat-level').value);
    act('/api/site/threat', { level, comment: $('#site-comment').value.trim() }, `Threat level ${level}.`);
  });

  // Responder and clearance on the person panel.
  function showPerson(p) {
    if (personBox.dataset.person !== p.id) {
      $('#person-site-result').textContent = '';
      personBox.querySelector('.error').textContent = '';
    }
    personBox.dataset.person = p.id;
    $('#person-site-id').textContent = p.id;
    $('#person-responder').checked = !!p.responder;
    $('#person-clearance').value = String(p.clearance || 0);
    personBox.dataset.responder = p.responder ? 'yes' : 'no';
    personBox.dataset.clearance = String(p.clearance || 0);
    personBox.hidden = !canManage() || p.status === 'terminated';
  }

  $('#person-site-save').addEventListener('click', async () => {
    const id = personBox.dataset.person;
    const err = personBox.querySelector('.error');
    err.textContent = '';
    $('#person-site-result').textContent = '';
    try {
      await post(`/api/persons/${encodeURIComponent(id)}/update`, {
        responder: $('#person-responder').checked,
        clearance: Number($('#person-clearance').value),
      });
      const p = await get(`/api/persons/${encodeURIComponent(id)}`);
      if (personBox.dataset.person === id) showPerson(p);
      $('#person-site-result').textContent = 'Saved.';
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) onError(e);
      else err.textContent = e.message;
    }
  });
  $('#person-edit-close').addEventListener('click', () => {
    personBox.hidden = true;
  });

  return {
    // At sign-in: the state as system.status gives it; the controls for managers.
    fromStatus(status) {
      state.lockdown = status.lockdown ?? null;
      state.threat = status.threat_level || 0;
      box.hidden = !canManage();
      renderState();
      if (canManage()) loadZones();
    },
    // A live event: site.lockdown/site.release carry the lockdown after them, site.threat the level.
    onEvent(ev) {
      const d = ev.detail || {};
      if (ev.kind === 'site.lockdown' || ev.kind === 'site.release') state.lockdown = d.after ?? null;
      else if (ev.kind === 'site.threat' && d.after) state.threat = d.after.threat_level || 0;
      else return;
      renderState();
    },
    showPerson,
  };
}
