import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Keyv } from 'keyv';
import type { ChangeBus } from '../bus/change-bus';
import { KeyBuilder } from '../keys/key-builder';
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
  /** Builds the entry keys (only the entry part: the namespace is the Keyv's). @defaultValue `new KeyBuilder()` */
  readonly keys?: KeyBuilder;
}

/** Whose list an entry is: the server's (shared by every scope) or one user's. */
export interface ToolsOwner {
  /** Set for a server whose tools depend on the user: that user's list. */
  readonly userId?: string;
}

/**
 * Tool lists in Keyv (Redis when configured) with an in-process copy; a refresh is announced on
 * the bus (`tools.changed`) so every other instance drops its copy. A server whose connection
 * depends on the user (per-user placeholders, a user's API key) has one list per user — each
 * user's connection may see different tools, and one shared entry would let them overwrite each
 * other; every other server has one list shared by its app, user and session connections.
 */
export class ToolsCache {
  private readonly local = new Map<string, ToolsEntry>();
  private readonly unsubscribe: () => void;
  private readonly keys: KeyBuilder;

  constructor(private readonly options: ToolsCacheOptions) {
    this.keys = options.keys ?? new KeyBuilder();
    this.unsubscribe = options.bus.subscribe((event) => {
      if (event.type === 'tools.changed' && event.origin !== options.instanceId) {
        this.local.delete(this.keys.toolsEntry(event.name, event.forUserId));
      }
    });
  }

  /**
   * The list for `name`: with `owner.userId`, that user's own list when there is one, else the
   * server's shared list (a server with per-user lists never has a shared one: it is never
   * connected with app scope and its user connections write per-user entries).
   */
  async get(name: string, owner: ToolsOwner = {}): Promise<ToolsEntry | undefined> {
    if (owner.userId !== undefined) {
      const mine = await this.read(this.keys.toolsEntry(name, owner.userId));
      if (mine) return mine;
    }
    return this.read(this.keys.toolsEntry(name));
  }

  /** Stores a fresh list and tells the other instances. */
  async set(name: string, version: number, tools: readonly Tool[], owner: ToolsOwner = {}): Promise<void> {
    const key = this.keys.toolsEntry(name, owner.userId);
    const entry: ToolsEntry = { version, tools, fetchedAt: this.options.clock.now() };
    this.local.set(key, entry);
    await this.options.keyv.set(key, entry, this.options.ttlMs ?? 3_600_000);
    await this.options.bus.publish({
      type: 'tools.changed',
      name,
      version,
      origin: this.options.instanceId,
      ...(owner.userId === undefined ? {} : { forUserId: owner.userId }),
    });
  }

  /** Remembers a failure for `negativeTtlMs`. */
  async setError(name: string, version: number, error: string, owner: ToolsOwner = {}): Promise<void> {
    const key = this.keys.toolsEntry(name, owner.userId);
    const entry: ToolsEntry = { version, error, fetchedAt: this.options.clock.now() };
    this.local.set(key, entry);
    await this.options.keyv.set(key, entry, this.negativeTtlMs);
  }

  close(): void {
    this.unsubscribe();
    this.local.clear();
  }

  private async read(key: string): Promise<ToolsEntry | undefined> {
    const local = this.local.get(key);
    if (local && !this.expiredError(local)) return local;
    const stored = await this.options.keyv.get(key);
    if (stored && !this.expiredError(stored)) {
      this.local.set(key, stored);
      return stored;
    }
    return undefined;
  }

  private get negativeTtlMs(): number {
    return this.options.negativeTtlMs ?? 5_000;
  }

  private expiredError(entry: ToolsEntry): boolean {
    return entry.error !== undefined && this.options.clock.now() - entry.fetchedAt >= this.negativeTtlMs;
  }
}
