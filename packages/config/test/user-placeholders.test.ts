import { UnresolvedPlaceholderError } from '../src/errors/strata-error';
import { resolvePlaceholders } from '../src/schema/placeholders';
import { parseServerConfig, type HttpServerConfig } from '../src/schema/server-config';
import {
  listUserPlaceholders,
  resolveUserPlaceholders,
  USER_API_KEY_VARIABLE,
  USER_CONTEXT_FIELDS,
  USER_PLACEHOLDERS,
  usesPerUserPlaceholders,
  type UserContext,
} from '../src/schema/user-placeholders';

const ALICE: UserContext = { id: 'u-alice', email: 'alice@example.com', username: 'alice', emailVerified: true };
const BOB: UserContext = { id: 'u-bob', email: 'bob@example.com', username: 'bob', emailVerified: false };

const http = (extra: Record<string, unknown>): HttpServerConfig =>
  <HttpServerConfig>parseServerConfig({ type: 'streamable-http', url: 'https://mcp.example.com/mcp', ...extra });

/** `resolveUserPlaceholders`, typed for the HTTP configs of these tests. */
const resolve = (...args: Parameters<typeof resolveUserPlaceholders>) =>
  resolveUserPlaceholders(...args) as HttpServerConfig;

function thrown(run: () => unknown): UnresolvedPlaceholderError {
  try {
    run();
  } catch (error) {
    if (error instanceof UnresolvedPlaceholderError) return error;
    throw error;
  }
  throw new Error('expected UnresolvedPlaceholderError');
}

