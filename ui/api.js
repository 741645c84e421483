// The /api client: JSON in and out, the CSRF token on every POST, and one
// retry after fetching a fresh CSRF token (aeogate-web restarted).
let csrf = null;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

export function setCsrf(token) {
  csrf = token;
}

async function request(method, path, body) {
  const headers = {};
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? (method === 'GET' ? undefined : '{}') : JSON.stringify(body),
    credentials: 'same-origin',
  });
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || 'http_' + res.status, e.message || res.statusText);
  }
  return data;
}

export async function get(path) {
  return request('GET', path);
}

async function postOnce(path, body) {
  try {
    return await request('POST', path, body);
  } catch (e) {
    if (e.code === 'csrf_failed') {
      const me = await request('GET', '/api/me');
      csrf = me.csrf;
      return request('POST', path, body);
    }
    throw e;
  }
}

// Every change that succeeded is announced (ui/shell.js turns it into a toast).
export async function post(path, body) {
  const r = await postOnce(path, body);
  window.dispatchEvent(new CustomEvent('aeogate:done', { detail: { path, body } }));
  return r;
}

// POST of a file as it is (the people CSV): the CSRF token as for every POST.
// Returns {status, data} for a 2xx or 422 (an import that went nowhere still
// has its account); throws ApiError otherwise.
export async function upload(path, file, contentType) {
  const send = () => fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': contentType, ...(csrf ? { 'X-CSRF-Token': csrf } : {}) },
    body: file,
    credentials: 'same-origin',
  });
  let res = await send();
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (res.status === 403 && data && data.error && data.error.code === 'csrf_failed') {
    const me = await request('GET', '/api/me');
    csrf = me.csrf;
    res = await send();
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok && res.status !== 422) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || 'http_' + res.status, e.message || res.statusText);
  }
  return { status: res.status, data };
}

// Loads of one board overlap (an event arrives while a reload runs) and
// their answers can come back out of order: only the newest load may draw,
// or an older answer puts a state that has since changed (a door shown
// unlocked that is locked again, a zone's old anti-passback) back on the
// screen until the next event. newestLoad() gives a board its counter; each
// load takes a ticket and draws only while the ticket is still the newest.
export function newestLoad() {
  let last = 0;
  return () => {
    const mine = ++last;
    return () => mine === last;
  };
}
