import {
  ConnectionManager,
  createMemoryBackend,
  ToolsCache,
  type ConnectionManagerOptions,
  type RegistryBackend,
  type ServerConfig,
  type ServerSource,
  type StoredServer,
} from '@strata/registry/internals';
import { startHttpFixture, type HttpFixture } from '../fixtures/mcp/http-server';

/** A server source holding exactly what a test put there: servers as a store would return them. */
export class FixedServers implements ServerSource {
  private readonly byName = new Map<string, StoredServer>();
  private version = 0;

  constructor(private readonly tier: StoredServer['tier']) {}

  /** Stores `config` (with the schema's defaults) under `name` at the next version. */
  put(name: string, config: Record<string, unknown>, extra: Partial<StoredServer> = {}): void {
    this.version += 1;
    this.byName.set(name, {
      name,
      tier: this.tier,
      config: { startup: true, requiresOAuth: false, perSession: false, enabled: true, ...config } as ServerConfig,
      version: this.version,
      updatedAt: new Date(0).toISOString(),
      ...extra,
    });
  }

  getServer(name: string): Promise<StoredServer | undefined> {
    return Promise.resolve(this.byName.get(name));
  }

  config(name: string): ServerConfig {
    const server = this.byName.get(name);
    if (!server) throw new Error(`no server ${name}`);
    return server.config;
  }
}

/** What each test of a connection suite gets afresh: a real HTTP MCP fixture, a memory backend, a tools cache. */
export interface ConnectionRig {
  readonly servers: FixedServers;
  readonly fixture: HttpFixture;
  readonly backend: RegistryBackend;
  readonly tools: ToolsCache;
  /** A manager over this test's servers (closed after the test), `defaults` then `options` applied. */
  start(options?: Partial<ConnectionManagerOptions>): ConnectionManager;
}

/**
 * Registers `beforeEach`/`afterEach` hooks in the calling `describe` that build and tear down a
 * {@link ConnectionRig}; read its members inside tests (they are rebuilt for each one).
 */
export function useConnectionRig(
  tier: StoredServer['tier'],
  defaults: Pick<ConnectionManagerOptions, 'connectTimeoutMs' | 'env'>,
): ConnectionRig {
  let state: { servers: FixedServers; fixture: HttpFixture; backend: RegistryBackend; tools: ToolsCache } | undefined;
  let manager: ConnectionManager | undefined;
  const current = () => {
    if (!state) throw new Error('the connection rig is used outside a test');
    return state;
  };

  beforeEach(async () => {
    const fixture = await startHttpFixture();
    const backend = createMemoryBackend();
    const tools = new ToolsCache({
      keyv: backend.toolsKeyv,
      bus: backend.bus,
      instanceId: 'me',
      clock: { now: Date.now },
    });
    state = { servers: new FixedServers(tier), fixture, backend, tools };
  });

  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    if (!state) return;
    state.tools.close();
    await state.backend.close();
    await state.fixture.close();
    state = undefined;
  });

  return {
    get servers() {
      return current().servers;
    },
    get fixture() {
      return current().fixture;
    },
    get backend() {
      return current().backend;
    },
    get tools() {
      return current().tools;
    },
    start(options = {}) {
      const { servers, backend, tools } = current();
      manager = new ConnectionManager({
        registry: servers,
        bus: backend.bus,
        toolsCache: tools,
        ...defaults,
        ...options,
      });
      return manager;
    },
  };
}