describe('per-user placeholders', () => {
  it('names every LibreChat user field as LIBRECHAT_USER_<FIELD>', () => {
    expect([...USER_PLACEHOLDERS.keys()]).toEqual(
      USER_CONTEXT_FIELDS.map((field) => `LIBRECHAT_USER_${field.toUpperCase()}`),
    );
    expect(USER_PLACEHOLDERS.get('LIBRECHAT_USER_GOOGLEID')).toBe('googleId');
    expect(USER_PLACEHOLDERS.get('LIBRECHAT_USER_TWOFACTORENABLED')).toBe('twoFactorEnabled');
    expect(USER_PLACEHOLDERS.has('LIBRECHAT_USER_PASSWORD')).toBe(false);
  });

  it('gives two users of one config two identities', () => {
    const config = http({
      url: 'https://mcp.example.com/u/{{LIBRECHAT_USER_ID}}',
      headers: { 'X-User': '{{LIBRECHAT_USER_EMAIL}}', 'X-Verified': '{{LIBRECHAT_USER_EMAILVERIFIED}}' },
    });
    const forAlice = resolve(config, ALICE, {});
    const forBob = resolve(config, BOB, {});
    expect(forAlice).toMatchObject({
      url: 'https://mcp.example.com/u/u-alice',
      headers: { 'X-User': 'alice@example.com', 'X-Verified': 'true' },
    });
    expect(forBob).toMatchObject({
      url: 'https://mcp.example.com/u/u-bob',
      headers: { 'X-User': 'bob@example.com', 'X-Verified': 'false' },
    });
    expect(config.headers?.['X-User']).toBe('{{LIBRECHAT_USER_EMAIL}}');
  });

  it('fills customUserVars and VS Code inputs from the user variables, in every field a connection uses', () => {
    const config = parseServerConfig({
      type: 'stdio',
      command: 'npx',
      args: ['--token={{GITHUB_PAT}}', '${input:org}'],
      env: { HOME_DIR: '/home/{{LIBRECHAT_USER_USERNAME}}' },
      customUserVars: { GITHUB_PAT: { title: 'GitHub token' }, org: { title: 'Organisation' } },
    });
    expect(resolve(config, ALICE, { GITHUB_PAT: 'ghp_alice', org: 'acme' })).toMatchObject({
      args: ['--token=ghp_alice', 'acme'],
      env: { HOME_DIR: '/home/alice' },
    });
  });

  it('refuses, naming the field and the variable, what a user has not set — never sends it literally', () => {
    const config = http({
      headers: { Authorization: 'Bearer {{API_TOKEN}}', 'X-Name': '{{LIBRECHAT_USER_NAME}}' },
      customUserVars: { API_TOKEN: { title: 'Token', description: 'Your API token' } },
    });
    const error = thrown(() => resolve(config, ALICE, { API_TOKEN: '' }));
    expect(error.code).toBe('UNRESOLVED_PLACEHOLDER');
    expect(error.field).toBe('headers.Authorization');
    expect(error.variable).toBe('API_TOKEN');
    expect(error.issues.map((issue) => issue.path)).toEqual(['headers.Authorization', 'headers.X-Name']);
    expect(error.message).toContain('{{LIBRECHAT_USER_NAME}}');
  });

  it('refuses user fields without a user, and an empty id', () => {
    const config = http({ headers: { 'X-User': '{{LIBRECHAT_USER_ID}}' } });
    expect(thrown(() => resolve(config, undefined, {})).variable).toBe('LIBRECHAT_USER_ID');
    expect(thrown(() => resolve(config, { id: '' }, {})).field).toBe('headers.X-User');
  });

  it('replaces a null field by an empty string, as LibreChat does', () => {
    const config = http({ headers: { 'X-Role': '[{{LIBRECHAT_USER_ROLE}}]' } });
    expect(resolve(config, { id: 'u', role: null }, {}).headers).toEqual({ 'X-Role': '[]' });
  });

  it('refuses LibreChat placeholders Strata cannot fill (OpenID tokens, request body)', () => {
    const config = http({ headers: { Authorization: 'Bearer {{LIBRECHAT_OPENID_ACCESS_TOKEN}}' } });
    expect(usesPerUserPlaceholders(config)).toBe(true);
    expect(thrown(() => resolve(config, ALICE, {})).variable).toBe('LIBRECHAT_OPENID_ACCESS_TOKEN');
  });

  it('leaves {{NAME}} that names no variable as written, and does not count it', () => {
    const config = http({ headers: { 'X-Template': '{{handlebars}}' } });
    expect(usesPerUserPlaceholders(config)).toBe(false);
    expect(listUserPlaceholders(config)).toEqual([
      { path: 'headers.X-Template', variable: 'handlebars', kind: 'undeclared' },
    ]);
    expect(resolve(config, undefined, {}).headers).toEqual({ 'X-Template': '{{handlebars}}' });
  });

  it('resolves in one pass: a user value that looks like a placeholder is sent as the user wrote it', () => {
    const config = http({
      headers: { 'X-A': '{{A}}', 'X-Id': '{{LIBRECHAT_USER_ID}}' },
      customUserVars: { A: { title: 'A' } },
    });
    const resolved = resolve(config, { id: '{{A}}' }, { A: '{{LIBRECHAT_USER_ID}}' });
    expect(resolved.headers).toEqual({ 'X-A': '{{LIBRECHAT_USER_ID}}', 'X-Id': '{{A}}' });
  });

  it('environment first, then the user: a user value never reaches the environment resolver', () => {
    const config = http({
      headers: { 'X-A': '{{A}}', 'X-Key': '${OPERATOR_KEY}' },
      customUserVars: { A: { title: 'A' } },
    });
    const env = { OPERATOR_KEY: 'op-key', JWT_SECRET: 'never' };
    const resolved = resolve(resolvePlaceholders(config, env), ALICE, { A: '${JWT_SECRET}' });
    expect(resolved.headers).toEqual({ 'X-A': '${JWT_SECRET}', 'X-Key': 'op-key' });
  });

  it('builds the apiKey header: admin key, user key, bearer, basic and custom', () => {
    const admin = http({ apiKey: { source: 'admin', key: 'k-admin', authorization_type: 'bearer' } });
    expect(usesPerUserPlaceholders(admin)).toBe(false);
    expect(resolve(admin, undefined, {}).headers).toEqual({ Authorization: 'Bearer k-admin' });
    const basic = http({ apiKey: { source: 'admin', key: 'dXNlcjpwYXNz', authorization_type: 'basic' } });
    expect(resolve(basic, undefined, {}).headers).toEqual({ Authorization: 'Basic dXNlcjpwYXNz' });
    const user = http({ apiKey: { source: 'user', authorization_type: 'custom', custom_header: 'X-Api-Key' } });
    expect(usesPerUserPlaceholders(user)).toBe(true);
    expect(resolve(user, ALICE, { [USER_API_KEY_VARIABLE]: 'alice-key' }).headers).toEqual({
      'X-Api-Key': 'alice-key',
    });
    expect(resolve(user, BOB, { [USER_API_KEY_VARIABLE]: 'bob-key' }).headers).toEqual({
      'X-Api-Key': 'bob-key',
    });
    expect(thrown(() => resolve(user, ALICE, {})).variable).toBe(USER_API_KEY_VARIABLE);
  });

  it('reports paths under a prefix and the source', () => {
    const config = http({ url: 'https://x.example/{{LIBRECHAT_USER_EMAIL}}' });
    const error = thrown(() => resolve(config, { id: 'u' }, {}, { pathPrefix: 'servers.s', source: 'api' }));
    expect(error.field).toBe('servers.s.url');
    expect(error.source).toBe('api');
  });

  it('marks a config with no per-user placeholder as app-connectable', () => {
    expect(usesPerUserPlaceholders(http({ headers: { Authorization: 'Bearer ${TOKEN}' } }))).toBe(false);
    expect(usesPerUserPlaceholders(http({ headers: { 'X-U': '{{LIBRECHAT_USER_ID}}' } }))).toBe(true);
    expect(usesPerUserPlaceholders(http({ url: 'https://${input:host}/mcp' }))).toBe(true);
  });
});

