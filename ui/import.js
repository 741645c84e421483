// The people page's "Import people (CSV)" panel (manager, admin): the file
// goes as it is to POST /api/persons/import (text/csv; ?dry_run=1 for a dry
// run), where aeogate-web runs the same import session as
// `aeogatectl person import`. The result is shown in the command's words:
// "added N, updated N, unchanged N, badges N", each bad row as
// line / column / reason, and "nothing committed" when any row is bad.
import { upload } from './api.js';
import { toast } from './shell.js';

const $ = (sel) => document.querySelector(sel);

function cell(text) {
  const td = document.createElement('td');
  td.textContent = String(text);
  return td;
}

function showErrors(form, r) {
  const table = $('#people-import-errors');
  const rows = (r && r.errors) || [];
  table.tBodies[0].replaceChildren(...rows.map((e) => {
    const tr = document.createElement('tr');
    tr.dataset.line = e.line;
    tr.append(cell(e.line), cell(e.column), cell(e.reason));
    return tr;
  }));
  table.hidden = rows.length === 0;
  const more = $('#people-import-more');
  const extra = r ? (r.errors_total || 0) - rows.length : 0;
  more.hidden = extra <= 0;
  more.textContent = extra > 0 ? `… and ${extra} more (aeogatectl person import lists them all)` : '';
}

function summary(r) {
  if (r.added === undefined) return r.message;
  const counts = `added ${r.added}, updated ${r.updated}, unchanged ${r.unchanged}, badges ${r.badges}`;
  if (r.committed) return `${counts}: committed.`;
  if (r.bad) return `${r.bad} of ${r.rows} rows are bad; nothing committed (dry run of the good rows: ${counts})`;
  return `${counts} (dry run: nothing committed)`;
}

// onCommitted: the people list to reload; onError: the page's handler (401 → sign in).
export function setupPeopleImport({ onCommitted, onError }) {
  const form = $('#people-import');
  const status = $('#people-import-status');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const x = form.elements;
    const file = x.file.files[0];
    const errEl = form.querySelector('.error');
    if (!file) return;
    const button = form.querySelector('button[type=submit]');
    const dryRun = x.dry_run.checked;
    button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    errEl.textContent = '';
    status.removeAttribute('data-committed');
    status.textContent = `${dryRun ? 'Checking' : 'Importing'} ${file.name}…`;
    showErrors(form, null);
    try {
      const { data } = await upload(`/api/persons/import${dryRun ? '?dry_run=1' : ''}`, file, 'text/csv');
      status.dataset.committed = data.committed ? '1' : '0';
      status.textContent = summary(data);
      showErrors(form, data);
      if (data.committed) {
        toast(`People imported: ${summary(data)}`);
        onCommitted();
      }
    } catch (e) {
      status.textContent = 'Nothing was committed.';
      status.dataset.committed = '0';
      errEl.textContent = e.message;
      onError(e);
    } finally {
      button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}
