import { Keyv } from 'keyv';
import { MemoryTierStore } from '../cache/memory-tier-store';
import type { ToolsEntry } from '../connections/tools-cache';
import { KeyBuilder, type TierName } from '../keys/key-builder';
import { MemoryChangeBus } from '../sync/change-bus';
import { MemoryLease } from '../lock/lease';
import { MemoryPrivateStore } from '../private/memory-private-store';
import { systemClock, type Clock } from '../sync/clock';
import type { RegistryBackend } from './backend';

/**
 * In-process storage for one instance without Redis. Registries that share one memory backend
 * behave as instances of one deployment (shared stores, one bus).
 */
export function createMemoryBackend(options: { keyPrefix?: string; clock?: Clock } = {}): RegistryBackend {
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
    appLease: new MemoryLease(() => (options.clock ?? systemClock).now()),
    toolsKeyv: new Keyv<ToolsEntry>({ namespace: `${keys.prefix}:tools` }),
    privateStore: new MemoryPrivateStore(keys, bus, options.clock ?? systemClock),
    nextVersion: () => Promise.resolve((sequence += 1)),
    close: () => bus.close(),
  };
}
