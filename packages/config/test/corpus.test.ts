// The team's corpus: files written in the shapes each client documents (test/corpus/<client>/),
// each beside `<file>.expected.json` holding the parse options (when not the default) and the
// expected result: the servers, the warnings and the refused entries. Expectations were written
// by reading each file against docs/config.md, not produced by the parser under test.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseClaudeCodeJson,
  parseClaudeDesktopJson,
  parseCursorJson,
  parseLibreChatYaml,
  parseStrataYaml,
  parseVsCodeJson,
  type ParseOptions,
  type ParsedServers,
} from '../src/formats/parsers';
import { ValidationError } from '../src/errors/strata-error';

const CORPUS = join(__dirname, 'corpus');

const PARSERS: Record<string, (text: string, source: string, options?: ParseOptions) => ParsedServers> = {
  librechat: parseLibreChatYaml,
  'claude-desktop': parseClaudeDesktopJson,
  cursor: parseCursorJson,
  'claude-code': parseClaudeCodeJson,
  vscode: parseVsCodeJson,
  strata: parseStrataYaml,
};

interface Expected extends ParsedServers {
  readonly options?: ParseOptions;
}

const FILES = Object.keys(PARSERS).flatMap((client) =>
  readdirSync(join(CORPUS, client))
    .filter((file) => !file.endsWith('.expected.json'))
    .sort()
    .map((file) => ({ client, file, path: `${client}/${file}` })),
);

function expectedFor(path: string): Expected {
  return JSON.parse(readFileSync(join(CORPUS, `${path}.expected.json`), 'utf8')) as Expected;
}

describe('config corpus', () => {
  it('holds at least 25 files, of every client, each with its expected result', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(25);
    for (const client of Object.keys(PARSERS)) expect(FILES.some((entry) => entry.client === client)).toBe(true);
    const sidecars = Object.keys(PARSERS).flatMap((client) =>
      readdirSync(join(CORPUS, client))
        .filter((file) => file.endsWith('.expected.json'))
        .map((file) => `${client}/${file.slice(0, -'.expected.json'.length)}`),
    );
    expect(sidecars.sort()).toEqual(FILES.map((entry) => entry.path).sort());
  });

  it.each(FILES.map((entry) => [entry.path, entry] as const))('%s', (path, { client, file }) => {
    const parse = PARSERS[client];
    if (!parse) throw new Error(`no parser for ${client}`);
    const { options, ...expected } = expectedFor(path);
    const text = readFileSync(join(CORPUS, client, file), 'utf8');
    expect(parse(text, file, options)).toEqual(expected);
  });

  it.each(FILES.map((entry) => [entry.path, entry] as const))(
    '%s: strict mode refuses the file exactly when an entry is refused',
    (path, { client, file }) => {
      const parse = PARSERS[client];
      if (!parse) throw new Error(`no parser for ${client}`);
      const { options, errors } = expectedFor(path);
      const text = readFileSync(join(CORPUS, client, file), 'utf8');
      const run = () => parse(text, file, { ...options, strict: true });
      if (errors.length === 0) {
        expect(run().errors).toEqual([]);
        return;
      }
      let thrown: unknown;
      try {
        run();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ValidationError);
      expect((thrown as ValidationError).code).toBe(errors[0]?.code);
      expect((thrown as ValidationError).issues).toEqual(errors.flatMap((error) => error.issues));
    },
  );
});
