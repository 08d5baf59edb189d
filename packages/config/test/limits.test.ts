import { LimitError } from '../src/errors/strata-error';
import {
  checkPrivateServerCount,
  checkToolArguments,
  MAX_ARG_LENGTH,
  MAX_ARGS,
  MAX_CONFIG_BYTES,
  MAX_ENV_ENTRIES,
  MAX_FILE_BYTES,
  MAX_HEADER_ENTRIES,
  MAX_PRIVATE_SERVERS_PER_USER,
  MAX_RECORD_VALUE_LENGTH,
  MAX_SERVERS_PER_FILE,
  MAX_TOOL_ARGUMENTS_BYTES,
} from '../src/schema/limits';
import { parseServerConfig } from '../src/schema/server-config';
import { parseUserServerConfig } from '../src/schema/user-config';
import { parseLibreChatYaml, parseStrataYaml } from '../src/formats/parsers';

function limitError(run: () => unknown): LimitError {
  try {
    run();
  } catch (error) {
    if (error instanceof LimitError) return error;
    throw error;
  }
  throw new Error('expected a LimitError');
}

const stdio = (extra: Record<string, unknown>) => ({ type: 'stdio', command: 'x', ...extra });
const entries = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`K${i}`, 'v']));

describe('limits', () => {
  it.each([
    ['MAX_ARGS', MAX_ARGS, stdio({ args: Array.from({ length: MAX_ARGS + 1 }, () => 'a') }), 'args'],
    ['MAX_ARG_LENGTH', MAX_ARG_LENGTH, stdio({ args: ['ok', 'a'.repeat(MAX_ARG_LENGTH + 1)] }), 'args.1'],
    ['MAX_ENV_ENTRIES', MAX_ENV_ENTRIES, stdio({ env: entries(MAX_ENV_ENTRIES + 1) }), 'env'],
    [
      'MAX_HEADER_ENTRIES',
      MAX_HEADER_ENTRIES,
      { type: 'sse', url: 'https://x.example', headers: entries(MAX_HEADER_ENTRIES + 1) },
      'headers',
    ],
    [
      'MAX_RECORD_VALUE_LENGTH',
      MAX_RECORD_VALUE_LENGTH,
      stdio({ env: { BIG: 'v'.repeat(MAX_RECORD_VALUE_LENGTH + 1) } }),
      'env.BIG',
    ],
    [
      'MAX_CONFIG_BYTES',
      MAX_CONFIG_BYTES,
      stdio({ description: 'd', serverInstructions: 'é'.repeat(MAX_CONFIG_BYTES / 2) }),
      '',
    ],
  ])('%s: exceeded → LIMIT_EXCEEDED naming the limit and the field, nothing returned', (limit, max, input, path) => {
    for (const parse of [() => parseServerConfig(input), () => parseUserServerConfig(input, { allowStdio: true })]) {
      const error = limitError(parse);
      expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', limit, max, path });
      expect(error.message).toContain(limit);
    }
  });

  it('accepts what is exactly at the limits', () => {
    expect(
      parseServerConfig(
        stdio({
          args: Array.from({ length: MAX_ARGS }, () => 'a'.repeat(MAX_ARG_LENGTH / 64)),
          env: entries(MAX_ENV_ENTRIES),
        }),
      ),
    ).toMatchObject({ type: 'stdio' });
  });

  it('a 10 MB args array is refused before the schema runs', () => {
    const huge = stdio({ args: Array.from({ length: 10 }, () => 'a'.repeat(1024 * 1024)) });
    expect(limitError(() => parseServerConfig(huge)).limit).toBe('MAX_CONFIG_BYTES');
  });

  it('tool-call arguments', () => {
    expect(() => checkToolArguments({ q: 'small' })).not.toThrow();
    const error = limitError(() => checkToolArguments({ blob: 'x'.repeat(MAX_TOOL_ARGUMENTS_BYTES) }));
    expect(error).toMatchObject({ limit: 'MAX_TOOL_ARGUMENTS_BYTES', path: 'arguments' });
  });

  it('private servers per user', () => {
    expect(() => checkPrivateServerCount(MAX_PRIVATE_SERVERS_PER_USER - 1)).not.toThrow();
    expect(limitError(() => checkPrivateServerCount(MAX_PRIVATE_SERVERS_PER_USER)).limit).toBe(
      'MAX_PRIVATE_SERVERS_PER_USER',
    );
    expect(limitError(() => checkPrivateServerCount(90, 20)).message).toContain('110 private servers');
  });

  it('a file over MAX_FILE_BYTES or with over MAX_SERVERS_PER_FILE servers is refused whole', () => {
    const big = `# ${'x'.repeat(MAX_FILE_BYTES)}\nservers: {}\n`;
    expect(limitError(() => parseStrataYaml(big, 'big.yaml'))).toMatchObject({
      limit: 'MAX_FILE_BYTES',
      source: 'big.yaml',
    });
    const many = `mcpServers:\n${Array.from({ length: MAX_SERVERS_PER_FILE + 1 }, (_, i) => `  s${i}: {command: x}`).join('\n')}\n`;
    expect(limitError(() => parseLibreChatYaml(many, 'many.yaml')).limit).toBe('MAX_SERVERS_PER_FILE');
  });
});
