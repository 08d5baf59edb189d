import { readFileSync } from 'node:fs';
import path from 'node:path';
import { caught } from '../../registry/test/helpers';
import {
  parseClaudeDesktopJson,
  parseLibreChatYaml,
  parseStrataYaml,
  serializeStrataYaml,
  type ParsedServers,
} from '../src/formats/parsers';

const STRATA_YAML_PATH = path.join(__dirname, '../../../config/strata.yaml');

const names = (parsed: ParsedServers) => parsed.servers.map((server) => server.name);

describe('parseStrataYaml', () => {
  it('reads config/strata.yaml', () => {
    const parsed = parseStrataYaml(readFileSync(STRATA_YAML_PATH, 'utf8'), 'config/strata.yaml');
    expect(names(parsed)).toEqual(['filesystem', 'search', 'browser']);
    const [filesystem, search, browser] = parsed.servers.map((server) => server.config);
    expect(filesystem).toMatchObject({
      type: 'stdio',
      command: 'npx',
      startup: true,
      enabled: true,
      perSession: false,
    });
    expect(search).toEqual({
      type: 'streamable-http',
      title: 'Web search',
      url: 'https://search.internal.example/mcp',
      headers: { Authorization: 'Bearer ${SEARCH_API_TOKEN}' },
      timeout: 30000,
      tools: { deny: ['admin_reindex'] },
      startup: true,
      requiresOAuth: false,
      perSession: false,
      enabled: true,
    });
    expect(browser).toMatchObject({ type: 'stdio', perSession: true, startup: false });
  });

  it('round-trips config/strata.yaml through serializeStrataYaml', () => {
    const parsed = parseStrataYaml(readFileSync(STRATA_YAML_PATH, 'utf8'), 'strata.yaml');
    const again = parseStrataYaml(serializeStrataYaml(parsed.servers), 'serialized.yaml');
    expect(again).toEqual(parsed);
    expect(names(again)).toEqual(names(parsed));
  });

  it('keeps file order, including names that look like numbers', () => {
    const text =
      'servers:\n  zeta: {type: sse, url: "https://z.example/sse"}\n  "10": {type: stdio, command: a}\n  alpha: {type: websocket, url: "wss://a.example/ws"}\n';
    expect(names(parseStrataYaml(text, 's.yaml'))).toEqual(['zeta', '10', 'alpha']);
  });

  it('accepts a file without servers or with an empty servers map', () => {
    expect(parseStrataYaml('version: 1\n', 's.yaml').servers).toEqual([]);
    expect(parseStrataYaml('version: 1\nservers:\n', 's.yaml').servers).toEqual([]);
  });

  it('reports YAML syntax errors with the line number', () => {
    const error = caught(() => parseStrataYaml('servers:\n  a: [1\n  b: 2\n', 'bad.yaml'));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.source).toBe('bad.yaml');
    expect(error.issues[0]?.path).toBe('');
    expect(error.issues[0]?.message).toMatch(/line \d+, column \d+/);
  });

  it('reports every bad server together: per entry by default, the whole file when strict', () => {
    const text = 'servers:\n  a: {type: stdio}\n  b: {type: sse, url: "ftp://x"}\n  c: {type: stdio, command: ok}\n';
    const parsed = parseStrataYaml(text, 'many.yaml');
    expect(names(parsed)).toEqual(['c']);
    expect(parsed.errors.map((error) => [error.name, error.code, error.issues.map((issue) => issue.path)])).toEqual([
      ['a', 'INVALID_CONFIG', ['servers.a.command']],
      ['b', 'INVALID_CONFIG', ['servers.b.url']],
    ]);
    const error = caught(() => parseStrataYaml(text, 'many.yaml', { strict: true }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['servers.a.command', 'servers.b.url']);
  });
});

const LIBRECHAT_YAML = `
version: 1.2.1
cache: true
interface:
  mcpServers:
    placeholder: MCP Servers
endpoints:
  custom: []
mcpServers:
  everything:
    command: npx
    args: ["-y", "@modelcontextprotocol/server-everything"]
    chatMenu: false
    serverInstructions: true
  github:
    type: streamable-http
    url: https://api.githubcopilot.com/mcp/
    headers:
      Authorization: "Bearer \${GITHUB_PAT}"
      X-User-ID: "{{LIBRECHAT_USER_ID}}"
    customUserVars:
      GITHUB_PAT:
        title: GitHub token
        description: A personal access token
    timeout: 60000
  linear:
    type: http
    url: https://mcp.linear.app/mcp
    oauth:
      authorization_url: https://linear.app/oauth/authorize
      token_url: https://api.linear.app/oauth/token
  legacy-sse:
    url: https://legacy.example/sse
    iconPath: /icons/legacy.svg
    initTimeout: 15000
  sockets:
    url: wss://ws.example/mcp
    startup: false
`;

