import { caught } from '../../registry/test/helpers';
import { parseServerConfig } from '../src/schema/server-config';

describe('parseServerConfig', () => {
  it('fills in defaults', () => {
    expect(parseServerConfig({ type: 'stdio', command: 'node' })).toEqual({
      type: 'stdio',
      command: 'node',
      startup: true,
      requiresOAuth: false,
      perSession: false,
      enabled: true,
    });
  });

  it('keeps every field of a full config', () => {
    const input = {
      type: 'sse',
      title: 'Events',
      description: 'Event stream',
      iconPath: '/icons/e.svg',
      timeout: 600_000,
      initTimeout: 1,
      startup: false,
      requiresOAuth: true,
      perSession: true,
      enabled: false,
      tools: { allow: ['read'], deny: ['write'] },
      url: 'https://${HOST}:${PORT}/sse?key=${KEY}',
      headers: { Authorization: 'Bearer ${TOKEN}', 'x-trace': '1' },
    };
    expect(parseServerConfig(input)).toEqual(input);
  });

  it('accepts websocket URLs with placeholders', () => {
    expect(parseServerConfig({ type: 'websocket', url: 'wss://${WS_HOST}/mcp' })).toMatchObject({
      url: 'wss://${WS_HOST}/mcp',
    });
  });

  it.each([
    ['null', null, ''],
    ['a number', 42, ''],
    ['a string', 'stdio', ''],
    ['an array', [{ type: 'stdio', command: 'x' }], ''],
    ['an empty object', {}, 'type'],
  ])('rejects %s at the right path', (_what, input, path) => {
    const error = caught(() => parseServerConfig(input, { source: 'api' }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.source).toBe('api');
    expect(error.issues.map((issue) => issue.path)).toEqual([path]);
  });

  it('prefixes paths and reports every bad field', () => {
    const input = { type: 'stdio', command: '', args: ['ok', 1], env: { 'A-B': 'x' }, colour: 'red', version: 2 };
    const error = caught(() => parseServerConfig(input, { source: 'servers.json', pathPrefix: 'servers.files' }));
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'servers.files.args.1',
      'servers.files.colour',
      'servers.files.command',
      'servers.files.env.A-B',
      'servers.files.version',
    ]);
    expect(error.message).toContain('servers.json: ');
  });

  it('never quotes a rejected value in its messages', () => {
    const secret = 'sk-live-0123456789abcdef';
    const inputs = [
      { type: 'sse', url: `not a url ${secret}` },
      { type: 'sse', url: `ftp://${secret}@x` },
      { type: 'stdio', command: 'x', env: { [`${secret}-`]: 'v' } },
      { type: 'stdio', command: 'x', env: { TOKEN: 42 } },
      { type: secret },
    ];
    for (const input of inputs) {
      const error = caught(() => parseServerConfig(input));
      expect(error.issues.map((issue) => issue.message).join(' ')).not.toContain(secret);
    }
  });

  it('does not let a __proto__ key change the prototype of a record', () => {
    const input: unknown = JSON.parse('{"type":"stdio","command":"x","env":{"__proto__":{"polluted":"yes"}}}');
    const error = caught(() => parseServerConfig(input));
    expect(error.issues.map((issue) => issue.path)).toEqual(['env.__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
