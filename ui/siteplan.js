// The site plan on the Overview: the floor-plan image the controller stores
// (GET /api/site/plan/image) with a marker per door at its stored place
// (relative coordinates 0..1, so it stays put at any width). Each marker
// shows the door's live state (word and colour) and opens the door's panel.
// An admin uploads or removes the plan (PNG or JPEG, at most 1 MiB; the
// controller checks the bytes) and places markers by drag and drop, from the
// tray of doors not yet on the plan or from where they are, or with the
// arrow keys on a focused marker (a door in the tray goes to the middle). Every change is the controller's
// (site.plan, site.marker events); a refusal is shown in its words.
import { get, post, upload } from './api.js';
import { el } from './dom.js';
import { confirmDialog } from './menu.js';

const KEY_STEP = 0.01;

export function setupSitePlan({
  isAdmin, openDoor, onError, onChange,
}) {
  const data = { plan: null, markers: new Map() };
  let dragging = null; // {door, button, moved}
  let shownSha = null;
  const img = el('img', { id: 'plan-image', alt: 'Site plan', draggable: 'false' });
  const layer = el('div', { class: 'plan-layer' });
  const wrap = el('div', { id: 'plan', class: 'plan' }, img, layer);
  const tray = el('ul', { id: 'plan-tray', class: 'plan-tray', 'aria-label': 'Doors not on the plan' });
  const result = el('p', { id: 'plan-result', class: 'result', role: 'status' });
  const error = el('p', { id: 'plan-error', class: 'error', role: 'alert' });
  const file = el('input', {
    id: 'plan-file', type: 'file', accept: 'image/png,image/jpeg', 'aria-label': 'Floor plan image (PNG or JPEG, at most 1 MiB)',
  });
  const remove = el('button', { type: 'button', id: 'plan-remove', class: 'danger', text: 'Remove plan' });
  const controls = el('div', { id: 'plan-controls', class: 'plan-controls' },
    el('label', {}, 'Upload a floor plan (PNG or JPEG, at most 1 MiB) ', file), remove,
    el('p', { class: 'hint', text: 'Drag a door onto the plan to place it; drag it again to move it, or focus it and use the arrow keys.' }),
    result, error);

  async function load() {
    const r = await get('/api/site/plan');
    data.plan = r.plan;
    data.markers = new Map((r.markers || []).map((m) => [m.door, m]));
  }

  function say(ok, text) {
    result.textContent = ok ? text : '';
    error.textContent = ok ? '' : text;
  }

  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    if (!f) return;
    try {
      await upload('/api/site/plan', f, f.type || 'application/octet-stream');
      say(true, 'Site plan saved.');
      await load();
      onChange();
    } catch (e) {
      say(false, `Not saved: ${e.message}`);
      onError(e);
    } finally {
      file.value = '';
    }
  });

  remove.addEventListener('click', async () => {
    if (!await confirmDialog({
      title: 'Remove the site plan?', text: 'The door markers are kept for the next one.', ok: 'Remove plan',
    })) return;
    try {
      await post('/api/site/plan/remove');
      say(true, 'Site plan removed.');
      await load();
      onChange();
    } catch (e) {
      say(false, `Not removed: ${e.message}`);
      onError(e);
    }
  });

  async function saveMarker(door, x, y) {
    const cx = Math.min(1, Math.max(0, x));
    const cy = Math.min(1, Math.max(0, y));
    try {
      const m = await post('/api/site/markers', { door, x: cx, y: cy });
      data.markers.set(door, m);
      say(true, `Door ${door} placed.`);
    } catch (e) {
      say(false, `Door ${door} not placed: ${e.message}`);
      onError(e);
    }
    onChange();
  }

  // m null: not on the plan (in the tray).
  function place(button, m) {
    button.style.left = m ? `${m.x * 100}%` : '';
    button.style.top = m ? `${m.y * 100}%` : '';
  }

  // One button per door, kept across redraws: a drag, the focus and the
  // keyboard survive the live updates; only its state changes.
  const markerEls = new Map();

  function marker(door, state) {
    let b = markerEls.get(door.name);
    if (!b) {
      b = el('button', { type: 'button', 'data-door': door.name },
        el('span', { class: 'name', text: door.name }), el('span', { class: 'state' }));
      b.addEventListener('click', () => {
        if (dragging && dragging.moved) return;
        openDoor(door.name);
      });
      b.addEventListener('pointerdown', (ev) => { if (isAdmin()) startDrag(ev, door.name, b); });
      b.addEventListener('keydown', (ev) => {
        const m = data.markers.get(door.name);
        const d = {
          ArrowLeft: [-KEY_STEP, 0], ArrowRight: [KEY_STEP, 0], ArrowUp: [0, -KEY_STEP], ArrowDown: [0, KEY_STEP],
        }[ev.key];
        if (!d || !isAdmin() || !data.plan) return;
        ev.preventDefault();
        // A door in the tray goes to the middle of the plan first.
        if (!m) saveMarker(door.name, 0.5, 0.5);
        else saveMarker(door.name, m.x + d[0], m.y + d[1]);
      });
      markerEls.set(door.name, b);
    }
    b.className = `plan-marker door-${state}`;
    b.dataset.state = state;
    b.title = `Door ${door.name}: ${state}. Opens the door's panel.`;
    b.querySelector('.state').textContent = state;
    return b;
  }

  function startDrag(ev, door, button) {
    if (ev.button !== 0 || !data.plan) return;
    dragging = {
      door, button, moved: false, x0: ev.clientX, y0: ev.clientY,
    };
    button.setPointerCapture(ev.pointerId);
    button.classList.add('dragging');
    ev.preventDefault();
  }

  function onMove(ev) {
    if (!dragging) return;
    const dx = ev.clientX - dragging.x0;
    const dy = ev.clientY - dragging.y0;
    if (Math.abs(dx) + Math.abs(dy) > 3) dragging.moved = true;
    dragging.button.style.transform = `translate(${dx}px, ${dy}px)`;
  }

  function onUp(ev) {
    if (!dragging) return;
    const d = dragging;
    d.button.classList.remove('dragging');
    d.button.style.transform = '';
    const box = img.getBoundingClientRect();
    const inside = ev.clientX >= box.left && ev.clientX <= box.right && ev.clientY >= box.top && ev.clientY <= box.bottom;
    // The click that follows a drag must not open the panel: forget the drag after it.
    setTimeout(() => { if (dragging === d) dragging = null; }, 0);
    if (d.moved && inside && box.width > 0 && box.height > 0) {
      saveMarker(d.door, (ev.clientX - box.left) / box.width, (ev.clientY - box.top) / box.height);
    } else if (d.moved) {
      onChange();
    }
  }

  wrap.addEventListener('pointermove', onMove);
  wrap.addEventListener('pointerup', onUp);
  tray.addEventListener('pointermove', onMove);
  tray.addEventListener('pointerup', onUp);

  // states: [{door, state}] from the Overview; grid: its door grid, shown
  // without a plan. Returns what the Doors card shows.
  function render(states, grid) {
    const admin = isAdmin();
    remove.hidden = !data.plan;
    const parts = [];
    if (data.plan) {
      if (shownSha !== data.plan.sha256) {
        img.src = `/api/site/plan/image?v=${data.plan.sha256}`;
        img.width = data.plan.width;
        img.height = data.plan.height;
        shownSha = data.plan.sha256;
      }
      const onPlan = states.filter((s) => data.markers.has(s.door.name));
      layer.replaceChildren(...onPlan.map((s) => {
        const b = marker(s.door, s.state);
        place(b, data.markers.get(s.door.name));
        return b;
      }));
      parts.push(wrap);
      const off = states.filter((s) => !data.markers.has(s.door.name));
      if (off.length) {
        tray.replaceChildren(...off.map((s) => {
          const b = marker(s.door, s.state);
          place(b, null);
          return el('li', {}, b);
        }));
        parts.push(el('div', { class: 'plan-off' },
          el('h3', { text: admin ? 'Doors not on the plan (drag one onto it)' : 'Doors not on the plan' }), tray));
      }
    } else {
      shownSha = null;
      img.removeAttribute('src');
      parts.push(grid);
    }
    if (admin) parts.push(controls);
    return el('div', { class: 'plan-view', 'data-plan': data.plan ? '1' : '0' }, ...parts);
  }

  return {
    load, render, busy: () => !!dragging,
  };
}
