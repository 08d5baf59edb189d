// dependency-cruiser rules for Strata (run by `npm run lint`; see package.json).
//
// "Floors": inside a package's src/, each folder is a floor. A file may import from its own floor
// or a lower one, never from a higher floor ("climbing"), and never from the package's top-level
// files (index.ts, internals.ts, ...), which form the top floor and may import anything.
// The rules are generated from the ordered lists below: one rule per (floor, higher floor) pair,
// so a violation's rule name says which floor the import climbed to. A floor that has no folder
// (yet) costs nothing: its path patterns simply match no file.

/** Registry floors, bottom to top; the files directly in src/ sit above the last one. */
const REGISTRY_FLOORS = [
  'runtime',
  'model',
  'keys',
  'redis',
  'lease',
  'bus',
  'stores',
  'backends',
  'connections',
  'private',
  'registry',
  'admin',
  'events',
];

/** Config floors, bottom to top; the files directly in src/ sit above the last one. */
const CONFIG_FLOORS = ['errors', 'names', 'access', 'network', 'schema', 'formats', 'events'];

/** Data-schemas floors, bottom to top; the files directly in src/ sit above the last one. */
const DATA_SCHEMAS_FLOORS = ['crypto', 'models', 'repository'];

/** API floors, bottom to top; the files directly in api/src/ (router factory, server) sit above the last one. */
const API_FLOORS = ['runtime', 'http', 'events', 'instances', 'routes', 'embedded'];

/** Packages @strata/config must never pull in (it is bundled for the browser). */
const CONFIG_FORBIDDEN_PACKAGES = ['ioredis', '@keyv/redis', 'keyv', 'mongoose', '@modelcontextprotocol/sdk'];

/** @param {string} text */
function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A path pattern matching a package whether dependency-cruiser resolved it (somewhere under a
 * node_modules folder) or left it unresolved (the bare specifier).
 * @param {string[]} names
 */
function packagePathPattern(names) {
  const alternatives = names.map(escapeRegExp).join('|');
  return `(^|/)node_modules/(${alternatives})(/|$)|^(${alternatives})(/|$)`;
}

/**
 * One rule per (floor, higher floor) pair, plus one per floor for the top-level files.
 * @param {string} packageName folder name under packages/
 * @param {string[]} floors bottom to top
 * @param {string} [srcDir] the package's source folder from the repo root
 * @returns {import('dependency-cruiser').IForbiddenRuleType[]}
 */
function floorRules(packageName, floors, srcDir = `packages/${packageName}/src`) {
  const src = `^${escapeRegExp(srcDir)}/`;
  return floors.flatMap((floor, index) => {
    const higherFloors = floors.slice(index + 1);
    const from = { path: `${src}${floor}/` };
    /** @param {string} target */
    const comment = (target) =>
      `${packageName}/src/${floor}/ is floor ${index + 1} of ${floors.length} (${floors.join(' < ')} < top-level files): ` +
      `it may import only its own folder or a lower floor, and this import climbs to ${target}.`;
    return [
      ...higherFloors.map((higher) => ({
        name: `${packageName}-floors: ${floor} climbs to ${higher}`,
        severity: /** @type {const} */ ('error'),
        comment: comment(`the higher floor '${higher}' (${packageName}/src/${higher}/)`),
        from,
        to: { path: `${src}${higher}/` },
      })),
      {
        name: `${packageName}-floors: ${floor} climbs to top-level`,
        severity: /** @type {const} */ ('error'),
        comment: comment(`the top floor (a file directly in ${packageName}/src/)`),
        from,
        to: { path: `${src}[^/]+\\.ts$` },
      },
    ];
  });
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'This file is part of an import cycle. Break the cycle (move the shared part to a lower floor).',
      from: {},
      to: { circular: true },
    },
    ...floorRules('registry', REGISTRY_FLOORS),
    ...floorRules('config', CONFIG_FLOORS),
    ...floorRules('data-schemas', DATA_SCHEMAS_FLOORS),
    ...floorRules('api', API_FLOORS, 'api/src'),
    {
      name: 'config-no-node-core',
      severity: 'error',
      comment: '@strata/config is browser-safe: it must not import Node core modules.',
      from: { path: '^packages/config/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'config-no-server-packages',
      severity: 'error',
      comment: `@strata/config is browser-safe: it must not import ${CONFIG_FORBIDDEN_PACKAGES.join(', ')}.`,
      from: { path: '^packages/config/src/' },
      to: { path: packagePathPattern(CONFIG_FORBIDDEN_PACKAGES) },
    },
    {
      name: 'config-no-registry-or-harness',
      severity: 'error',
      comment: '@strata/config is the bottom package: it must not import @strata/registry or @strata/test-harness.',
      from: { path: '^packages/config/src/' },
      to: {
        path: `^packages/(registry|test-harness)/|${packagePathPattern(['@strata/registry', '@strata/test-harness'])}`,
      },
    },
    {
      name: 'registry-no-test-harness',
      severity: 'error',
      comment: '@strata/registry must not import @strata/test-harness (test-only code).',
      from: { path: '^packages/registry/src/' },
      to: { path: `^packages/test-harness/|${packagePathPattern(['@strata/test-harness'])}` },
    },
  ],
  options: {
    // Note: no `exclude` on dist/ — that would also drop imports resolving into node_modules/*/dist/.
    doNotFollow: { path: 'node_modules' },
    // Count `import type` too: a type-only import is still a dependency between floors.
    tsPreCompilationDeps: true,
    // Resolves the @strata/* path aliases to the packages' src/ (also passed as --ts-config).
    tsConfig: { fileName: 'tsconfig.check.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
