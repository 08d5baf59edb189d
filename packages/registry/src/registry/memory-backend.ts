import { MemoryTierStore } from '../cache/memory-tier-store';
import { KeyBuilder, type TierName } from '../keys/key-builder';
import { MemoryChangeBus } from '../sync/change-bus';
import { MemoryLease } from '../lock/lease';
import type { RegistryBackend } from './backend';

/**
 * In-process storage for one instance without Redis. Registries that share one memory backend
 * behave as instances of one deployment (shared stores, one bus).
 */
export function createMemoryBackend(options: { keyPrefix?: string } = {}): RegistryBackend {
  const keys = new KeyBuilder(options.keyPrefix);
  const bus = new MemoryChangeBus();
  const stores = {
    app: new MemoryTierStore('app', keys, bus),
    shared: new MemoryTierStore('shared', keys, bus),
  } satisfies Record<TierName, MemoryTierStore>;
  let sequence = 0;
  return {
    kind: 'memory',
    keys,
    bus,
    timeoutMs: 0,
    redis: undefined,
    tierStore: (tier) => stores[tier],
    appLease: new MemoryLease(),
    nextVersion: () => Promise.resolve((sequence += 1)),
    close: () => bus.close(),
  };
}
