// The one element builder of the dashboard's modules:
// el('button', { class: 'danger', text: 'Revoke', onclick: fn }, child, ...).
// An attribute that is undefined, null or false is left out (so `hidden:
// false` shows the element); true becomes the bare attribute. `text` sets
// the text (never HTML), `class` the class list, `on…` adds a listener.
// `checked: true` / `selected: true` are attributes too: on a new element
// they set the live state as well, and a form's reset() comes back to them.
// Children that are null or undefined are skipped.
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