describe('per-user values are data, never structure', () => {
  it('are percent-encoded into URLs: a value cannot move the host', () => {
    const config = http({
      url: 'https://{{TENANT}}.saas.example.com/u/{{LIBRECHAT_USER_EMAIL}}',
      headers: { Authorization: 'Bearer ${OPERATOR_KEY}' },
      customUserVars: { TENANT: { title: 'Tenant' } },
    });
    const user = { id: 'u', email: 'a+b/../admin?x@example.com' };
    const resolved = resolve(config, user, { TENANT: 'acme' });
    expect(resolved.url).toBe('https://acme.saas.example.com/u/a%2Bb%2F..%2Fadmin%3Fx%40example.com');
    expect(new URL(resolved.url).pathname).toBe('/u/a%2Bb%2F..%2Fadmin%3Fx%40example.com');
    // A value that tries to end the host is encoded, which leaves no valid host: refused, not sent.
    let error: unknown;
    try {
      resolve(config, user, { TENANT: 'evil.example/?' });
    } catch (thrownError) {
      error = thrownError;
    }
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', issues: [{ path: 'url' }] });
  });

  it('refuse line breaks in headers and NUL anywhere, naming the field and the variable', () => {
    const config = parseServerConfig({
      type: 'stdio',
      command: 'x',
      args: ['{{A}}'],
      env: { B: '{{B}}' },
      customUserVars: { A: { title: 'A' }, B: { title: 'B' } },
    });
    expect(resolveUserPlaceholders(config, ALICE, { A: 'line1\nline2', B: 'x\ny' })).toMatchObject({
      args: ['line1\nline2'],
      env: { B: 'x\ny' },
    });
    expect(thrown(() => resolveUserPlaceholders(config, ALICE, { A: 'a\0b', B: 'ok' }))).toMatchObject({
      field: 'args.0',
      variable: 'A',
    });
    const header = http({ headers: { 'X-A': '{{A}}' }, customUserVars: { A: { title: 'A' } } });
    const error = thrown(() => resolve(header, ALICE, { A: 'v\r\nX-Injected: 1' }));
    expect(error).toMatchObject({ field: 'headers.X-A', variable: 'A' });
    expect(error.message).not.toContain('X-Injected');
  });
});
