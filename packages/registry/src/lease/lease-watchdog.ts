import { StrataError } from '@strata/config';
import { describeError, type Logger } from '../runtime/logger';

export interface LeaseWatchdogOptions {
  /** Extends the lease; resolves false when it proved lost (expired, or another owner holds it). */
  readonly renew: () => Promise<boolean>;
  /** The lease's TTL; renewal runs every third of it. */
  readonly ttlMs: number;
  readonly logger: Logger;
  /** Names the lease in logs and in the abort reason, e.g. `app tier leader`. */
  readonly label: string;
}

/**
 * Keeps a lease alive while work runs under it: renews every TTL/3, and aborts {@link signal}
 * (reason: a `LOCK_LOST` StrataError) as soon as a renewal proves the lease lost, so the work is
 * told instead of finding out at its commit. A renewal that merely failed (a Redis blip) proves
 * nothing and is only logged: the owner-checked commit is what refuses a lost lease.
 * `stop()` ends the renewals; it is idempotent.
 */
export class LeaseWatchdog {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: LeaseWatchdogOptions) {
    this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(options.ttlMs / 3)));
  }

  /** Aborted when the lease is proved lost, or by {@link abort}. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once a renewal proved the lease lost. */
  get lost(): boolean {
    return this.controller.signal.aborted && isLockLost(this.controller.signal.reason);
  }

  /** Aborts the work for another reason (e.g. the owner is closing). Renewals stop. */
  abort(reason: StrataError): void {
    this.stop();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
  }

  private tick(): void {
    this.options.renew().then(
      (renewed) => {
        if (renewed || this.stopped) return;
        this.stop();
        this.controller.abort(new StrataError('LOCK_LOST', `${this.options.label}: the lease was lost`));
      },
      (error: unknown) =>
        this.options.logger.warn(`${this.options.label}: lease renewal failed`, { ...describeError(error) }),
    );
  }
}

function isLockLost(reason: unknown): boolean {
  return reason instanceof StrataError && reason.code === 'LOCK_LOST';
}

/** Runs `work` under a {@link LeaseWatchdog}; the watchdog stops when the work settles. */
export async function withLeaseWatchdog<T>(
  options: LeaseWatchdogOptions,
  work: (watchdog: LeaseWatchdog) => Promise<T>,
): Promise<T> {
  const watchdog = new LeaseWatchdog(options);
  try {
    return await work(watchdog);
  } finally {
    watchdog.stop();
  }
}
