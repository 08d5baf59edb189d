import fc from 'fast-check';
import { stringify } from 'yaml';
import { ValidationError } from '../src/errors/strata-error';
import { displayNameProblem, slugify } from '../src/names/display-names';
import { SERVER_NAME_PATTERN, serverNameProblem } from '../src/names/names';
import {
  parseClaudeCodeJson,
  parseClaudeDesktopJson,
  parseCursorJson,
  parseLibreChatYaml,
  parseStrataYaml,
  parseVsCodeJson,
  serializeStrataYaml,
} from '../src/formats/parsers';
import { parseServerConfig, type ServerConfigInput } from '../src/schema/server-config';

const RUNS = { numRuns: 1000 };

/** Codes a bad document may be refused with. */
const DOCUMENT_CODES = new Set(['INVALID_CONFIG', 'INVALID_INPUT', 'LIMIT_EXCEEDED']);

/**
 * Runs `parse`; anything thrown that is not a `ValidationError` with a document code fails the
 * property, and so does a result whose refused entries are not typed errors with issues.
 */
function throwsOnlyValidationErrors(parse: () => unknown): void {
  let parsed: unknown;
  try {
    parsed = parse();
  } catch (error) {
    if (!(error instanceof ValidationError) || !DOCUMENT_CODES.has(error.code)) throw error;
    return;
  }
  const errors = (parsed as { errors?: readonly { code: string; issues: readonly unknown[] }[] }).errors ?? [];
  for (const entry of errors) {
    expect(['INVALID_CONFIG', 'INVALID_NAME', 'CONFLICT', 'LIMIT_EXCEEDED']).toContain(entry.code);
    expect(entry.issues.length).toBeGreaterThan(0);
  }
}

const keyish = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'PATH', 'Authorization', ''),
  fc.string({ maxLength: 12 }),
);
const loose = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.double());

/** Objects shaped like server configs, mostly almost right. */
const configLike = fc.record(
  {
    type: fc.constantFrom('stdio', 'sse', 'streamable-http', 'websocket', 'http', 'grpc', 7),
    command: fc.oneof(fc.string(), loose),
    args: fc.oneof(fc.array(fc.oneof(fc.string(), loose)), loose),
    env: fc.oneof(fc.dictionary(keyish, fc.oneof(fc.string(), loose)), loose),
    cwd: loose,
    url: fc.oneof(fc.webUrl(), fc.constantFrom('ws://x/${HOST}', 'https://${H}:${P}/m', 'https:u:p@x'), fc.string()),
    headers: fc.oneof(fc.dictionary(keyish, fc.oneof(fc.string(), loose)), loose),
    timeout: fc.oneof(fc.integer(), fc.double(), loose),
    startup: fc.oneof(fc.boolean(), loose),
    tools: fc.oneof(fc.record({ allow: fc.array(fc.string()), deny: fc.array(fc.string()) }), loose),
    oauth: fc.anything(),
    version: fc.integer(),
    [String('__proto__')]: loose,
  },
  { requiredKeys: [] },
);
const serverMap = fc.dictionary(fc.oneof(keyish, fc.stringMatching(SERVER_NAME_PATTERN)), configLike, {
  maxKeys: 4,
});
const documentLike = fc.oneof(
  fc.record({ version: fc.oneof(fc.constant(1), loose), servers: fc.oneof(serverMap, loose) }, { requiredKeys: [] }),
  fc.record({ cache: fc.boolean(), mcpServers: fc.oneof(serverMap, loose) }, { requiredKeys: [] }),
  fc.anything(),
);
/** YAML-ish text: structure characters, anchors, aliases, tags, tabs. */
const yamlish = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        ':',
        ' ',
        '\n',
        '  ',
        '- ',
        '{',
        '}',
        '[',
        ']',
        ',',
        '&a ',
        '*a',
        '!!binary ',
        '? ',
        '\t',
        '"',
        "'",
      ),
      fc.constantFrom('servers', 'mcpServers', 'type', 'stdio', 'command', 'url', '${X}', 'version', '---', '#'),
      fc.string({ maxLength: 6 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('parsers and parseServerConfig throw only ValidationError', () => {
  it('parseServerConfig on fc.anything() and config-shaped objects', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), configLike), (input) =>
        throwsOnlyValidationErrors(() => parseServerConfig(input, { source: 'fuzz', pathPrefix: 'servers.x' })),
      ),
      RUNS,
    );
  });

  it.each([
    ['parseStrataYaml', parseStrataYaml],
    ['parseLibreChatYaml', parseLibreChatYaml],
  ])('%s on random YAML text and serialized random documents', (_name, parse) => {
    const text = fc.oneof(
      yamlish,
      fc.string(),
      documentLike.filter((doc) => doc !== undefined).map((doc) => stringify(doc)),
    );
    fc.assert(
      fc.property(text, (yaml) => throwsOnlyValidationErrors(() => parse(yaml, 'fuzz.yaml'))),
      RUNS,
    );
  });

  it.each([
    ['parseClaudeDesktopJson', parseClaudeDesktopJson],
    ['parseCursorJson', parseCursorJson],
    ['parseClaudeCodeJson', parseClaudeCodeJson],
    ['parseVsCodeJson', parseVsCodeJson],
  ])('%s on random JSON text, JSONC-ish text and random strings', (_name, parse) => {
    const jsoncNoise = fc.constantFrom('//', '/*', '*/', ',', ',}', ',]', '"', '\\', '\n');
    const text = fc.oneof(
      fc.string(),
      fc.json(),
      documentLike.map((doc) => JSON.stringify(doc) ?? 'undefined'),
      fc.record({ mcpServers: serverMap, servers: serverMap }).map((doc) => JSON.stringify(doc)),
      fc
        .tuple(
          fc.record({ servers: serverMap }).map((doc) => JSON.stringify(doc)),
          fc.array(jsoncNoise),
          fc.nat(),
        )
        .map(
          ([json, noise, at]) =>
            json.slice(0, at % (json.length + 1)) + noise.join('') + json.slice(at % (json.length + 1)),
        ),
    );
    fc.assert(
      fc.property(text, (json) => throwsOnlyValidationErrors(() => parse(json, 'fuzz.json'))),
      RUNS,
    );
  });
});

