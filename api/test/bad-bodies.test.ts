import { PERMISSION } from '@strata/config';
import { call, startGroup, tokenFor, type ApiGroup } from './support/instances';

/** Every 4xx must be a problem document with a stable code, naming the fields concerned. */
function expectProblem(
  answer: { status: number; type: string; body: any },
  status: number,
  code: string,
  path?: string,
) {
  expect(answer.status).toBe(status);
  expect(answer.type).toContain('application/problem+json');
  expect(answer.body.code).toBe(code);
  if (path !== undefined) expect(answer.body.issues.map((issue: { path: string }) => issue.path)).toContain(path);
}

describe('bad bodies and hostile names → 4xx problem+json naming the field, nothing written', () => {
  let group: ApiGroup;
  let url: string;
  let admin: string;
  let snapshot: (collections?: readonly string[]) => Promise<string>;
  beforeAll(async () => {
    group = await startGroup(1, { redis: 'memory', env: { STRATA_BODY_LIMIT: '64kb' } });
    url = group.apis[0]!.url;
    admin = await tokenFor('root', 'admin');
    const created = await call(`${url}/api/admin/servers`, {
      method: 'POST',
      token: admin,
      body: {
        name: 'existing',
        config: { type: 'streamable-http', url: 'https://x.example/mcp' },
        access: { userIds: ['erin'] },
      },
    });
    expect(created.status).toBe(201);
    // Everything the API could write: servers, access entries, groups, users, the version counter.
    snapshot = async (collections = ['mcpservers', 'aclentries', 'groups', 'users', 'counters']) => {
      const parts = await Promise.all(
        collections.map(async (name) =>
          JSON.stringify(
            await group.db
              .collection(name)
              .find({}, { projection: { _id: 0 } })
              .toArray(),
          ),
        ),
      );
      return parts.join('\n');
    };
  });
  afterAll(() => group.close());

  const cases: Array<[string, string, string, unknown, number, string, string | undefined]> = [
    [
      'create: wrong type of name',
      'POST',
      '/api/admin/servers',
      { name: 42, config: { type: 'sse', url: 'https://a.example' } },
      400,
      'INVALID_BODY',
      'name',
    ],
    [
      'create: unknown top-level field',
      'POST',
      '/api/admin/servers',
      { name: 'n1', config: { type: 'sse', url: 'https://a.example' }, owner: 'x' },
      400,
      'INVALID_BODY',
      'owner',
    ],
    [
      'create: unknown config field',
      'POST',
      '/api/admin/servers',
      { name: 'n2', config: { type: 'sse', url: 'https://a.example', shell: true } },
      400,
      'INVALID_CONFIG',
      'config.shell',
    ],
    [
      'create: wrong config type',
      'POST',
      '/api/admin/servers',
      { name: 'n3', config: { type: 'sse', url: 12 } },
      400,
      'INVALID_CONFIG',
      'config.url',
    ],
    [
      'create: hostile name (path)',
      'POST',
      '/api/admin/servers',
      { name: '../../etc', config: { type: 'sse', url: 'https://a.example' } },
      400,
      'INVALID_NAME',
      'name',
    ],
    [
      'create: hostile name (glob + hash tag)',
      'POST',
      '/api/admin/servers',
      { name: '*{u:x}', config: { type: 'sse', url: 'https://a.example' } },
      400,
      'INVALID_NAME',
      'name',
    ],
    [
      'create: hostile name (operator)',
      'POST',
      '/api/admin/servers',
      { name: '$where', config: { type: 'sse', url: 'https://a.example' } },
      400,
      'INVALID_NAME',
      'name',
    ],
    [
      'create: bad access user id',
      'POST',
      '/api/admin/servers',
      { name: 'n4', config: { type: 'sse', url: 'https://a.example' }, access: { userIds: ['has space'] } },
      400,
      'INVALID_BODY',
      'access.userIds.0',
    ],
    [
      'update: unknown field',
      'PUT',
      '/api/admin/servers/existing',
      { config: { type: 'sse', url: 'https://b.example' }, version: 9 },
      400,
      'INVALID_BODY',
      'version',
    ],
    [
      'update: config not an object',
      'PUT',
      '/api/admin/servers/existing',
      { config: 'stdio' },
      400,
      'INVALID_BODY',
      'config',
    ],
    [
      'access: bits out of range',
      'PUT',
      '/api/admin/servers/existing/access',
      { grants: [{ principal: { type: 'user', id: 'erin' }, bits: 99 }] },
      400,
      'INVALID_BODY',
      'grants.0.bits',
    ],
    [
      'access: unknown principal type',
      'PUT',
      '/api/admin/servers/existing/access',
      { grants: [{ principal: { type: 'root', id: 'x' }, bits: 1 }] },
      400,
      'INVALID_BODY',
      undefined,
    ],
    [
      'demote: wrong type',
      'POST',
      '/api/admin/servers/existing/demote',
      { userIds: 'erin' },
      400,
      'INVALID_BODY',
      'userIds',
    ],
    [
      'promote: unknown field',
      'POST',
      '/api/admin/servers/existing/promote',
      { force: true },
      400,
      'INVALID_BODY',
      'force',
    ],
    [
      'import: unknown format',
      'POST',
      '/api/admin/import',
      { format: 'cursor-ish', content: '{}' },
      400,
      'INVALID_BODY',
      'format',
    ],
    [
      'import: content not a string',
      'POST',
      '/api/admin/import',
      { format: 'claude-desktop', content: { mcpServers: {} } },
      400,
      'INVALID_BODY',
      'content',
    ],
    [
      'dev sign-in: hostile user id',
      'POST',
      '/api/auth/dev-login',
      { username: 'a b\u0000' },
      400,
      'INVALID_BODY',
      'username',
    ],
    [
      'dev sign-in: unknown field',
      'POST',
      '/api/auth/dev-login',
      { username: 'frank', role: 'admin' },
      400,
      'INVALID_BODY',
      'role',
    ],
    [
      'tool call: arguments not an object',
      'POST',
      '/api/servers/existing/tools/echo/call',
      { arguments: [1, 2] },
      400,
      'INVALID_BODY',
      'arguments',
    ],
    [
      'hostile name in the route',
      'PUT',
      `/api/admin/servers/${encodeURIComponent('a b/../c')}`,
      { config: { type: 'sse', url: 'https://a.example' } },
      400,
      'INVALID_NAME',
      'name',
    ],
    [
      'hostile session id in the route',
      'DELETE',
      `/api/sessions/${encodeURIComponent('x'.repeat(200))}`,
      undefined,
      400,
      'INVALID_OPTIONS',
      'sessionId',
    ],
  ];

  it.each(cases)('%s', async (_label, method, path, body, status, code, field) => {
    const before = await snapshot();
    const token = path.startsWith('/api/admin') ? admin : await tokenFor('erin');
    const answer = await call(`${url}${path}`, { method, token, ...(body === undefined ? {} : { body }) });
    expectProblem(answer, status, code, field);
    expect(await snapshot()).toBe(before);
  });

  it('a body over the limit (1 MB) → 413 BODY_TOO_LARGE, nothing written', async () => {
    const before = await snapshot();
    const big = {
      name: 'big',
      config: { type: 'sse', url: 'https://a.example', description: 'x'.repeat(1024 * 1024) },
    };
    expectProblem(
      await call(`${url}/api/admin/servers`, { method: 'POST', token: admin, body: big }),
      413,
      'BODY_TOO_LARGE',
      '(body)',
    );
    expect(await snapshot()).toBe(before);
  });

  it('malformed JSON → 400 INVALID_BODY', async () => {
    const before = await snapshot();
    expectProblem(
      await call(`${url}/api/admin/servers`, { method: 'POST', token: admin, rawBody: '{"name": "x",' }),
      400,
      'INVALID_BODY',
      '(body)',
    );
    expect(await snapshot()).toBe(before);
  });

  it('an app-tier name is reserved (409), an existing name conflicts (409)', async () => {
    // The database refuses the duplicate after the version sequence advanced: versions may have
    // gaps (never go back), so the counter is left out here; no server, grant or user is written.
    const data = ['mcpservers', 'aclentries', 'groups', 'users'];
    const before = await snapshot(data);
    const reserved = await call(`${url}/api/admin/servers`, {
      method: 'POST',
      token: admin,
      body: { name: 'search', config: { type: 'sse', url: 'https://a.example' } },
    });
    expectProblem(reserved, 409, 'NAME_RESERVED');
    const duplicate = await call(`${url}/api/admin/servers`, {
      method: 'POST',
      token: admin,
      body: { name: 'existing', config: { type: 'sse', url: 'https://a.example' } },
    });
    expectProblem(duplicate, 409, 'CONFLICT');
    expect(await snapshot(data)).toBe(before);
  });

  it('permission bits: a user without EDIT/SHARE is refused, with them may edit (user schema only)', async () => {
    const erin = await tokenFor('erin'); // VIEW only
    const before = await snapshot();
    expectProblem(
      await call(`${url}/api/servers/existing`, {
        method: 'PUT',
        token: erin,
        body: { config: { type: 'sse', url: 'https://c.example' } },
      }),
      403,
      'FORBIDDEN',
    );
    expectProblem(
      await call(`${url}/api/servers/existing/access`, { method: 'PUT', token: erin, body: { grants: [] } }),
      403,
      'FORBIDDEN',
    );
    expect(await snapshot()).toBe(before);

    const set = await call(`${url}/api/admin/servers/existing/access`, {
      method: 'PUT',
      token: admin,
      body: { grants: [{ principal: { type: 'user', id: 'erin' }, bits: PERMISSION.VIEW | PERMISSION.EDIT }] },
    });
    expect(set.status).toBe(200);
    const afterGrant = await snapshot();
    // EDIT through the user-supplied schema: no stdio, no ${VAR}.
    expectProblem(
      await call(`${url}/api/servers/existing`, {
        method: 'PUT',
        token: erin,
        body: { config: { type: 'stdio', command: 'sh' } },
      }),
      400,
      'INVALID_CONFIG',
      'config.type',
    );
    expectProblem(
      await call(`${url}/api/servers/existing`, {
        method: 'PUT',
        token: erin,
        body: { config: { type: 'sse', url: 'https://c.example', headers: { a: '${HOME}' } } },
      }),
      400,
      'INVALID_CONFIG',
      'config.headers.a',
    );
    expect(await snapshot()).toBe(afterGrant);
    const edited = await call(`${url}/api/servers/existing`, {
      method: 'PUT',
      token: erin,
      body: { config: { type: 'sse', url: 'https://c.example' } },
    });
    expect(edited.status).toBe(200);
    const stored = await group.db.collection('mcpservers').findOne({ name: 'existing' });
    expect((stored?.['config'] as { url?: string }).url).toBe('https://c.example');
    // Still no SHARE bit.
    expectProblem(
      await call(`${url}/api/servers/existing/access`, { method: 'PUT', token: erin, body: { grants: [] } }),
      403,
      'FORBIDDEN',
    );
  });
});
