import type { RedisTopology } from '@strata/test-harness';
import { stdioConfig } from '@strata/test-harness';
export { stdioConfig, stored } from '@strata/test-harness';
import {
  createMemoryBackend,
  ValidationError,
  createRedisBackend,
  type RedisConnection,
  type RegistryBackend,
  type ServerConfig,
  type ChangeEvent,
  type PrivateServerRecord,
} from '@strata/registry/internals';

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

/** Resolves with the first event on `backend`'s bus that matches (subscribe before acting). */
export function nextEvent(backend: RegistryBackend, match: (event: ChangeEvent) => boolean): Promise<ChangeEvent> {
  return new Promise((resolve) => {
    const off = backend.bus.subscribe((event) => {
      if (match(event)) {
        off();
        resolve(event);
      }
    });
  });
}

/** A promise the test opens when it chooses; `reached` resolves when the code under test `arrive`s. */
export function gate(): { wait: Promise<void>; open(): void; reached: Promise<void>; arrive(): void } {
  let open = (): void => undefined;
  let arrive = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  return { wait, open, reached, arrive };
}

/** A stand-in for the database: the loader reads it asynchronously, like a query. */
export class FakeDatabase {
  readonly servers = new Map<string, PrivateServerRecord[]>();
  reads = 0;
  async load(userId: string): Promise<PrivateServerRecord[]> {
    this.reads += 1;
    await new Promise((resolve) => setImmediate(resolve));
    return [...(this.servers.get(userId) ?? [])];
  }
  grant(userId: string, name: string, version = 1): void {
    this.servers.set(userId, [
      ...(this.servers.get(userId) ?? []),
      { name, config: stdioConfig('node', [name]), version },
    ]);
  }
  revoke(userId: string, name: string): void {
    this.servers.set(
      userId,
      (this.servers.get(userId) ?? []).filter((server) => server.name !== name),
    );
  }
  /** Replaces a user's servers by name. */
  set(userId: string, names: string[]): void {
    this.servers.set(
      userId,
      names.map((name) => ({ name, config: stdioConfig('node', [name]), version: 1 })),
    );
  }
}

/** The ValidationError `run` throws; fails the test when it throws nothing or something else. */
export function caught(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}
