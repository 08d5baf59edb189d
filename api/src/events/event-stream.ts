import type { Request, Response } from 'express';
import type { PublicEvent } from '@strata/config';
import type { Logger } from '@strata/registry';
import { concerns } from './concerns';
import { compareStreamIds, type EventLog, type LoggedEvent } from './event-log';

/** Options of {@link EventStreams}. */
export interface EventStreamsOptions {
  readonly log: EventLog;
  readonly logger: Logger;
  /** A comment line this often keeps proxies from closing an idle stream. @defaultValue 15000 */
  readonly heartbeatMs?: number;
  /** The `retry:` hint sent to browsers, in ms. @defaultValue 2000 */
  readonly retryMs?: number;
}

interface OpenStream {
  readonly res: Response;
  end(retryMs: number): void;
}

/**
 * Serves `GET /api/events`: Server-Sent Events per signed-in user, ids from the shared event log.
 * A client that sends `Last-Event-ID` first gets what it missed (replayed from the log, on any
 * instance), then the live entries — each once: live entries that arrive during the replay wait
 * and are sent only when newer than the last replayed id. An id the log no longer covers gets an
 * explicit `reset` event (refetch everything), never a silent gap.
 */
export class EventStreams {
  private readonly open = new Set<OpenStream>();
  private readonly heartbeatMs: number;
  private readonly retryMs: number;

  constructor(private readonly options: EventStreamsOptions) {
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.retryMs = options.retryMs ?? 2_000;
  }

  /** Streams currently open on this instance. */
  get size(): number {
    return this.open.size;
  }

  /** The route handler; `user` is the signed-in user. */
  async serve(req: Request, res: Response, user: { readonly id: string; readonly role: string }): Promise<void> {
    const header = req.headers['last-event-id'];
    const query = req.query['lastEventId'];
    const lastId =
      typeof header === 'string' && header ? header : typeof query === 'string' && query ? query : undefined;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${this.retryMs}\n\n`);

    let replaying = true;
    let lastSent = lastId;
    const held: LoggedEvent[] = [];
    const send = (entry: LoggedEvent) => {
      if (lastSent !== undefined && compareStreamIds(entry.id, lastSent) <= 0) return; // already sent
      lastSent = entry.id;
      if (entry.reset !== undefined) res.write(resetFrame(entry.id, entry.reset));
      else if (concerns(entry.event, user)) res.write(frame(entry.id, entry.event.type, entry.event));
    };
    const unsubscribe = this.options.log.subscribe((entry) => (replaying ? held.push(entry) : send(entry)));
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), this.heartbeatMs);
    heartbeat.unref();
    const stream: OpenStream = {
      res,
      end: (retryMs) => {
        res.write(`retry: ${retryMs}\n\n`);
        res.end();
      },
    };
    this.open.add(stream);
    const cleanup = () => {
      unsubscribe();
      clearInterval(heartbeat);
      this.open.delete(stream);
    };
    res.on('close', cleanup);

    try {
      if (lastId !== undefined) {
        const replay = await this.options.log.replay(lastId);
        if (replay.reset) {
          lastSent = replay.latestId;
          res.write(resetFrame(replay.latestId, replay.reason));
        } else {
          replay.events.forEach(send);
        }
      }
    } catch (error) {
      this.options.logger.warn('events: replay failed; sending reset', {
        errorMessage: error instanceof Error ? error.message : String(error),
      });
      res.write(resetFrame(undefined, 'the event log is unavailable'));
    }
    replaying = false;
    held.splice(0).forEach(send);
  }

  /** Ends every open stream with a retry hint (shutdown: browsers reconnect to another instance). */
  closeAll(retryMs = 1_000): void {
    for (const stream of [...this.open]) stream.end(retryMs);
  }
}

function frame(id: string, type: PublicEvent['type'], event: PublicEvent): string {
  return `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** `reset`: the browser refetches everything; with the id of the log's point it resumes from. */
function resetFrame(id: string | undefined, reason: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: reset\ndata: ${JSON.stringify({ reason })}\n\n`;
}
