/** One Server-Sent Events message. */
export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * Incremental text/event-stream parser (the WHATWG rules that matter here: `id`, `event`, `data`
 * lines, comments, blank-line dispatch, CRLF). Feed it chunks; it calls `onMessage` per message
 * and `onRetry` for a `retry:` hint.
 */
export function createSseParser(onMessage: (message: SseMessage) => void, onRetry: (ms: number) => void = () => {}) {
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  return (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0 || event !== '') onMessage({ id, event: event || 'message', data: data.join('\n') });
        event = '';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id' && !value.includes('\0')) id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
    }
  };
}

export interface EventStreamOptions {
  readonly url: string;
  readonly token: string;
  /** Where to resume from (the reducer's lastEventId), read at every (re)connect. */
  readonly lastEventId: () => string | undefined;
  readonly onOpen: () => void;
  readonly onMessage: (message: SseMessage) => void;
  readonly onDrop: () => void;
  /** First reconnect delay when the server sent no `retry:` hint. @defaultValue 1000 */
  readonly retryMs?: number;
}

/**
 * A fetch-based event stream (EventSource cannot send an Authorization header): reconnects after
 * every drop, with `Last-Event-ID` so the server replays what was missed. Returns `close()`.
 */
export function openEventStream(options: EventStreamOptions): () => void {
  const controller = new AbortController();
  let retryMs = options.retryMs ?? 1_000;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const connect = async () => {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'text/event-stream' };
    const last = options.lastEventId();
    if (last !== undefined) headers['last-event-id'] = last;
    try {
      const response = await fetch(options.url, { headers, signal: controller.signal, cache: 'no-store' });
      if (!response.ok || !response.body) throw new Error(`event stream answered ${response.status}`);
      failures = 0;
      options.onOpen();
      const parse = createSseParser(options.onMessage, (ms) => (retryMs = ms));
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parse(value);
      }
    } catch {
      // dropped or refused: reconnect below unless closed
    }
    if (controller.signal.aborted) return;
    options.onDrop();
    failures += 1;
    const delay = Math.min(retryMs * 2 ** Math.max(0, failures - 1), 10_000);
    timer = setTimeout(() => void connect(), delay);
  };
  void connect();
  return () => {
    controller.abort();
    if (timer !== undefined) clearTimeout(timer);
  };
}
