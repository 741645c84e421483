// People by name beside their id (issue 17, part 3). The controller adds
// person_name to events, alarms and badges when it reads them (it is never
// part of an event); the id stays beside the name because two people may
// share a name and the id is what the log and the exports key on.
import { reasonText } from './format.js';

// personText lives beside the feed's sentences, which use it too.
export { personText } from './format.js';

// Red flags (the controller's "flags": reason codes a person or a badge would
// be refused for now: expired, not yet valid, suspended, vetting overdue, ...)
// as red words, never colour alone: "⚑ validity expired".
export function flagSpans(flags) {
  return (flags || []).map((code) => {
    const s = document.createElement('span');
    s.className = 'flag';
    s.dataset.flag = code;
    s.textContent = `⚑ ${reasonText(code)}`;
    return s;
  });
}

// The attributes that mark a flagged row (a red edge, and the codes for tests and styles).
export function flagAttrs(flags) {
  return flags && flags.length ? { class: 'flagged', 'data-flags': flags.join(' ') } : {};
}
