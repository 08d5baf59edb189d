// @strata/config must stay browser-safe: bundling its entry for the browser platform must succeed
// and pull in nothing but its own sources, zod, yaml and ipaddr.js. (dependency-cruiser checks the same floor
// statically in `npm run lint`; this test checks what a real bundler actually does.)
import path from 'node:path';
import { build, type BuildFailure, type BuildOptions, type Message, type Metafile } from 'esbuild';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CONFIG_SRC = path.join(REPO_ROOT, 'packages', 'config', 'src');
const ENTRY = path.join(CONFIG_SRC, 'index.ts');

/** Metafile input paths are relative to absWorkingDir (REPO_ROOT), always with forward slashes. */
// ipaddr.js (browser-safe IP classification for the address guard) may be hoisted or nested.
const ALLOWED_INPUT_ROOTS = [
  'packages/config/src/',
  'node_modules/zod/',
  'node_modules/yaml/',
  'node_modules/ipaddr.js/',
  'packages/config/node_modules/ipaddr.js/',
];
const FORBIDDEN_STRINGS = ['ioredis', '@keyv/redis', 'node:'];

const BROWSER_OPTIONS = {
  absWorkingDir: REPO_ROOT,
  platform: 'browser',
  bundle: true,
  write: false,
  format: 'esm',
  logLevel: 'silent',
  metafile: true,
} as const satisfies BuildOptions;

interface Bundle {
  readonly errors: readonly Message[];
  readonly text: string;
  readonly metafile: Metafile;
}

async function bundleConfig(): Promise<Bundle> {
  const result = await build({ ...BROWSER_OPTIONS, entryPoints: [ENTRY] });
  if (result.errors.length > 0) throw new Error(`esbuild reported errors: ${JSON.stringify(result.errors)}`);
  const [output, ...rest] = result.outputFiles;
  if (output === undefined || rest.length > 0) throw new Error('expected exactly one esbuild output file');
  return { errors: result.errors, text: output.text, metafile: result.metafile };
}

function isBuildFailure(error: unknown): error is BuildFailure {
  return error instanceof Error && Array.isArray((error as Partial<BuildFailure>).errors);
}

describe('@strata/config browser bundle', () => {
  it('bundles src/index.ts for the browser platform without errors', async () => {
    const { errors, text, metafile } = await bundleConfig();
    expect(errors).toEqual([]);
    // zod + yaml + our sources: far more than a stub would be.
    expect(text.length).toBeGreaterThan(10_000);
    expect(Object.keys(metafile.inputs)).toContain('packages/config/src/index.ts');
  });

  it('fails when the entry imports a Node core module (the check can fail)', async () => {
    const attempt = build({
      ...BROWSER_OPTIONS,
      stdin: {
        contents: "import { randomBytes } from 'node:crypto';\nexport const token = randomBytes(8);\n",
        resolveDir: CONFIG_SRC,
        sourcefile: 'uses-node-crypto.ts',
        loader: 'ts',
      },
    });
    await expect(attempt).rejects.toThrow(/node:crypto/);

    const failure: unknown = await attempt.then(
      () => undefined,
      (error: unknown) => error,
    );
    if (!isBuildFailure(failure)) throw new Error('expected an esbuild BuildFailure');
    expect(failure.errors.length).toBeGreaterThan(0);
    expect(failure.errors.map((message) => message.text).join('\n')).toContain('node:crypto');
  });

  it('pulls in nothing but packages/config/src, zod, yaml and ipaddr.js', async () => {
    const { text, metafile } = await bundleConfig();
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.length).toBeGreaterThan(1);

    const outsideAllowedRoots = inputs.filter((input) => !ALLOWED_INPUT_ROOTS.some((root) => input.startsWith(root)));
    expect(outsideAllowedRoots).toEqual([]);

    for (const forbidden of FORBIDDEN_STRINGS) {
      expect(inputs.filter((input) => input.includes(forbidden))).toEqual([]);
      const importPaths = Object.values(metafile.inputs).flatMap((input) => input.imports.map((entry) => entry.path));
      expect(importPaths.filter((importPath) => importPath.includes(forbidden))).toEqual([]);
    }
    const externals = Object.values(metafile.inputs).flatMap((input) =>
      input.imports.filter((entry) => entry.external === true).map((entry) => entry.path),
    );
    expect(externals).toEqual([]);

    // The emitted code names no server-side package and no `node:` specifier either.
    expect(text).not.toContain('ioredis');
    expect(text).not.toContain('@keyv/redis');
    expect(text).not.toMatch(/["'`]node:/);
  });
});
