import { Keyv } from 'keyv';
import { KeyBuilder, type TierName } from '../keys/key-builder';
import type { ChangeBus } from '../bus/change-bus';
import type { ChangeEvent } from '../model/change-event';
import type { StoredServer } from '../model/stored-server';
import { newEpoch } from './tier-epoch';
import type { PutResult, ReplaceOptions, ReplaceResult, TierMeta, TierSnapshot, TierStore } from './tier-store';

/**
 * A tier in an in-process Keyv (`new Keyv()` with its Map store) plus an in-process index. The
 * same semantics as the Redis store inside one process; events go to the in-process bus.
 */
export class MemoryTierStore implements TierStore {
  private readonly keyv: Keyv<StoredServer>;
  /** name → config version; a Map, so no name can reach an object prototype. */
  private readonly index = new Map<string, number>();
  private tierVersion = 0;
  private contentHash: string | undefined;
  private epoch = '';
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    readonly tier: TierName,
    private readonly keys: KeyBuilder,
    private readonly bus?: ChangeBus,
  ) {
    this.keyv = new Keyv<StoredServer>({ namespace: keys.tierNamespace(tier) });
  }

  async get(name: string): Promise<StoredServer | undefined> {
    return this.keyv.get(this.keys.tierEntry(name));
  }

  meta(): Promise<TierMeta> {
    return Promise.resolve({ tierVersion: this.tierVersion, contentHash: this.contentHash, epoch: this.epoch });
  }

  async snapshot(known?: { readonly tierVersion: number; readonly epoch: string }): Promise<TierSnapshot> {
    for (;;) {
      const { tierVersion, epoch } = this;
      if (known?.tierVersion === tierVersion && known.epoch === epoch)
        return { tierVersion, epoch, servers: undefined };
      const names = [...this.index.keys()];
      const values = await this.keyv.get(names.map((name) => this.keys.tierEntry(name)));
      // A write landed while we read: read again, so a snapshot is never a mix.
      if (this.tierVersion !== tierVersion || this.epoch !== epoch) continue;
      return { tierVersion, epoch, servers: values.filter((value): value is StoredServer => value !== undefined) };
    }
  }

  put(server: StoredServer, event?: ChangeEvent): Promise<PutResult> {
    return this.exclusive(async () => {
      const stored = this.index.get(server.name) ?? 0;
      if (stored >= server.version) return { written: false, tierVersion: this.tierVersion, storedVersion: stored };
      await this.keyv.set(this.keys.tierEntry(server.name), server);
      this.index.set(server.name, server.version);
      this.tierVersion += 1;
      const tierVersion = this.tierVersion;
      if (event) await this.bus?.publish(event);
      return { written: true, tierVersion };
    });
  }

  remove(name: string, event?: ChangeEvent): Promise<boolean> {
    return this.exclusive(async () => {
      if (!this.index.has(name)) return false;
      await this.keyv.delete(this.keys.tierEntry(name));
      this.index.delete(name);
      this.tierVersion += 1;
      if (event) await this.bus?.publish(event);
      return true;
    });
  }

  replaceAll(servers: readonly StoredServer[], options: ReplaceOptions = {}): Promise<ReplaceResult> {
    return this.exclusive(async () => {
      if (options.expectedTierVersion !== undefined && options.expectedTierVersion !== this.tierVersion) {
        return { replaced: false, tierVersion: this.tierVersion };
      }
      const keep = new Set(servers.map((server) => server.name));
      const removed = [...this.index.keys()].filter((name) => !keep.has(name));
      await Promise.all([
        ...removed.map((name) => this.keyv.delete(this.keys.tierEntry(name))),
        ...servers.map((server) => this.keyv.set(this.keys.tierEntry(server.name), server)),
      ]);
      this.index.clear();
      for (const server of servers) this.index.set(server.name, server.version);
      this.tierVersion += 1;
      this.epoch = newEpoch();
      if (options.contentHash !== undefined) this.contentHash = options.contentHash;
      const tierVersion = this.tierVersion;
      if (options.event) await this.bus?.publish(options.event);
      return { replaced: true, tierVersion };
    });
  }

  /** Runs writes one at a time, as Redis runs scripts. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work);
    this.writes = run.catch(() => undefined);
    return run;
  }
}
