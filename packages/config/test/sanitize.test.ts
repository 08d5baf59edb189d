import { parseLibreChatYaml } from '../src/formats/parsers';
import { maskArgs, redactConfigForLog, sanitizeForBrowser, sanitizeUrl } from '../src/schema/sanitize';
import { parseServerConfig } from '../src/schema/server-config';

const SECRETS = {
  env: 'env-value-4f7a2c',
  header: 'header-value-9b1d3e',
  password: 'url-password-5c8e1f',
  user: 'url-user-2d6b9a',
  query: 'query-value-7e3f0c',
  arg: 'arg-secret-1a2b3c',
  fragment: 'fragment-token-6d5e4f',
};

const stdio = parseServerConfig({
  type: 'stdio',
  title: 'GitHub',
  command: 'npx',
  args: [
    '-y',
    'server',
    `--token=${SECRETS.arg}`,
    '--api-key',
    SECRETS.arg,
    '${PATH_ARG}',
    'GITHUB_TOKEN=x',
    '--verbose',
  ],
  env: { GITHUB_TOKEN: SECRETS.env, OTHER: `${SECRETS.env}-2` },
  cwd: '/home/me/secret-project',
  tools: { deny: ['delete_repo'] },
});

const http = parseServerConfig({
  type: 'streamable-http',
  url: `https://${SECRETS.user}:${SECRETS.password}@mcp.example.com/v1/mcp?api_key=${SECRETS.query}&mode=${SECRETS.query}#${SECRETS.fragment}`,
  headers: { Authorization: `Bearer ${SECRETS.header}`, 'X-Api-Key': SECRETS.header },
  timeout: 5000,
});

describe('sanitizeForBrowser', () => {
  const views = [
    sanitizeForBrowser(stdio),
    sanitizeForBrowser(http),
    redactConfigForLog(stdio),
    redactConfigForLog(http),
  ];

  it.each(Object.entries(SECRETS))('never contains the %s secret', (_kind, secret) => {
    for (const view of views) expect(JSON.stringify(view)).not.toContain(secret);
  });

  it('keeps what a browser needs from a stdio config', () => {
    expect(sanitizeForBrowser(stdio)).toEqual({
      type: 'stdio',
      title: 'GitHub',
      command: 'npx',
      args: ['-y', 'server', '***', '--api-key', '***', '***', '***', '--verbose'],
      envKeys: ['GITHUB_TOKEN', 'OTHER'],
      needsUserAuth: false,
      startup: true,
      requiresOAuth: false,
      perSession: false,
      enabled: true,
      tools: { deny: ['delete_repo'] },
    });
  });

  it('keeps what a browser needs from a URL config', () => {
    expect(sanitizeForBrowser(http)).toEqual({
      type: 'streamable-http',
      url: 'https://mcp.example.com/v1/mcp?api_key=***&mode=***',
      headerNames: ['Authorization', 'X-Api-Key'],
      secretHeaderNames: ['Authorization', 'X-Api-Key'],
      needsUserAuth: false,
      timeout: 5000,
      startup: true,
      requiresOAuth: false,
      perSession: false,
      enabled: true,
    });
  });

  it('sanitizes websocket URLs and keeps placeholders outside the query', () => {
    const ws = parseServerConfig({ type: 'websocket', url: 'wss://${HOST}/ws?token=${WS_TOKEN}' });
    expect(sanitizeForBrowser(ws)).toMatchObject({ type: 'websocket', url: 'wss://${HOST}/ws?token=***' });
  });

  it('masks configs read from a LibreChat file', () => {
    const yaml = `mcpServers:\n  a:\n    url: https://x.example/sse\n    headers:\n      Authorization: "Bearer ${SECRETS.header}"\n`;
    const [server] = parseLibreChatYaml(yaml, 'librechat.yaml').servers;
    if (!server) throw new Error('no server');
    expect(JSON.stringify(sanitizeForBrowser(server.config))).not.toContain(SECRETS.header);
  });
});

describe('maskArgs', () => {
  it.each([
    [
      ['--password', 'hunter2'],
      ['--password', '***'],
    ],
    [
      ['-e', 'API_KEY=abc'],
      ['-e', '***'],
    ],
    [
      ['--client-secret=x', '--port', '8080'],
      ['***', '--port', '8080'],
    ],
    [['ghp_abcdefghijklmnopqrstuvwxyz012345'], ['***']],
    [['sk-proj-abcdefgh12345678'], ['***']],
    [['postgres://app:pw@db:5432/app'], ['***']],
    [['0123456789abcdef0123456789abcdef'], ['***']],
    [['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig'], ['***']],
    [
      ['--auth', '--headless'],
      ['--auth', '--headless'],
    ],
    [
      ['-y', '@modelcontextprotocol/server-filesystem', '/srv/shared'],
      ['-y', '@modelcontextprotocol/server-filesystem', '/srv/shared'],
    ],
  ])('%j → %j', (args, expected) => {
    expect(maskArgs(args)).toEqual(expected);
  });
});

describe('sanitizeUrl', () => {
  it.each([
    ['https://mcp.example.com/mcp', 'https://mcp.example.com/mcp'],
    ['https://u:p@h.example/x', 'https://h.example/x'],
    ['https://token@h.example', 'https://h.example'],
    ['http://localhost:${PORT}/mcp?flag', 'http://localhost:${PORT}/mcp?***'],
    ['https://h.example/hooks/AbCdEfGhIjKlMnOpQrStUv12/x', 'https://h.example/hooks/***/x'],
    ['https:u:p@h.example/x', 'https://***'],
    ['https://h.example/a#access_token=abc', 'https://h.example/a'],
  ])('%s → %s', (url, expected) => {
    expect(sanitizeUrl(url)).toBe(expected);
  });
});

describe('LibreChat fields in the browser view', () => {
  const config = parseServerConfig({
    type: 'streamable-http',
    url: 'https://mcp.example.com/mcp',
    displayName: 'Clickhouse Local',
    chatMenu: false,
    serverInstructions: 'Use the read-only tools first.',
    customUserVars: { API_TOKEN: { title: 'Token', description: 'Your token' } },
    headers: { Authorization: 'Bearer {{API_TOKEN}}', 'X-Region': 'eu' },
    oauth: { client_id: 'cid', client_secret: 'oauth-secret-3c4d5e', token_url: 'https://auth.example.com/token' },
    oauth_headers: { 'X-Oauth-Token': 'oauth-header-secret-6f7a' },
    apiKey: { source: 'admin', key: 'api-key-secret-8b9c', authorization_type: 'bearer' },
    obo: { scopes: 'api://x/.default' },
  });

  it('passes display fields through and marks secret headers', () => {
    expect(sanitizeForBrowser(config)).toMatchObject({
      displayName: 'Clickhouse Local',
      chatMenu: false,
      serverInstructions: 'Use the read-only tools first.',
      customUserVars: { API_TOKEN: { title: 'Token', description: 'Your token' } },
      headerNames: ['Authorization', 'X-Region'],
      secretHeaderNames: ['Authorization'],
      needsUserAuth: true,
    });
  });

  it('never carries an OAuth, OAuth-header or API-key secret', () => {
    const text = JSON.stringify(sanitizeForBrowser(config));
    for (const secret of ['oauth-secret-3c4d5e', 'oauth-header-secret-6f7a', 'api-key-secret-8b9c', 'cid']) {
      expect(text).not.toContain(secret);
    }
  });
});
