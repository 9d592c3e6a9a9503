// fetch wrappers for /api/v1: every call resolves to {ok, status, data}, data being parsed JSON or text.

export async function request(method, path, body, contentType = 'application/json') {
  const init = { method, headers: {}, cache: 'no-store' };
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
  return { ok: response.ok, status: response.status, data };
}

export const get = path => request('GET', path);

/** The API's {"error": "..."} message, or the status and body. */
export function errorOf(response) {
  if (response.data && typeof response.data === 'object' && response.data.error) return response.data.error;
  return `HTTP ${response.status}${typeof response.data === 'string' && response.data ? `: ${response.data}` : ''}`;
}

export const workloadPath = name => `/api/v1/workloads/${encodeURIComponent(name)}`;
