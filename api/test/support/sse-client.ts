/** One Server-Sent Event as a browser's EventSource would see it. */
export interface SseEvent {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

/**
 * A browser-like event-stream client on plain `fetch`: parses `id:`, `event:`, `data:` lines,
 * remembers the last id (what a browser sends back as `Last-Event-ID`), and lets a test wait for an
 * event that matches — resolved by the event's arrival, rejected after `timeoutMs`.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  lastEventId: string | undefined;
  private readonly waiters = new Set<{ match: (event: SseEvent) => boolean; resolve: (event: SseEvent) => void }>();
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();
  status = 0;
  /** Comment lines received (heartbeats). */
  comments = 0;
  private commentWaiters: Array<() => void> = [];

  static async open(url: string, token: string, lastEventId?: string): Promise<SseClient> {
    const client = new SseClient();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    client.lastEventId = lastEventId;
    const response = await fetch(url, { headers, signal: client.abort.signal });
    client.status = response.status;
    if (response.body) client.done = client.read(response.body);
    return client;
  }

  /** The first event (already received or still to come) that matches, within `timeoutMs`. */
  next(match: (event: SseEvent) => boolean, timeoutMs: number, what = 'an event'): Promise<SseEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (event: SseEvent) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms; got: ${this.events.map((e) => e.event).join(', ')}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Resolves at the next comment line (a heartbeat), rejects after `timeoutMs`. */
  nextComment(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no comment line within ${timeoutMs} ms`)), timeoutMs);
      this.commentWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Parsed data of the events of one type. */
  data(type: string): any[] {
    return this.events.filter((event) => event.event === type).map((event) => JSON.parse(event.data) as unknown);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done.catch(() => undefined);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // aborted by close(), or the server ended the stream
    }
  }

  private dispatch(block: string): void {
    let id: string | undefined;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments += 1; // heartbeat comment
        this.commentWaiters.splice(0).forEach((wake) => wake());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (id !== undefined) this.lastEventId = id;
    if (data.length === 0) return; // retry hints, comments
    const parsed: SseEvent = { id, event, data: data.join('\n') };
    this.events.push(parsed);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(parsed)) {
        this.waiters.delete(waiter);
        waiter.resolve(parsed);
      }
    }
  }
}
