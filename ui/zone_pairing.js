// The Levels & zones tab's two-person and escort cells of a zone row
// (zone set ZONE --two-person on|off --two-person-window D, --escort
// required|none --escort-window D; zone.set): the current setting, and for
// managers a control to change it. set(body) posts {two_person,
// two_person_window} or {escort, escort_window} for the zone and resolves
// to whether it succeeded (the caller reloads the tab either way).
import { el } from './dom.js';

function ruleCell(z, { cls, key, values, windowKey, label, write, set }) {
  const value = z[key] || values[0];
  const win = z[windowKey];
  const cell = el('td', { class: cls, [`data-${cls}`]: value },
    el('span', { class: 'current', text: `${value} (${win} s)` }));
  if (!write) return cell;
  const pick = el('select', { 'aria-label': `${label} for zone ${z.name}`, class: `set-${cls}`,
    'data-keep': `zone/${z.name}/${cls}` },
  ...values.map((v) => el('option', { value: v, text: v, selected: v === value })));
  const secs = el('input', { type: 'number', min: '1', max: '600', step: '1', class: `set-${cls}-window`,
    'aria-label': `${label} window in seconds for zone ${z.name}`, placeholder: `${win} s`,
    'data-keep': `zone/${z.name}/${cls}-window` });
  cell.append(el('span', { class: 'inline-control' }, pick, secs, el('button', {
    type: 'button', text: 'Set', 'data-action': `set-${cls}`, title: `set the ${label} of zone ${z.name}`,
    onclick: () => {
      const body = { [key]: pick.value };
      if (secs.value) body[windowKey] = `${secs.value}s`;
      return set(body, pick, secs);
    },
  })));
  return cell;
}

export function pairingCells(z, { write, set }) {
  return [
    ruleCell(z, { cls: 'two-person', key: 'two_person', values: ['off', 'on'], windowKey: 'two_person_window',
      label: 'two-person rule', write, set }),
    ruleCell(z, { cls: 'escort', key: 'escort', values: ['none', 'required'], windowKey: 'escort_window',
      label: 'visitor escort', write, set }),
  ];
}
