import { isSecretHeaderName, secretFieldPaths } from '../src/schema/secrets';
import { parseServerConfig } from '../src/schema/server-config';

describe('secret fields', () => {
  it.each(['Authorization', 'Proxy-Authorization', 'X-Api-Key', 'x-auth-token', 'Cookie', 'X-Client-Secret', 'apikey'])(
    '%s carries a credential',
    (name) => expect(isSecretHeaderName(name)).toBe(true),
  );

  it.each(['Accept', 'X-Org', 'Content-Type', 'X-Request-Id', 'User-Agent'])('%s does not', (name) =>
    expect(isSecretHeaderName(name)).toBe(false),
  );

  it('lists every secret field of a config', () => {
    const http = parseServerConfig({
      type: 'streamable-http',
      url: 'https://x.example/mcp',
      headers: { Authorization: 'Bearer x', 'X-Org': 'acme' },
      oauth: { client_id: 'id', client_secret: 's' },
      oauth_headers: { 'X-Oauth-Token': 't', 'X-Tenant': 'acme' },
      apiKey: { source: 'admin', key: 'k', authorization_type: 'bearer' },
    });
    expect(secretFieldPaths(http)).toEqual([
      'headers.Authorization',
      'oauth_headers.X-Oauth-Token',
      'oauth.client_secret',
      'apiKey.key',
    ]);
    const stdio = parseServerConfig({ type: 'stdio', command: 'x', env: { GITHUB_TOKEN: 't', LOG_LEVEL: 'info' } });
    expect(secretFieldPaths(stdio)).toEqual(['env.GITHUB_TOKEN']);
  });
});
