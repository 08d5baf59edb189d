import type { Clock } from './clock';
import type { Logger } from './logger';

type Level = keyof Logger;

export interface RateLimitedLoggerOptions {
  /** A kind of line is written at most once per interval; 0 writes every line. @defaultValue 10000 */
  readonly intervalMs?: number;
  readonly clock: Clock;
  /** Most kinds followed at once; a new kind past it is written as it comes. @defaultValue 1000 */
  readonly maxKinds?: number;
}

/** A logger that also has to be closed (it may hold a timer for the next summary). */
export interface ClosableLogger extends Logger {
  /** Writes the pending summaries now and stops the timer. The logger still writes afterwards. */
  close(): void;
}

interface Window {
  readonly level: Level;
  readonly message: string;
  readonly meta: Record<string, unknown>;
  readonly startedAt: number;
  repeats: number;
}

/** Meta fields that name a kind of line besides its level and message template. Never values. */
const KIND_FIELDS = ['errorCode', 'errorName', 'component', 'tier', 'cache', 'operation'] as const;

export const DEFAULT_LOG_INTERVAL_MS = 10_000;

/**
 * Wraps a logger so that a repeated line is written once per kind per interval, with a count: the
 * first occurrence is written as it comes, repeats within `intervalMs` are counted, and when the
 * interval is over one summary line says `… (N more like this in Xs)`. A kind is the level, the
 * message template (the library's messages are constants; values travel in `meta`) and the
 * error's code, name and component fields — never an error message or a value, which may hold an
 * address or a secret. A Redis outage thus writes a few lines per interval, not thousands a second.
 *
 * The summary timer runs only while some count is pending and is unref'd; `close()` clears it.
 */
export function rateLimitedLogger(logger: Logger, options: RateLimitedLoggerOptions): ClosableLogger {
  const intervalMs = options.intervalMs ?? DEFAULT_LOG_INTERVAL_MS;
  const maxKinds = options.maxKinds ?? 1_000;
  const { clock } = options;
  const windows = new Map<string, Window>();
  let timer: NodeJS.Timeout | undefined;

  const summarise = (window: Window): void => {
    if (window.repeats === 0) return;
    const seconds = Math.max(1, Math.round(intervalMs / 1_000));
    logger[window.level](`${window.message} (${window.repeats} more like this in ${seconds}s)`, {
      ...window.meta,
      repeated: window.repeats,
      intervalMs,
    });
  };

  /** Ends every window whose interval is over, writing its summary. */
  const rollOver = (now: number): void => {
    for (const [kind, window] of windows) {
      if (now - window.startedAt < intervalMs) continue;
      windows.delete(kind);
      summarise(window);
    }
    if (timer && ![...windows.values()].some((window) => window.repeats > 0)) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const write =
    (level: Level) =>
    (message: string, meta: Record<string, unknown> = {}): void => {
      if (intervalMs <= 0) {
        logger[level](message, meta);
        return;
      }
      const now = clock.now();
      rollOver(now);
      const kind = kindOf(level, message, meta);
      const window = windows.get(kind);
      if (window) {
        window.repeats += 1;
        if (!timer) {
          timer = setInterval(() => rollOver(clock.now()), intervalMs);
          timer.unref();
        }
        return;
      }
      if (windows.size < maxKinds) windows.set(kind, { level, message, meta, startedAt: now, repeats: 0 });
      logger[level](message, meta);
    };

  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    close() {
      clearInterval(timer);
      timer = undefined;
      for (const window of windows.values()) summarise(window);
      windows.clear();
    },
  };
}

function kindOf(level: Level, message: string, meta: Record<string, unknown>): string {
  const fields = KIND_FIELDS.map((field) => {
    const value = meta[field];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  });
  return JSON.stringify([level, message, ...fields]);
}