describe('parseLibreChatYaml', () => {
  const parsed = parseLibreChatYaml(LIBRECHAT_YAML, 'librechat.yaml');
  const byName = Object.fromEntries(parsed.servers.map((server) => [server.name, server.config]));

  it('reads only mcpServers, in file order', () => {
    expect(names(parsed)).toEqual(['everything', 'github', 'linear', 'legacy-sse', 'sockets']);
  });

  it('maps LibreChat entries to Strata configs', () => {
    expect(byName.everything).toEqual({
      type: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-everything'],
      chatMenu: false,
      serverInstructions: true,
      startup: true,
      requiresOAuth: false,
      perSession: false,
      enabled: true,
    });
    expect(byName.github).toMatchObject({
      type: 'streamable-http',
      timeout: 60000,
      customUserVars: { GITHUB_PAT: { title: 'GitHub token', description: 'A personal access token' } },
    });
    expect(byName.linear).toMatchObject({
      type: 'streamable-http',
      requiresOAuth: true,
      oauth: {
        authorization_url: 'https://linear.app/oauth/authorize',
        token_url: 'https://api.linear.app/oauth/token',
      },
    });

    expect(byName['legacy-sse']).toMatchObject({ type: 'sse', iconPath: '/icons/legacy.svg', initTimeout: 15000 });
    expect(byName.sockets).toMatchObject({ type: 'websocket', url: 'wss://ws.example/mcp', startup: false });
  });

  it('keeps placeholders as written', () => {
    expect(byName.github).toMatchObject({
      headers: { Authorization: 'Bearer ${GITHUB_PAT}', 'X-User-ID': '{{LIBRECHAT_USER_ID}}' },
    });
  });

  it('accepts a file without mcpServers', () => {
    expect(parseLibreChatYaml('version: 1.2.1\ncache: true\n', 'librechat.yaml').servers).toEqual([]);
  });
});

const CLAUDE_JSON = JSON.stringify(
  {
    globalShortcut: 'Ctrl+Space',
    mcpServers: {
      filesystem: {
        command: 'npx',
        args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/me/Desktop'],
      },
      github: {
        command: 'docker',
        args: ['run', '-i', '--rm', '-e', 'GITHUB_PERSONAL_ACCESS_TOKEN', 'ghcr.io/github/github-mcp-server'],
        env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_TOKEN}' },
      },
      remote: { type: 'http', url: 'https://mcp.example.com/mcp', headers: { 'X-Api-Key': '${REMOTE_KEY}' } },
      events: { type: 'sse', url: 'https://events.example.com/sse' },
      plain: { url: 'https://plain.example.com/mcp' },
    },
  },
  null,
  2,
);

describe('parseClaudeDesktopJson', () => {
  it('reads mcpServers, stdio when command is present', () => {
    const parsed = parseClaudeDesktopJson(CLAUDE_JSON, 'claude_desktop_config.json');
    expect(names(parsed)).toEqual(['filesystem', 'github', 'remote', 'events', 'plain']);
    const [filesystem, github, remote, events, plain] = parsed.servers.map((server) => server.config);
    expect(filesystem).toMatchObject({ type: 'stdio', command: 'npx' });
    expect(github).toMatchObject({ type: 'stdio', env: { GITHUB_PERSONAL_ACCESS_TOKEN: '${GITHUB_TOKEN}' } });
    expect(remote).toMatchObject({ type: 'streamable-http', headers: { 'X-Api-Key': '${REMOTE_KEY}' } });
    expect(events).toMatchObject({ type: 'sse' });
    expect(plain).toMatchObject({ type: 'streamable-http' });
  });

  it('accepts a byte-order mark and a file without mcpServers', () => {
    expect(parseClaudeDesktopJson('\uFEFF{"globalShortcut": ""}', 'c.json').servers).toEqual([]);
  });

  it('reports invalid JSON at the root with line and column, without quoting the input', () => {
    const error = caught(() => parseClaudeDesktopJson('{\n  "mcpServers": {\n    "a": sk-secret-value\n}', 'c.json'));
    expect(error.source).toBe('c.json');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('');
    expect(error.message).not.toContain('sk-secret-value');
    const padding = 'x'.repeat(80);
    const long = caught(() => parseClaudeDesktopJson(`{"${padding}": sk-secret-value, "${padding}": 1}`, 'c.json'));
    expect(long.message).not.toContain('sk-secret-value');
    expect(long.message).toContain("Unexpected token 's'");
    const late = caught(() => parseClaudeDesktopJson('{\n  "mcpServers": {},\n}', 'c.json'));
    expect(late.issues[0]?.message).toMatch(/line 3, column 1/);
  });
});
