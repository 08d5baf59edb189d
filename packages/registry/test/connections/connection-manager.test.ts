import {
  AccessAdmin,
  ConnectionManager,
  createMemoryBackend,
  createTransport,
  McpRegistry,
  MemoryAccessRepository,
  PrivateTier,
  ToolsCache,
  type ConnectionManagerOptions,
  type RegistryBackend,
  type ServerConfig,
  type TransportFactory,
} from '@strata/registry/internals';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { startHttpFixture, type HttpFixture } from '../fixtures/mcp/http-server';
import { stdioFixtureParams } from '../fixtures/mcp/stdio-command';

const stdio = (): ServerConfig => ({ type: 'stdio', ...stdioFixtureParams() }) as ServerConfig;
const http = (url: string, extra: Record<string, unknown> = {}): ServerConfig =>
  ({ type: 'streamable-http', url, ...extra }) as ServerConfig;

/** True when a process with this PID no longer exists. */
function gone(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/** Re-checks a condition that no event announces (a child's exit seen from outside), with a deadline. */
async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('connection manager (memory backend, real MCP servers)', () => {
  let backend: RegistryBackend;
  let repository: MemoryAccessRepository;
  let privateTier: PrivateTier;
  let registry: McpRegistry;
  let admin: AccessAdmin;
  let tools: ToolsCache;
  let manager: ConnectionManager | undefined;
  let fixture: HttpFixture;

  beforeEach(async () => {
    fixture = await startHttpFixture();
    backend = createMemoryBackend();
    repository = new MemoryAccessRepository();
    privateTier = new PrivateTier({
      store: backend.privateStore,
      bus: backend.bus,
      loader: (u) => repository.serversForUser(u),
    });
    registry = new McpRegistry({
      backend,
      privateTier,
      appServers: [
        { name: 'web', config: http(fixture.url) },
        { name: 'local', config: stdio() },
        { name: 'browser', config: { ...stdio(), perSession: true } },
        { name: 'oauth', config: http(fixture.url, { requiresOAuth: true }) },
      ],
    });
    admin = new AccessAdmin({ registry, privateTier, repository, moveSettleMs: 0 });
    tools = new ToolsCache({
      keyv: backend.toolsKeyv,
      bus: backend.bus,
      instanceId: 'me',
      clock: { now: () => Date.now() },
    });
    await privateTier.start();
    await registry.start();
  });

  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    tools.close();
    privateTier.close();
    registry.close();
    await backend.close();
    await fixture.close();
  });

  function start(options: Partial<ConnectionManagerOptions> = {}): ConnectionManager {
    manager = new ConnectionManager({
      registry,
      bus: backend.bus,
      toolsCache: tools,
      connectTimeoutMs: 5_000,
      ...options,
    });
    return manager;
  }

  it('100 concurrent gets make one connection (one session on the server)', async () => {
    const connections = start();
    const all = await Promise.all(Array.from({ length: 100 }, () => connections.get({ kind: 'app' }, 'web')));
    expect(new Set(all).size).toBe(1);
    expect(fixture.sessions.opened).toBe(1);
    const reply = await all[0]!.client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    expect(reply.content).toEqual([{ type: 'text', text: 'hi' }]);
    const listed = await tools.get('web');
    expect(listed?.tools?.map((tool) => tool.name)).toContain('echo');
  });

  it('refuses app scope for requiresOAuth and perSession servers (SCOPE_REFUSED)', async () => {
    const connections = start();
    await expect(connections.get({ kind: 'app' }, 'oauth')).rejects.toMatchObject({ code: 'SCOPE_REFUSED' });
    await expect(connections.get({ kind: 'app' }, 'browser')).rejects.toMatchObject({ code: 'SCOPE_REFUSED' });
    await expect(connections.get({ kind: 'user', userId: 'u1' }, 'browser')).rejects.toMatchObject({
      code: 'SCOPE_REFUSED',
    });
    await expect(connections.get({ kind: 'user', userId: 'u1' }, 'oauth')).resolves.toBeDefined();
    await expect(connections.get({ kind: 'app' }, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a stale connection (older config version) is closed and made again on the next get', async () => {
    const connections = start();
    await admin.addPrivateServer('notes', http(fixture.url), ['u1']);
    const first = await connections.get({ kind: 'user', userId: 'u1' }, 'notes');
    await admin.updateServer('notes', http(fixture.url, { headers: { 'x-v': '2' } }));
    await eventually(() => fixture.sessions.closed === 1 && fixture.sessions.opened === 2);
    const second = await connections.get({ kind: 'user', userId: 'u1' }, 'notes');
    expect(second).not.toBe(first);
    expect(second.version).toBeGreaterThan(first.version);
  });

  it('access revoked: the user’s connection is closed and its stdio child has exited', async () => {
    const connections = start();
    await admin.addPrivateServer('mine', stdio(), ['u1']);
    const connection = await connections.get({ kind: 'user', userId: 'u1' }, 'mine');
    const pid = connection.pid;
    expect(pid).toBeGreaterThan(0);
    expect(gone(pid)).toBe(false);
    await admin.revokeAll('mine');
    await eventually(() => connections.status().length === 0 && gone(pid));
    await expect(connections.get({ kind: 'user', userId: 'u1' }, 'mine')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('two chat sessions on a perSession server get two processes with separate state; ending one ends its process', async () => {
    const connections = start();
    const a = await connections.get({ kind: 'session', userId: 'u1', sessionId: 's1' }, 'browser');
    const b = await connections.get({ kind: 'session', userId: 'u1', sessionId: 's2' }, 'browser');
    expect(a.pid).not.toBe(b.pid);
    await a.client.callTool({ name: 'whoami', arguments: {} });
    await a.client.callTool({ name: 'whoami', arguments: {} });
    const fromB = await b.client.callTool({ name: 'whoami', arguments: {} });
    expect(fromB.structuredContent).toMatchObject({ calls: 1 });
    const pidA = a.pid;
    await connections.endSession('u1', 's1');
    expect(gone(pidA)).toBe(true);
    expect(gone(b.pid)).toBe(false);
  });

  it('a crashed server is reconnected with backoff; after max attempts the status says so; a later get succeeds', async () => {
    let down = false;
    const factory: TransportFactory = (config, env) =>
      createTransport(down ? ({ ...config, command: '/nonexistent/strata-fixture' } as ServerConfig) : config, env);
    let skew = 0; // lets the test move past the negative-cache TTL without waiting for it
    const connections = start({
      transportFactory: factory,
      reconnect: { baseDelayMs: 10, maxDelayMs: 40, maxAttempts: 3 },
      negativeTtlMs: 5_000,
      clock: { now: () => Date.now() + skew },
    });
    const connection = await connections.get({ kind: 'app' }, 'local');
    const pid = connection.pid;
    // A crash while up: reconnected.
    await connection.client
      .callTool({ name: 'fixture_crash', arguments: { when: 'after-reply' } })
      .catch(() => undefined);
    await eventually(() => gone(pid) && connections.status()[0]?.status.state === 'connected');
    const revived = await connections.get({ kind: 'app' }, 'local');
    expect(revived.pid).not.toBe(pid);
    // A crash while the server cannot start: attempts run out, the status says so.
    down = true;
    await revived.client.callTool({ name: 'fixture_crash', arguments: { when: 'after-reply' } }).catch(() => undefined);
    await eventually(() => connections.status()[0]?.status.state === 'error');
    const failed = connections.status()[0]?.status;
    expect(failed?.state).toBe('error');
    expect(failed?.state === 'error' ? failed.reason : '').toContain('3 reconnect attempts');
    down = false;
    await expect(connections.get({ kind: 'app' }, 'local')).rejects.toMatchObject({ code: 'CONNECT_FAILED' }); // cached
    skew += 5_001;
    const back = await connections.get({ kind: 'app' }, 'local');
    await expect(back.client.callTool({ name: 'echo', arguments: { text: 'back' } })).resolves.toMatchObject({
      content: [{ type: 'text', text: 'back' }],
    });
  });

  it('caps give CAPACITY, in total and per user', async () => {
    const connections = start({ maxConnections: 2, maxPerUser: 1 });
    await connections.get({ kind: 'app' }, 'local');
    await connections.get({ kind: 'user', userId: 'u1' }, 'web');
    await expect(connections.get({ kind: 'user', userId: 'u1' }, 'oauth')).rejects.toMatchObject({ code: 'CAPACITY' });
    await expect(connections.get({ kind: 'app' }, 'web')).rejects.toMatchObject({ code: 'CAPACITY' });
    expect(connections.status()).toHaveLength(2);
  });

  it('idle connections are closed (child ended, HTTP session terminated)', async () => {
    const connections = start({ idleTimeoutMs: 50 });
    const local = await connections.get({ kind: 'app' }, 'local');
    await connections.get({ kind: 'app' }, 'web');
    await eventually(() => connections.status().length === 0 && gone(local.pid) && fixture.sessions.closed === 1);
  });

  it('a broken server answers with its cached error at once and hides no other server', async () => {
    // A TCP listener that accepts and never answers: a connect can only end by its deadline.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      registry.close();
      registry = new McpRegistry({
        backend,
        privateTier,
        appServers: [
          { name: 'web', config: http(fixture.url) },
          { name: 'silent', config: http(`http://127.0.0.1:${port}/mcp`) },
        ],
      });
      await registry.start();
      const connections = start({ connectTimeoutMs: 300, negativeTtlMs: 60_000 });
      // Its deadline passing is a TIMEOUT (initTimeout, else connectTimeoutMs), not a generic failure.
      await expect(connections.get({ kind: 'app' }, 'silent')).rejects.toMatchObject({ code: 'TIMEOUT' });
      const attempts = sockets.length;
      expect(attempts).toBeGreaterThan(0);
      // Within the negative TTL: the same error, no new attempt on the wire.
      // Its deadline passing is a TIMEOUT (initTimeout, else connectTimeoutMs), not a generic failure.
      await expect(connections.get({ kind: 'app' }, 'silent')).rejects.toMatchObject({ code: 'TIMEOUT' });
      expect(sockets.length).toBe(attempts);
      await expect(tools.get('silent')).resolves.toMatchObject({ error: expect.any(String) as unknown });
      // The healthy server is unaffected.
      const web = await connections.get({ kind: 'app' }, 'web');
      await expect(web.client.callTool({ name: 'echo', arguments: { text: 'ok' } })).resolves.toBeDefined();
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a removed shared server’s connection is closed', async () => {
    const connections = start();
    await registry.addSharedServer('wiki', http(fixture.url));
    await connections.get({ kind: 'user', userId: 'u1' }, 'wiki');
    await registry.removeSharedServer('wiki');
    await eventually(() => connections.status().length === 0 && fixture.sessions.terminated === 1);
  });

  it('close() leaves no child process behind', async () => {
    const connections = start();
    const pids = [
      (await connections.get({ kind: 'app' }, 'local')).pid,
      (await connections.get({ kind: 'session', userId: 'u1', sessionId: 's1' }, 'browser')).pid,
    ];
    await connections.close();
    manager = undefined;
    expect(pids.every(gone)).toBe(true);
  });
});
