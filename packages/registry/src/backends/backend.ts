import type { Cluster, Redis } from 'ioredis';
import type { KeyBuilder, TierName } from '../keys/key-builder';
import type { TierStore } from '../stores/tier-store';
import type { ChangeBus } from '../bus/change-bus';
import type { Lease } from '../lease/lease';
import type { PrivateStore } from '../stores/private-store';
import type { Keyv } from 'keyv';
import type { ToolsEntry } from '../stores/tools-cache';
import type { HealthSource } from './backend-health';

/**
 * Everything the registry needs from storage, built once per instance by a factory
 * (`createMemoryBackend`, `createRedisBackend`) and passed in: the registry never builds a client.
 */
export interface RegistryBackend extends HealthSource {
  readonly kind: 'memory' | 'redis';
  readonly keys: KeyBuilder;
  readonly bus: ChangeBus;
  /** Deadline of every storage call, in ms. */
  readonly timeoutMs: number;
  /** The ioredis client for locks, scripts and counters (undefined in memory mode). */
  readonly redis: Redis | Cluster | undefined;
  tierStore(tier: TierName): TierStore;
  /** The app tier's leader lease (one writer per deploy); the same as `tierLease('app')`. */
  readonly appLease: Lease;
  /** A tier's leader lease: one instance (re)builds the tier at a time. */
  tierLease(tier: TierName): Lease;
  /** Storage of users' private servers, locks and generations. */
  readonly privateStore: PrivateStore;
  /** Keyv namespace of per-server tool lists. */
  readonly toolsKeyv: Keyv<ToolsEntry>;
  /** Next value of the registry-wide config version sequence. */
  nextVersion(): Promise<number>;
  close(): Promise<void>;
}
