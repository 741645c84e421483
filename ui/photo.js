// Person photos (README "Person photos"): the face on file, so a guard can
// compare it with the one at the door. The controller stores the photo and
// says which events have one (person_has_photo beside person_name on the
// stream and in events.list); the page fetches each person's photo once and
// keeps it as a data: URL (the page's CSP allows data: images, not blob:),
// dropping the kept copy when a person.photo event says it changed. A
// manager or admin uploads (PNG or JPEG, at most 512 KiB; the controller
// checks the bytes) and removes it in the person panel; a refusal is shown
// in the controller's words.
import { get, post, upload } from './api.js';
import { confirmDialog } from './menu.js';

const kept = new Map(); // person id → Promise of a data: URL, or null (none, or not allowed)

function asDataUrl(blob) {
  return new Promise((resolve) => {
    const r = new FileReader();
    r.onload = () => resolve(typeof r.result === 'string' ? r.result : null);
    r.onerror = () => resolve(null);
    r.readAsDataURL(blob);
  });
}

// Only asked for people the controller said have a photo (no 404 to log).
function photoOf(id) {
  let p = kept.get(id);
  if (!p) {
    p = fetch(`/api/persons/${encodeURIComponent(id)}/photo`, { credentials: 'same-origin' })
      .then((res) => (res.ok ? res.blob() : null))
      .then((b) => (b ? asDataUrl(b) : null))
      .catch(() => null);
    kept.set(id, p);
  }
  return p;
}

// A person.photo event (set or removed): the next thumbnail asks again.
export function photoOnEvent(ev) {
  if (ev.kind === 'person.photo' && ev.person) kept.delete(ev.person);
}

// The thumbnail beside an access event on the live feed, or null when the
// event has none. alt: the person's name (the id when there is none).
export function feedPhoto(el, ev) {
  if (!ev.person || !ev.person_has_photo || !/^access\./.test(ev.kind)) return null;
  const img = el('img', {
    class: 'ev-photo', alt: ev.person_name || ev.person, 'data-person': ev.person, width: '40', height: '40',
  });
  img.hidden = true;
  photoOf(ev.person).then((url) => {
    if (!url) return;
    img.src = url;
    img.hidden = false;
  });
  return img;
}

// The person panel's Photo section: the photo or "No photo", and for the
// roles that may change it an upload field and a Remove button.
export function setupPersonPhoto({ el, box, canWrite, onError }) {
  let person = null; // {id, name, photo}
  const img = el('img', { id: 'person-photo-img', class: 'person-photo', alt: '' });
  const caption = el('p', { id: 'person-photo-caption', class: 'hint' });
  const file = el('input', {
    id: 'person-photo-file', type: 'file', accept: 'image/png,image/jpeg',
  });
  const fileLabel = el('label', { id: 'person-photo-upload' }, 'Upload photo (PNG or JPEG, at most 512 KiB) ', file);
  const remove = el('button', { type: 'button', id: 'person-photo-remove', class: 'danger', text: 'Remove photo' });
  const result = el('p', { id: 'person-photo-result', class: 'result', role: 'status' });
  const error = el('p', { id: 'person-photo-error', class: 'error', role: 'alert' });
  box.replaceChildren(el('h4', { text: 'Photo' }), img, caption, fileLabel, remove, result, error);

  function say(ok, text) {
    result.textContent = ok ? text : '';
    error.textContent = ok ? '' : text;
  }

  function draw() {
    const p = person && person.photo;
    const write = canWrite();
    fileLabel.hidden = !write;
    remove.hidden = !write || !p;
    if (!p) {
      img.hidden = true;
      img.removeAttribute('src');
      caption.textContent = 'No photo.';
      return;
    }
    img.alt = person.name ? `Photo of ${person.name}` : `Photo of ${person.id}`;
    caption.textContent = `${p.type === 'image/png' ? 'PNG' : 'JPEG'}, ${p.width}×${p.height} pixels, ${Math.ceil(p.bytes / 1024)} KiB`;
    const id = person.id;
    photoOf(id).then((url) => {
      if (!person || person.id !== id || !url) return;
      img.src = url;
      img.hidden = false;
    });
  }

  async function reload(id) {
    // person.show carries the photo's description (null: none).
    const p = await get(`/api/persons/${encodeURIComponent(id)}`);
    if (person && person.id === id) {
      person = { id, name: p.name, photo: p.photo || null };
      draw();
    }
  }

  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    if (!f || !person) return;
    const id = person.id;
    try {
      const r = await upload(`/api/persons/${encodeURIComponent(id)}/photo`, f, f.type || 'application/octet-stream');
      kept.delete(id);
      say(true, 'Photo saved.');
      window.dispatchEvent(new CustomEvent('aeogate:done', { detail: { path: `/api/persons/${id}/photo`, body: {} } }));
      if (person && person.id === id) {
        person.photo = r.data;
        draw();
      }
    } catch (e) {
      say(false, `Not saved: ${e.message}`);
      onError(e);
    } finally {
      file.value = '';
    }
  });

  remove.addEventListener('click', async () => {
    if (!person) return;
    const ok = await confirmDialog({
      title: 'Remove the photo?',
      text: `The photo of ${person.name || person.id} is removed from the controller (recorded).`,
      ok: 'Remove photo',
    });
    if (!ok) return;
    const id = person.id;
    try {
      await post(`/api/persons/${encodeURIComponent(id)}/photo/remove`);
      kept.delete(id);
      say(true, 'Photo removed.');
      if (person && person.id === id) {
        person.photo = null;
        draw();
      }
    } catch (e) {
      say(false, `Not removed: ${e.message}`);
      onError(e);
    }
  });

  return {
    // The panel opened on p (person.show's reply).
    show(p) {
      if (!person || person.id !== p.id) say(true, '');
      person = { id: p.id, name: p.name, photo: p.photo || null };
      draw();
    },
    // A person.photo event: the panel follows a change made elsewhere.
    onEvent(ev) {
      if (ev.kind === 'person.photo' && person && ev.person === person.id) reload(person.id).catch(() => {});
    },
  };
}
