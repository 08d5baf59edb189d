import type { AccessRepository } from '../private/access-repository';
import { describeError, type Logger } from '../runtime/logger';
import type { AccessAdmin } from './access-admin';

export interface ChangeReplayerOptions {
  readonly repository: AccessRepository;
  readonly admin: AccessAdmin;
  readonly logger: Logger;
  /**
   * A change still pending this long is taken as interrupted (its process died, or its cache
   * effects failed) and replayed. Longer than a healthy change needs. @defaultValue 2000
   */
  readonly graceMs: number;
  /** How often pending changes are looked for. @defaultValue 1000 */
  readonly intervalMs: number;
  /** How long a claimed change is this replayer's before another may take it. @defaultValue 10000 */
  readonly leaseMs: number;
}

/**
 * Finishes what an interrupted change left undone, on every instance (BullMQ's stalled-job checker
 * is the model): every `intervalMs` it claims the changes pending for longer than `graceMs` and
 * replays their cache effects (see {@link AccessAdmin.replay}), then forgets them. A change
 * interrupted at any step is finished within `graceMs + intervalMs` plus one replay.
 */
export class ChangeReplayer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  /** Changes replayed by this instance. */
  replayed = 0;

  constructor(private readonly options: ChangeReplayerOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs);
    this.timer.unref();
  }

  /** One pass: claims and replays the stale changes; resolves with how many were replayed. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the timer and waits for a pass in progress. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<number> {
    let done = 0;
    try {
      const stale = await this.options.repository.claimStaleChanges(this.options.graceMs, this.options.leaseMs);
      for (const change of stale) {
        try {
          await this.options.admin.replay(change);
          await this.options.repository.endChange(change.id);
          done += 1;
        } catch (error) {
          // Still pending: the next pass after the lease retries it.
          this.options.logger.warn('change replayer: replay failed, will retry', describeError(error));
        }
      }
    } catch (error) {
      this.options.logger.warn('change replayer: could not read pending changes', describeError(error));
    }
    this.replayed += done;
    return done;
  }
}
