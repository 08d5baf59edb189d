import type { RedisTopology } from '@strata/test-harness';
import {
  createMemoryBackend,
  createRedisBackend,
  type RedisConnection,
  type RegistryBackend,
  type ServerConfig,
  type StoredServer,
  type Tier,
} from '@strata/registry';

export function connectionFor(topology: RedisTopology): RedisConnection {
  return topology.kind === 'standalone' ? { url: topology.url } : { clusterNodes: topology.nodes };
}

/** A backend on the topology, or in memory when `topology` is undefined. */
export function backendFor(
  topology: RedisTopology | undefined,
  keyPrefix: string,
  timeoutMs = 2_000,
): Promise<RegistryBackend> {
  if (!topology) return Promise.resolve(createMemoryBackend({ keyPrefix }));
  return createRedisBackend({ connection: connectionFor(topology), keyPrefix, timeoutMs });
}

export function stdioConfig(command = 'node', args: string[] = []): ServerConfig {
  return {
    type: 'stdio',
    command,
    args,
    startup: true,
    requiresOAuth: false,
    perSession: false,
    enabled: true,
  };
}

export function httpConfig(url: string): ServerConfig {
  return {
    type: 'streamable-http',
    url,
    startup: true,
    requiresOAuth: false,
    perSession: false,
    enabled: true,
  };
}

export function stored(
  name: string,
  version: number,
  tier: Tier = 'shared',
  config: ServerConfig = stdioConfig('node', [name]),
): StoredServer {
  return { name, tier, config, version, updatedAt: new Date(0).toISOString() };
}
