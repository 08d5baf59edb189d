import { performance } from 'node:perf_hooks';
import {
  createStrata,
  type McpRegistry,
  type NamedServerConfig,
  type RegistryBackend,
  type ServerConfig,
  type Strata,
} from '../../packages/registry/src/internals';

/** Deadline of every Redis call the bench's registries make. */
const TIMEOUT_MS = 5_000;

/** `app-0001`, `shared-0042`, ... */
export function serverName(kind: 'app' | 'shared', index: number): string {
  return `${kind}-${String(index).padStart(4, '0')}`;
}

/** A plausible stdio server config (every defaulted field spelled out). */
export function stdioConfig(index: number): ServerConfig {
  const id = String(index).padStart(4, '0');
  return {
    type: 'stdio',
    command: 'node',
    args: [`server-${id}.js`],
    startup: true,
    requiresOAuth: false,
    perSession: false,
    enabled: true,
  };
}

/** `count` app-tier servers `app-0001`... */
export function appServers(count: number): NamedServerConfig[] {
  return Array.from({ length: count }, (_, i) => ({ name: serverName('app', i + 1), config: stdioConfig(i + 1) }));
}

/** A Strata instance on its own Redis backend; `close()` closes everything. */
export interface OpenRegistry {
  readonly strata: Strata;
  readonly backend: RegistryBackend;
  readonly registry: McpRegistry;
  close(): Promise<void>;
}

/** A fresh Strata instance on `keyPrefix` (not started: its near caches are empty). */
export async function openRegistry(
  url: string,
  keyPrefix: string,
  servers: readonly NamedServerConfig[],
): Promise<OpenRegistry> {
  const strata = await createStrata({ redis: { url }, keyPrefix, redisTimeoutMs: TIMEOUT_MS, appServers: servers });
  return { strata, backend: strata.backend, registry: strata.registry, close: () => strata.close() };
}

/** How long {@link openPopulated} took to start the registry and to add the shared servers. */
export interface Population {
  readonly startMs: number;
  readonly addSharedMs: number;
}

/**
 * Opens a registry with `appCount` app-tier servers, starts it (which writes the app tier), then
 * adds `sharedCount` shared servers one `addSharedServer` at a time, as an admin would. The caller
 * closes it.
 */
export async function openPopulated(
  url: string,
  keyPrefix: string,
  appCount: number,
  sharedCount: number,
): Promise<OpenRegistry & Population> {
  const open = await openRegistry(url, keyPrefix, appServers(appCount));
  try {
    let startedAt = performance.now();
    await open.strata.start();
    const startMs = performance.now() - startedAt;
    startedAt = performance.now();
    for (let i = 1; i <= sharedCount; i += 1) {
      await open.registry.addSharedServer(serverName('shared', i), stdioConfig(appCount + i));
    }
    return { ...open, startMs, addSharedMs: performance.now() - startedAt };
  } catch (error) {
    await open.close();
    throw error;
  }
}
