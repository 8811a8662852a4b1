// The API client: JSON requests with cookie auth, one shared session refresh (401 → refresh → retry,
// serialised across tabs by a Web Lock), and the streamed chat completions.

import { t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

/** Endpoints whose 401 means "wrong input" or "no session", never "refresh and retry". */
const noRefresh = new Set([
  '/api/v1/auths/signin',
  '/api/v1/auths/signup',
  '/api/v1/auths/refresh',
  '/api/v1/auths/signout',
]);

let refreshing = null;
let onSessionEnded = () => {};

export function setSessionEndedHandler(handler) {
  onSessionEnded = handler;
}

/** One refresh at a time; resolves to the new session user, or null when the session is over. */
function refreshSession() {
  refreshing ??= request('/api/v1/auths/refresh', { method: 'POST' })
    .then((user) => user)
    .catch(() => null)
    .finally(() => { refreshing = null; });
  return refreshing;
}

async function errorFrom(response) {
  let data = null;
  if ((response.headers.get('Content-Type') || '').includes('application/json')) {
    try { data = await response.json(); } catch { data = null; }
  }
  const detail = data && typeof data.detail === 'string' ? data.detail : t('error.unexpected', { status: response.status });
  return new ApiError(response.status, detail);
}

export async function request(path, { method = 'GET', body } = {}) {
  const options = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch {
    throw new ApiError(0, t('error.network'));
  }
  if (!response.ok) throw await errorFrom(response);
  if ((response.headers.get('Content-Type') || '').includes('application/json')) {
    try { return await response.json(); } catch { return null; }
  }
  return null;
}

/**
 * Runs `send` (which throws ApiError). On a 401, refreshes the session once and retries; when that
 * is not possible the page goes back to the sign-in form and the error is passed on.
 */
async function withRefresh(path, send) {
  try {
    return await send();
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401 || noRefresh.has(path)) throw error;
    const retried = await renewAndRetry(send);
    if (!retried) {
      onSessionEnded();
      throw error;
    }
    return retried.value;
  }
}

/**
 * Refreshes the session and retries, one tab at a time: a refresh token works once, and two tabs
 * spending it together would look like a stolen token to the server and end the session.
 */
async function renewAndRetry(send) {
  const attempt = async () => {
    try {
      return { value: await send() };
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    }
    const renewed = await refreshSession();
    if (!renewed) return null;
    return { value: await send() };
  };
  return navigator.locks ? navigator.locks.request('mai-session-refresh', attempt) : attempt();
}

export function api(path, options = {}) {
  return withRefresh(path, () => request(path, options));
}

/**
 * POSTs a streamed chat completion and calls `onEvent` for every parsed `data:` chunk.
 * Resolves to `{headers}` when the stream ends ([DONE] or close). Errors before the stream starts
 * are thrown as ApiError (with the server's detail); an abort throws a DOMException 'AbortError'.
 */
export async function streamCompletion(body, { signal, onStart, onEvent }) {
  const open = async () => {
    let response;
    try {
      response = await fetch('/api/chat/completions', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (error?.name === 'AbortError') throw error;
      throw new ApiError(0, t('error.network'));
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  };
  const response = await withRefresh('/api/chat/completions', open);
  onStart?.(response.headers);
  if (!response.body) return { headers: response.headers };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let done = false;
  const handleLine = (raw) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!line || line.startsWith(':')) return;
    if (!line.startsWith('data:')) return;
    const data = line.slice(5).trimStart();
    if (data === '[DONE]') {
      done = true;
      return;
    }
    let event;
    try { event = JSON.parse(data); } catch { return; }
    onEvent(event);
  };
  while (!done) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while (!done && (newline = buffer.indexOf('\n')) >= 0) {
      handleLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  }
  if (!done && buffer) handleLine(buffer);
  if (done) reader.cancel().catch(() => {});
  return { headers: response.headers };
}
