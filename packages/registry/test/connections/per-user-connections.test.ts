import { type UserConnectContext, usesPerUserPlaceholders } from '@strata/registry/internals';
import type { Identity } from '../fixtures/mcp/fixture-server';
import { stdioFixtureParams } from '../fixtures/mcp/stdio-command';
import { useConnectionRig } from './rig';

/**
 * Per-user placeholders and user API keys at connection time, against real MCP servers (the SDK's
 * server over stdio and streamable HTTP on 127.0.0.1): each user's connection carries that user's
 * identity, and only theirs.
 */

/** A server source holding exactly what a test put there: servers as a store would return them. */

const alice: UserConnectContext = {
  user: { id: 'alice', email: 'alice@example.com', username: 'alice' },
  vars: { TEAM: 'red' },
  apiKey: 'alice-key',
};
const bob: UserConnectContext = {
  user: { id: 'bob', email: 'bob@example.com', username: 'bob' },
  vars: { TEAM: 'blue' },
  apiKey: 'bob-key',
};
const userScope = (context: UserConnectContext) => ({ kind: 'user' as const, userId: context.user.id });

async function identity(connection: { callTool(name: string): Promise<{ structuredContent?: unknown }> }) {
  const reply = await connection.callTool('identity');
  return reply.structuredContent as Identity;
}

