/* global fetch, sessionStorage, TextDecoder, AbortController, URLSearchParams, setTimeout, clearTimeout */
// The console's only link to the server: JSON requests and the event stream, with the bearer token in a header.
// The token lives in sessionStorage (this tab only) and never goes into a URL.

const TOKEN_KEY = 'webinar-events.console.token';

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function authHeaders() {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && (body.detail || body.title);
    super(detail ? `${status} ${body.code ?? ''}: ${detail}` : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** A JSON request to the API; throws ApiError on a non-2xx answer. */
export async function api(path, { method = 'GET' } = {}) {
  const response = await fetch(path, {
    method,
    headers: { accept: 'application/json', ...authHeaders() },
    cache: 'no-store',
  });
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { detail: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** Builds a query string from the defined, non-empty values of `params`. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Reads GET /v1/stream with fetch (EventSource cannot send an Authorization header). Reconnects after a drop with
 * `Last-Event-ID` = the last position seen, so no event is lost or repeated. Calls `onEvent(event, position)`
 * with the parsed CloudEvent and `onStatus(state, detail)` with 'connecting' | 'live' | 'retrying' | 'denied'.
 */
export function openStream(params, { onEvent, onStatus }) {
  let lastId = null;
  let controller = null;
  let timer = null;
  let stopped = false;
  let failures = 0;

  const dispatch = (message) => {
    if (message.id !== undefined) lastId = message.id;
    if (message.data === undefined) return;
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    onEvent(event, Number(message.id));
  };

  const connect = async () => {
    if (stopped) return;
    controller = new AbortController();
    onStatus('connecting');
    const headers = { accept: 'text/event-stream', ...authHeaders() };
    // Resume after the last event seen; the first connection starts where `params` says.
    if (lastId !== null) headers['last-event-id'] = lastId;
    try {
      const response = await fetch(`/v1/stream${query(params)}`, {
        headers,
        cache: 'no-store',
        signal: controller.signal,
      });
      if (response.status === 401 || response.status === 403) {
        let body = null;
        try {
          body = await response.json();
        } catch {
          // no body
        }
        onStatus('denied', new ApiError(response.status, body).message);
        return;
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      onStatus('live');
      failures = 0;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      let message = {};
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        // SSE lines end with CR, LF or CRLF; a blank line ends a message.
        const lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          if (line === '') {
            dispatch(message);
            message = {};
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          let value = colon === -1 ? '' : line.slice(colon + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          if (field === 'data')
            message.data = message.data === undefined ? value : `${message.data}\n${value}`;
          else if (field === 'id') message.id = value;
          else if (field === 'event') message.event = value;
        }
      }
      throw new Error('the stream ended');
    } catch (error) {
      if (stopped) return;
      failures += 1;
      const delay = Math.min(10_000, 500 * 2 ** Math.min(failures, 5));
      onStatus('retrying', `${error.message ?? error}; reconnecting in ${Math.round(delay / 1000)} s`);
      timer = setTimeout(connect, delay);
    }
  };

  connect();
  return {
    close() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      controller?.abort();
    },
  };
}
