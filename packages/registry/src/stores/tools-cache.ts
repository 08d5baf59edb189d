import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Keyv } from 'keyv';
import type { ChangeBus } from '../bus/change-bus';
import type { Clock } from '../runtime/clock';

/** A server's tools as last listed, or the error of the last attempt (negative cache). */
export interface ToolsEntry {
  /** Config version of the server the list came from. */
  readonly version: number;
  readonly tools?: readonly Tool[];
  readonly error?: string;
  readonly fetchedAt: number;
}

export interface ToolsCacheOptions {
  readonly keyv: Keyv<ToolsEntry>;
  readonly bus: ChangeBus;
  readonly instanceId: string;
  readonly clock: Clock;
  /** How long a failure is remembered, so a broken server does not make every request wait. @defaultValue 5000 */
  readonly negativeTtlMs?: number;
  /** TTL of a tool list in Keyv. @defaultValue 3600000 */
  readonly ttlMs?: number;
}

/**
 * Per-server tool lists in Keyv (Redis when configured) with an in-process copy; a refresh is
 * announced on the bus (`tools.changed`) so every other instance drops its copy.
 */
export class ToolsCache {
  private readonly local = new Map<string, ToolsEntry>();
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ToolsCacheOptions) {
    this.unsubscribe = options.bus.subscribe((event) => {
      if (event.type === 'tools.changed' && event.origin !== options.instanceId) this.local.delete(event.name);
    });
  }

  async get(name: string): Promise<ToolsEntry | undefined> {
    const local = this.local.get(name);
    if (local && !this.expiredError(local)) return local;
    const stored = await this.options.keyv.get(name);
    if (stored && !this.expiredError(stored)) {
      this.local.set(name, stored);
      return stored;
    }
    return undefined;
  }

  /** Stores a fresh list and tells the other instances. */
  async set(name: string, version: number, tools: readonly Tool[]): Promise<void> {
    const entry: ToolsEntry = { version, tools, fetchedAt: this.options.clock.now() };
    this.local.set(name, entry);
    await this.options.keyv.set(name, entry, this.options.ttlMs ?? 3_600_000);
    await this.options.bus.publish({ type: 'tools.changed', name, version, origin: this.options.instanceId });
  }

  /** Remembers a failure for `negativeTtlMs`. */
  async setError(name: string, version: number, error: string): Promise<void> {
    const entry: ToolsEntry = { version, error, fetchedAt: this.options.clock.now() };
    this.local.set(name, entry);
    await this.options.keyv.set(name, entry, this.negativeTtlMs);
  }

  close(): void {
    this.unsubscribe();
    this.local.clear();
  }

  private get negativeTtlMs(): number {
    return this.options.negativeTtlMs ?? 5_000;
  }

  private expiredError(entry: ToolsEntry): boolean {
    return entry.error !== undefined && this.options.clock.now() - entry.fetchedAt >= this.negativeTtlMs;
  }
}