describe('per-user placeholders at connection time (real MCP servers)', () => {
  const rig = useConnectionRig('shared', { connectTimeoutMs: 10_000, env: {} });

  it('two users of one streamable-HTTP server: the server sees two identities (headers and API key)', async () => {
    rig.servers.put('crm', {
      type: 'streamable-http',
      url: rig.fixture.url,
      headers: {
        'X-User-Id': '{{LIBRECHAT_USER_ID}}',
        'X-User-Email': '{{LIBRECHAT_USER_EMAIL}}',
        'X-Team': '{{TEAM}}',
      },
      customUserVars: { TEAM: { title: 'Team' } },
      apiKey: { source: 'user', authorization_type: 'bearer' },
    });
    const connections = rig.start();
    const [a, b] = await Promise.all([
      connections.get(userScope(alice), 'crm', alice),
      connections.get(userScope(bob), 'crm', bob),
    ]);
    expect(a).not.toBe(b);
    const [seenA, seenB] = await Promise.all([identity(a), identity(b)]);
    expect(seenA.headers).toMatchObject({
      'x-user-id': 'alice',
      'x-user-email': 'alice@example.com',
      'x-team': 'red',
      authorization: 'Bearer alice-key',
    });
    expect(seenB.headers).toMatchObject({
      'x-user-id': 'bob',
      'x-user-email': 'bob@example.com',
      'x-team': 'blue',
      authorization: 'Bearer bob-key',
    });
    expect(rig.fixture.sessions.opened).toBe(2);
  });

  it('two users of one stdio server: each child gets its own user in its environment', async () => {
    rig.servers.put('notes', {
      type: 'stdio',
      ...stdioFixtureParams(),
      env: {
        FIXTURE_USER: '{{LIBRECHAT_USER_ID}}',
        FIXTURE_EMAIL: '{{LIBRECHAT_USER_EMAIL}}',
        FIXTURE_TEAM: '{{TEAM}}',
      },
      customUserVars: { TEAM: { title: 'Team' } },
    });
    const connections = rig.start();
    const a = await connections.get(userScope(alice), 'notes', alice);
    const b = await connections.get(userScope(bob), 'notes', bob);
    expect(a.pid).not.toBe(b.pid);
    expect((await identity(a)).env).toEqual({
      FIXTURE_USER: 'alice',
      FIXTURE_EMAIL: 'alice@example.com',
      FIXTURE_TEAM: 'red',
    });
    expect((await identity(b)).env).toEqual({
      FIXTURE_USER: 'bob',
      FIXTURE_EMAIL: 'bob@example.com',
      FIXTURE_TEAM: 'blue',
    });
  });

  it('a per-user server is never connected with app scope', async () => {
    rig.servers.put('crm', {
      type: 'streamable-http',
      url: rig.fixture.url,
      headers: { 'X-User': '{{LIBRECHAT_USER_ID}}' },
    });
    rig.servers.put('keyed', {
      type: 'streamable-http',
      url: rig.fixture.url,
      apiKey: { source: 'user', authorization_type: 'bearer' },
    });
    const connections = rig.start();
    await expect(connections.get({ kind: 'app' }, 'crm')).rejects.toMatchObject({ code: 'SCOPE_REFUSED' });
    await expect(connections.get({ kind: 'app' }, 'keyed')).rejects.toMatchObject({ code: 'SCOPE_REFUSED' });
    expect(rig.fixture.sessions.opened).toBe(0);
  });

  it('tool lists of a per-user server are cached per user: one user never overwrites another', async () => {
    // The stdio fixture lists each extra argv entry as a tool: each user's child lists their name.
    const params = stdioFixtureParams();
    rig.servers.put('desk', { type: 'stdio', ...params, args: [...params.args, '{{LIBRECHAT_USER_USERNAME}}'] });
    const connections = rig.start();
    await connections.get(userScope(alice), 'desk', alice);
    await connections.get(userScope(bob), 'desk', bob);
    const forAlice = (await rig.tools.get('desk', { userId: 'alice' }))?.tools?.map((tool) => tool.name);
    const forBob = (await rig.tools.get('desk', { userId: 'bob' }))?.tools?.map((tool) => tool.name);
    expect(forAlice).toContain('alice');
    expect(forAlice).not.toContain('bob');
    expect(forBob).toContain('bob');
    expect(forBob).not.toContain('alice');
    expect(await rig.tools.get('desk')).toBeUndefined(); // no shared entry for a per-user server
  });

  it('an unresolved placeholder is a typed error naming field and variable; nothing reaches the server', async () => {
    rig.servers.put('crm', {
      type: 'streamable-http',
      url: rig.fixture.url,
      headers: { 'X-User-Email': '{{LIBRECHAT_USER_EMAIL}}', 'X-Team': '{{TEAM}}' },
      customUserVars: { TEAM: { title: 'Team' } },
    });
    const connections = rig.start();
    const noEmail: UserConnectContext = { user: { id: 'carol' }, vars: { TEAM: 'green' } };
    await expect(connections.get({ kind: 'user', userId: 'carol' }, 'crm', noEmail)).rejects.toMatchObject({
      code: 'UNRESOLVED_PLACEHOLDER',
      field: 'headers.X-User-Email',
      variable: 'LIBRECHAT_USER_EMAIL',
    });
    const noVars: UserConnectContext = { user: { id: 'dave', email: 'dave@example.com' } };
    await expect(connections.get({ kind: 'user', userId: 'dave' }, 'crm', noVars)).rejects.toMatchObject({
      code: 'UNRESOLVED_PLACEHOLDER',
      field: 'headers.X-Team',
      variable: 'TEAM',
    });
    // No user context at all: the same error, never the literal text.
    await expect(connections.get({ kind: 'user', userId: 'erin' }, 'crm')).rejects.toMatchObject({
      code: 'UNRESOLVED_PLACEHOLDER',
    });
    expect(rig.fixture.sessions.opened).toBe(0);
    // Once the user's value exists, the very next get connects (a missing value is not cached as a failure).
    const fixed: UserConnectContext = { user: { id: 'carol', email: 'carol@example.com' }, vars: { TEAM: 'green' } };
    const connection = await connections.get({ kind: 'user', userId: 'carol' }, 'crm', fixed);
    expect((await identity(connection)).headers['x-user-email']).toBe('carol@example.com');
  });

  it("a user's changed variable renews their connection; a context for another user is refused", async () => {
    rig.servers.put('crm', {
      type: 'streamable-http',
      url: rig.fixture.url,
      headers: { 'X-Team': '{{TEAM}}' },
      customUserVars: { TEAM: {} },
    });
    const connections = rig.start();
    const first = await connections.get(userScope(alice), 'crm', alice);
    expect(await connections.get(userScope(alice), 'crm', alice)).toBe(first);
    expect(await connections.get(userScope(alice), 'crm')).toBe(first); // no context: the live connection
    const moved: UserConnectContext = { ...alice, vars: { TEAM: 'gold' } };
    const second = await connections.get(userScope(alice), 'crm', moved);
    expect(second).not.toBe(first);
    expect((await identity(second)).headers['x-team']).toBe('gold');
    await expect(connections.get(userScope(alice), 'crm', bob)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it("agrees with @strata/config on what a placeholder is: `{{NAME}}` that names nothing is sent as written, `${input:id}` is the user's", async () => {
    // One rule for the API, the browser form and the connection layer (config's
    // resolveUserPlaceholders): a template-looking header that declares nothing is not per user
    // (an app-scope connection is allowed and sends it as is); a VS Code input is a user variable.
    rig.servers.put('docs', {
      type: 'streamable-http',
      url: rig.fixture.url,
      headers: { 'X-Template': '{{not_declared}}' },
    });
    rig.servers.put('vsc', { type: 'streamable-http', url: rig.fixture.url, headers: { 'X-Token': '${input:token}' } });
    const connections = rig.start();
    expect(usesPerUserPlaceholders(rig.servers.config('docs'))).toBe(false);
    expect(usesPerUserPlaceholders(rig.servers.config('vsc'))).toBe(true);
    const app = await connections.get({ kind: 'app' }, 'docs');
    expect((await identity(app)).headers['x-template']).toBe('{{not_declared}}');
    await expect(connections.get({ kind: 'app' }, 'vsc')).rejects.toMatchObject({ code: 'SCOPE_REFUSED' });
    const withInput: UserConnectContext = { user: { id: 'alice' }, vars: { token: 't-1' } };
    const mine = await connections.get(userScope(withInput), 'vsc', withInput);
    expect((await identity(mine)).headers['x-token']).toBe('t-1');
  });

  it('a value is put in a URL percent-encoded: it stays one query value and cannot add parameters', async () => {
    rig.servers.put('crm', { type: 'streamable-http', url: `${rig.fixture.url}?user={{LIBRECHAT_USER_USERNAME}}` });
    const connections = rig.start();
    const sneaky: UserConnectContext = { user: { id: 'mallory', username: 'x&role=admin#' } };
    const connection = await connections.get({ kind: 'user', userId: 'mallory' }, 'crm', sneaky);
    expect((await identity(connection)).query).toEqual({ user: 'x&role=admin#' });
  });

  it.each([
    ['bearer', {}, 'authorization', 'Bearer k-123'],
    ['basic', {}, 'authorization', 'Basic k-123'],
    ['custom', { custom_header: 'X-Api-Key' }, 'x-api-key', 'k-123'],
  ] as const)('apiKey %s from the user builds the header it asks for', async (type, extra, header, expected) => {
    rig.servers.put('api', {
      type: 'streamable-http',
      url: rig.fixture.url,
      apiKey: { source: 'user', authorization_type: type, ...extra },
    });
    const connections = rig.start();
    const context: UserConnectContext = { user: { id: 'alice' }, apiKey: 'k-123' };
    const connection = await connections.get(userScope(alice), 'api', context);
    expect((await identity(connection)).headers[header]).toBe(expected);
  });

  it('apiKey with source admin sends the configured key (its ${VAR} from the environment), in app scope too', async () => {
    rig.servers.put('api', {
      type: 'streamable-http',
      url: rig.fixture.url,
      apiKey: { source: 'admin', authorization_type: 'bearer', key: '${SERVICE_KEY}' },
    });
    const connections = rig.start({ env: { SERVICE_KEY: 'svc-1' } });
    const connection = await connections.get({ kind: 'app' }, 'api');
    expect((await identity(connection)).headers['authorization']).toBe('Bearer svc-1');
  });

  it('the key may also come from the variable MCP_API_KEY (as @strata/config names it)', async () => {
    rig.servers.put('api', {
      type: 'streamable-http',
      url: rig.fixture.url,
      apiKey: { source: 'user', authorization_type: 'bearer' },
    });
    const connections = rig.start();
    const context: UserConnectContext = { user: { id: 'alice' }, vars: { MCP_API_KEY: 'from-vars' } };
    const connection = await connections.get(userScope(alice), 'api', context);
    expect((await identity(connection)).headers['authorization']).toBe('Bearer from-vars');
  });

  it('a user without their API key gets UNRESOLVED_PLACEHOLDER naming apiKey, and nothing is sent', async () => {
    rig.servers.put('api', {
      type: 'streamable-http',
      url: rig.fixture.url,
      apiKey: { source: 'user', authorization_type: 'bearer' },
    });
    const connections = rig.start();
    await expect(
      connections.get({ kind: 'user', userId: 'carol' }, 'api', { user: { id: 'carol' } }),
    ).rejects.toMatchObject({ code: 'UNRESOLVED_PLACEHOLDER', field: 'apiKey' });
    expect(rig.fixture.sessions.opened).toBe(0);
  });
});
