// People by name beside their id (issue 17, part 3). The controller adds
// person_name to events, alarms and badges when it reads them (it is never
// part of an event); the id stays beside the name because two people may
// share a name and the id is what the log and the exports key on.

// "Ann Example (E1042)", or the id alone when the controller knows no name.
export function personText(id, name) {
  if (!id) return '';
  return name ? `${name} (${id})` : id;
}