/** Valid configs, for the round trip. */
const text = fc.string({ maxLength: 20 });
const common = {
  title: text,
  description: text,
  timeout: fc.integer({ min: 1, max: 600_000 }),
  startup: fc.boolean(),
  perSession: fc.boolean(),
  enabled: fc.boolean(),
  tools: fc.record({ deny: fc.array(fc.string({ minLength: 1, maxLength: 10 }), { maxLength: 3 }) }),
};
const validConfig: fc.Arbitrary<ServerConfigInput> = fc.oneof(
  fc.record(
    {
      type: fc.constant('stdio' as const),
      command: fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !s.includes('\0')),
      args: fc.array(fc.oneof(text, fc.constantFrom('${TOKEN}', '--flag=${A}', '123', 'true', '*x', '- y')), {
        maxLength: 4,
      }),
      env: fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/), fc.oneof(text, fc.constant('${V}'))),
      ...common,
    },
    { requiredKeys: ['type', 'command'] },
  ),
  fc.record(
    {
      type: fc.constantFrom('sse' as const, 'streamable-http' as const),
      url: fc.webUrl({ withQueryParameters: true }),
      headers: fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/), fc.constant('Bearer ${T}')),
      ...common,
    },
    { requiredKeys: ['type', 'url'] },
  ),
);
const serverName = fc
  .oneof(fc.stringMatching(SERVER_NAME_PATTERN), fc.string({ minLength: 1, maxLength: 30 }))
  .filter((name) => serverNameProblem(name) === undefined || displayNameProblem(name) === undefined);

describe('serializeStrataYaml', () => {
  it('round-trips random valid server lists through parseStrataYaml', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(serverName, validConfig), { selector: ([name]) => slugify(name), maxLength: 4 }),
        (entries) => {
          // What the parser returns for a display name: its slug, and the name as written when it differs.
          const servers = entries.map(([written, input]) => {
            const name = slugify(written);
            const config = parseServerConfig(input);
            return name === written
              ? { name, config }
              : { name, displayName: written, config: { ...config, displayName: written } };
          });
          const parsed = parseStrataYaml(serializeStrataYaml(servers), 'round-trip.yaml');
          expect(parsed.errors).toEqual([]);
          expect(parsed.servers).toEqual(servers);
        },
      ),
      RUNS,
    );
  });
});
