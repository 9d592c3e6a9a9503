// fetch wrappers for /api/v1: every call resolves to {ok, status, data}, data being parsed JSON or text.
// Every call carries the bearer token the user signed in with (kept in sessionStorage, gone with the tab).

const TOKEN_KEY = 'crane.token';
let unauthorized = () => {};

export const hasToken = () => Boolean(sessionStorage.getItem(TOKEN_KEY));
export const setToken = token => sessionStorage.setItem(TOKEN_KEY, token.trim());

/** Adds Authorization: Bearer <token> to a headers object. */
export function withToken(headers = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/** Called with the API's message whenever it answers 401 (no token, or a wrong one). */
export function onUnauthorized(handler) { unauthorized = handler; }

export async function request(method, path, body, contentType = 'application/json') {
  const init = { method, headers: withToken(), cache: 'no-store' };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers['Content-Type'] = contentType;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    return { ok: false, status: 0, data: { error: `crane-seed did not answer: ${e.message}` } };
  }
  const text = await response.text();
  let data = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text) {
    try { data = JSON.parse(text); } catch { /* keep the text */ }
  }
  const result = { ok: response.ok, status: response.status, data };
  if (response.status === 401) unauthorized(errorOf(result));
  return result;
}

export const get = path => request('GET', path);

/** The API's {"error": "..."} message, or the status and body. */
export function errorOf(response) {
  if (response.data && typeof response.data === 'object' && response.data.error) return response.data.error;
  return `HTTP ${response.status}${typeof response.data === 'string' && response.data ? `: ${response.data}` : ''}`;
}

export const workloadPath = name => `/api/v1/workloads/${encodeURIComponent(name)}`;
