// One Jest project per workspace. Global setup starts real redis-server processes (standalone and a
// 3-master cluster) unless REDIS_URI / REDIS_CLUSTER_NODES point at external ones; a project that
// needs MongoDB says so (`needsMongo`), and MongoDB is found or started only when one of its tests
// runs (a project-level globalSetup runs only then). See docs/testing.md.
// ts-jest transpiles each file on its own (isolatedModules in tsconfig): fast, no type checking here —
// `npm run typecheck` does that for sources, tests and benches in one program.
const path = require('node:path');
/** @param {string} file a path from the repo root */
const fromRoot = (file) => path.join(__dirname, file);
const tsJest = ['ts-jest', { tsconfig: fromRoot('tsconfig.check.json') }];

/** @param {string} name @param {{ needsMongo?: boolean, dir?: string }} [options] */
function workspace(name, options = {}) {
  return {
    displayName: name,
    rootDir: `<rootDir>/${options.dir ?? `packages/${name}`}`,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    transform: { '^.+\\.ts$': tsJest },
    moduleNameMapper: {
      '^@strata/config$': fromRoot('packages/config/src/index.ts'),
      '^@strata/registry$': fromRoot('packages/registry/src/index.ts'),
      '^@strata/registry/internals$': fromRoot('packages/registry/src/internals.ts'),
      '^@strata/test-harness$': fromRoot('packages/test-harness/src/index.ts'),
      '^@strata/data-schemas$': fromRoot('packages/data-schemas/src/index.ts'),
      '^@strata/api$': fromRoot('api/src/index.ts'),
    },
    ...(options.needsMongo
      ? {
          globalSetup: fromRoot('scripts/jest-mongo-setup.js'),
          globalTeardown: fromRoot('scripts/jest-mongo-teardown.js'),
        }
      : {}),
  };
}

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    workspace('config'),
    workspace('test-harness', { needsMongo: true }),
    workspace('registry'),
    workspace('data-schemas', { needsMongo: true }),
    workspace('api', { needsMongo: true, dir: 'api' }),
    {
      // The browser client's component tests: jsdom, TSX through the client's own tsconfig.
      displayName: 'client',
      rootDir: '<rootDir>/client',
      testEnvironment: 'jsdom',
      testMatch: ['<rootDir>/test/**/*.test.ts?(x)'],
      setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
      transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: fromRoot('client/tsconfig.jest.json') }] },
      moduleNameMapper: {
        '^@strata/config$': fromRoot('packages/config/src/index.ts'),
        '\\.css$': fromRoot('client/test/style-stub.js'),
      },
    },
    // End to end in Debian's chromium (playwright-core) against two API instances on Redis + MongoDB.
    { ...workspace('client-e2e', { needsMongo: true, dir: 'client' }), testMatch: ['<rootDir>/e2e/**/*.test.ts'] },
    // The soak harness's own logic (its checker); the soak itself runs as `npm run soak`.
    {
      displayName: 'soak',
      rootDir: '<rootDir>/soak',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: fromRoot('tsconfig.check.json') }] },
    },
  ],
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  globalTeardown: '<rootDir>/scripts/jest-global-teardown.js',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  testTimeout: 30_000,
};
