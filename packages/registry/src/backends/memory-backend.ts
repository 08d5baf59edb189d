import { Keyv } from 'keyv';
import { MemoryTierStore } from '../stores/memory-tier-store';
import type { ToolsEntry } from '../stores/tools-cache';
import { KeyBuilder, type TierName } from '../keys/key-builder';
import { MemoryChangeBus } from '../bus/change-bus';
import { MemoryLease } from '../lease/lease';
import { MemoryPrivateStore } from '../stores/memory-private-store';
import { systemClock, type Clock } from '../runtime/clock';
import { describeError, silentLogger, type Logger } from '../runtime/logger';
import type { RegistryBackend } from './backend';
import { ALWAYS_HEALTHY } from './backend-health';

/**
 * In-process storage for one instance without Redis. Registries that share one memory backend
 * behave as instances of one deployment (shared stores, one bus).
 */
export function createMemoryBackend(
  options: { keyPrefix?: string; clock?: Clock; logger?: Logger } = {},
): RegistryBackend {
  const keys = new KeyBuilder(options.keyPrefix);
  const logger = options.logger ?? silentLogger;
  const bus = new MemoryChangeBus((error) => logger.error('change bus listener failed', describeError(error)));
  const stores = {
    app: new MemoryTierStore('app', keys, bus),
    shared: new MemoryTierStore('shared', keys, bus),
  } satisfies Record<TierName, MemoryTierStore>;
  const now = (): number => (options.clock ?? systemClock).now();
  const leases = { app: new MemoryLease(now), shared: new MemoryLease(now) } satisfies Record<TierName, MemoryLease>;
  let sequence = 0;
  return {
    kind: 'memory',
    keys,
    bus,
    timeoutMs: 0,
    redis: undefined,
    tierStore: (tier) => stores[tier],
    appLease: leases.app,
    tierLease: (tier) => leases[tier],
    toolsKeyv: new Keyv<ToolsEntry>({ namespace: `${keys.prefix}:tools` }),
    privateStore: new MemoryPrivateStore(keys, bus, options.clock ?? systemClock),
    nextVersion: () => Promise.resolve((sequence += 1)),
    ...ALWAYS_HEALTHY,
    close: () => bus.close(),
  };
}
