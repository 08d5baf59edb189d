import { createStrata, OutboundGuard, type AddressResolver } from '@strata/registry/internals';
import type { LookupAddress } from 'node:dns';
import { startHttpFixture, type HttpFixture } from '../fixtures/mcp/http-server';
import type { Identity } from '../fixtures/mcp/fixture-server';
import { stdioFixtureParams } from '../fixtures/mcp/stdio-command';
import { useConnectionRig } from './rig';

/**
 * The outbound-address guard for user-supplied servers. Decisions are checked with an injected
 * resolver; the only sockets any test here opens go to 127.0.0.1 (the real loopback MCP server,
 * reached through an explicit test allow-list). Every other address is only ever *refused*.
 */

/** A resolver answering from a table (a list of answers per name: one per call, the last repeats). */
function resolver(table: Record<string, ReadonlyArray<readonly string[]>>): AddressResolver & { calls: string[] } {
  const calls: string[] = [];
  const next = new Map<string, number>();
  const resolve = (hostname: string): Promise<readonly LookupAddress[]> => {
    calls.push(hostname);
    const answers = table[hostname];
    if (!answers) return Promise.reject(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    const index = next.get(hostname) ?? 0;
    next.set(hostname, index + 1);
    const answer = answers[Math.min(index, answers.length - 1)] ?? [];
    return Promise.resolve(answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(resolve, { calls });
}

describe('outbound guard: decisions', () => {
  const guard = new OutboundGuard({
    resolver: resolver({
      'loopback.test': [['127.0.0.1']],
      'metadata.test': [['169.254.169.254']],
      'private.test': [['10.0.0.1']],
      'v6-loopback.test': [['::1']],
      'mixed.test': [['93.184.216.34', '10.1.2.3']],
      'public.test': [['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']],
    }),
  });

  it.each([
    ['http://127.0.0.1/mcp', '127.0.0.1'],
    ['http://10.0.0.1/mcp', '10.0.0.1'],
    ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['http://[::1]:8080/mcp', '::1'],
    ['http://0.0.0.0/mcp', '0.0.0.0'],
    ['http://172.16.5.4/mcp', '172.16.5.4'],
    ['http://192.168.1.1/mcp', '192.168.1.1'],
    ['http://100.64.0.1/mcp', '100.64.0.1'],
    ['http://100.100.100.200/mcp', '100.100.100.200'],
    ['http://[fd00:ec2::254]/mcp', 'fd00:ec2::254'],
    ['http://[fc00::1]/mcp', 'fc00::1'],
    ['http://[fe80::1]/mcp', 'fe80::1'],
    ['http://[::ffff:127.0.0.1]/mcp', '::ffff:7f00:1'],
    ['http://[::ffff:a9fe:a9fe]/mcp', '::ffff:a9fe:a9fe'],
    ['http://2130706433/mcp', '127.0.0.1'], // decimal form of 127.0.0.1, normalised by the URL parser
    ['http://0x7f.1/mcp', '127.0.0.1'],
    ['https://loopback.test/mcp', '127.0.0.1'],
    ['https://metadata.test/mcp', '169.254.169.254'],
    ['https://private.test/mcp', '10.0.0.1'],
    ['wss://v6-loopback.test/mcp', '::1'],
    ['https://mixed.test/mcp', '10.1.2.3'], // one bad address among good ones is enough
  ])('refuses %s (ADDRESS_REFUSED naming %s)', async (url, address) => {
    await expect(guard.check(url)).rejects.toMatchObject({ code: 'ADDRESS_REFUSED', address });
  });

  it('lets a public address through and answers every address it checked', async () => {
    await expect(guard.check('https://public.test/mcp')).resolves.toHaveLength(2);
    expect(guard.refusal('93.184.216.34')).toBeUndefined();
  });

  it('an operator allow-list overrides, for exactly what it lists', async () => {
    const allowing = new OutboundGuard({ allow: ['10.1.0.0/16', '::1'], resolver: resolver({}) });
    await expect(allowing.check('http://10.1.200.7/mcp')).resolves.toHaveLength(1);
    await expect(allowing.check('http://[::1]/mcp')).resolves.toHaveLength(1);
    await expect(allowing.check('http://10.2.0.1/mcp')).rejects.toMatchObject({ code: 'ADDRESS_REFUSED' });
    await expect(allowing.check('http://169.254.169.254/')).rejects.toMatchObject({ code: 'ADDRESS_REFUSED' });
    expect(() => new OutboundGuard({ allow: ['10.0.0.0/33'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }) as Error,
    );
  });

  it('an unresolvable name is CONNECT_FAILED, not a refusal and not a hang', async () => {
    await expect(guard.check('https://nowhere.test/')).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
    const stuck = new OutboundGuard({ resolver: () => new Promise(() => undefined), resolveTimeoutMs: 50 });
    await expect(stuck.check('https://slow.test/')).rejects.toMatchObject({ code: 'TIMEOUT' });
  });
});

describe('outbound guard at connect time (user-supplied servers)', () => {
  const SECRET = 'jwt-secret-4f1c9b2e7a';
  const user = { kind: 'user' as const, userId: 'alice' };
  const rig = useConnectionRig('private', { connectTimeoutMs: 10_000, env: { JWT_SECRET: SECRET } });

  it('a user-supplied server on loopback is refused by default; nothing reaches it', async () => {
    rig.servers.put('mine', { type: 'streamable-http', url: rig.fixture.url }, { origin: 'user' });
    const connections = rig.start({ userServers: { resolver: resolver({}) } });
    await expect(connections.get(user, 'mine')).rejects.toMatchObject({
      code: 'ADDRESS_REFUSED',
      address: '127.0.0.1',
    });
    expect(rig.fixture.sessions.opened).toBe(0);
  });

  it('through an explicit allow-list it connects, to the address the guard resolved', async () => {
    // `mcp.test` exists only in the injected resolver: connecting at all proves the socket used the
    // guard's answer (127.0.0.1), not the system's.
    const names = resolver({ 'mcp.test': [['127.0.0.1']] });
    rig.servers.put(
      'mine',
      { type: 'streamable-http', url: `http://mcp.test:${rig.fixture.port}/mcp` },
      { origin: 'user' },
    );
    const connections = rig.start({ userServers: { resolver: names, allow: ['127.0.0.1/32'] } });
    const connection = await connections.get(user, 'mine');
    const seen = (await connection.callTool('identity')).structuredContent as Identity;
    expect(seen.headers['host']).toBe(`mcp.test:${rig.fixture.port}`);
    expect(names.calls.length).toBeGreaterThanOrEqual(2); // checked before connecting, and by the socket's lookup
  });

  it('DNS rebinding: a name that turns into a refused address between check and connect is refused', async () => {
    // First answer public (the check passes), then loopback: the socket's own lookup re-checks and
    // refuses, so no socket is opened to either address.
    const names = resolver({ 'rebind.test': [['93.184.216.34'], ['127.0.0.1']] });
    rig.servers.put(
      'mine',
      { type: 'streamable-http', url: `http://rebind.test:${rig.fixture.port}/mcp` },
      { origin: 'user' },
    );
    const connections = rig.start({ userServers: { resolver: names } });
    await expect(connections.get(user, 'mine')).rejects.toMatchObject({
      code: 'ADDRESS_REFUSED',
      address: '127.0.0.1',
    });
    expect(names.calls).toEqual(['rebind.test', 'rebind.test']);
    expect(rig.fixture.sessions.opened).toBe(0);
  });

  it('an operator server is not guarded (operators may reach internal services)', async () => {
    rig.servers.put('internal', { type: 'streamable-http', url: rig.fixture.url });
    const connections = rig.start({ userServers: { resolver: resolver({}) } });
    await expect(connections.get(user, 'internal')).resolves.toBeDefined();
  });

  it("a config marked userSupplied (@strata/config's user schema) gets the same rules without origin", async () => {
    rig.servers.put('marked', {
      type: 'streamable-http',
      url: `${rig.fixture.url}?k=\${JWT_SECRET}`,
      userSupplied: true,
    });
    const connections = rig.start({ userServers: { resolver: resolver({}), allow: ['127.0.0.1'] } });
    await expect(connections.get(user, 'marked')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    expect(rig.fixture.sessions.opened).toBe(0);
  });

  it('a user-supplied stdio server is refused unless the operator allows it', async () => {
    rig.servers.put('local', { type: 'stdio', ...stdioFixtureParams() }, { origin: 'user' });
    await expect(rig.start().get(user, 'local')).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('${JWT_SECRET} in a user-supplied config written straight into the store never leaves the process', async () => {
    // Bypasses parse: the stored config carries the placeholder in the URL, a header and the
    // apiKey. The address is allowed, so the ${VAR} refusal is the only thing between the secret
    // and the server; the environment does hold the secret.
    rig.servers.put(
      'exfil',
      {
        type: 'streamable-http',
        url: `${rig.fixture.url}?k=\${JWT_SECRET}`,
        headers: { 'X-Leak': '${JWT_SECRET}' },
      },
      { origin: 'user' },
    );
    rig.servers.put(
      'exfil-key',
      {
        type: 'streamable-http',
        url: rig.fixture.url,
        apiKey: { source: 'admin', authorization_type: 'bearer', key: '${JWT_SECRET}' },
      },
      { origin: 'user' },
    );
    const connections = rig.start({ userServers: { resolver: resolver({}), allow: ['127.0.0.1'] } });
    const errors: unknown[] = [];
    for (const name of ['exfil', 'exfil-key']) {
      await connections.get(user, name).then(
        () => errors.push('connected'),
        (error: unknown) => errors.push(error),
      );
    }
    expect(errors).toEqual([
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    ]);
    expect(rig.fixture.sessions.opened).toBe(0);
    const exposed = JSON.stringify([errors.map(String), connections.status(), await rig.tools.get('exfil')]);
    expect(exposed).not.toContain(SECRET);
    expect(String(errors[0])).toContain('JWT_SECRET'); // the error names the variable it refused
  });
});

describe('user-supplied servers through the facade (origin stored with the server)', () => {
  const SECRET = 'jwt-secret-77aa01c3';
  let fixture: HttpFixture;

  beforeEach(async () => {
    fixture = await startHttpFixture();
  });

  afterEach(async () => {
    await fixture.close();
  });

  it("a user's private server keeps origin 'user' through the database and the private tier: its ${VAR} is refused", async () => {
    const strata = await createStrata({
      connections: { env: { JWT_SECRET: SECRET }, userServers: { resolver: resolver({}), allow: ['127.0.0.1'] } },
    });
    try {
      await strata.start();
      const config = { type: 'streamable-http', url: `${fixture.url}?k=\${JWT_SECRET}` };
      await strata.admin.createServer('leaky', config, { userIds: ['alice'] }, 'alice', 'user');
      await strata.admin.createServer('ops', { type: 'streamable-http', url: fixture.url }, { userIds: ['alice'] });
      expect((await strata.getServer('leaky', { userId: 'alice' }))?.origin).toBe('user');
      expect((await strata.getServer('ops', { userId: 'alice' }))?.origin).toBeUndefined();
      const error: unknown = await strata.connections
        .get({ kind: 'user', userId: 'alice' }, 'leaky')
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INVALID_CONFIG' });
      expect(String(error)).not.toContain(SECRET);
      expect(fixture.sessions.opened).toBe(0);
      // The operator's server on the same address connects: the guard and the ${VAR} rule are the user's only.
      await expect(strata.connections.get({ kind: 'user', userId: 'alice' }, 'ops')).resolves.toBeDefined();
    } finally {
      await strata.close();
    }
  });
});
