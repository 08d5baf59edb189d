// One Jest project per workspace. Global setup starts real redis-server processes (standalone and a
// 3-master cluster) unless REDIS_URI / REDIS_CLUSTER_NODES point at external ones; a project that
// needs MongoDB says so (`needsMongo`), and MongoDB is found or started only when one of its tests
// runs (a project-level globalSetup runs only then). See docs/testing.md.
// ts-jest transpiles each file on its own (isolatedModules in tsconfig): fast, no type checking here —
// `npm run typecheck` does that for sources, tests and benches in one program.
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/../../tsconfig.check.json' }];

/** @param {string} name @param {{ needsMongo?: boolean }} [options] */
function workspace(name, options = {}) {
  return {
    displayName: name,
    rootDir: `<rootDir>/packages/${name}`,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    transform: { '^.+\\.ts$': tsJest },
    moduleNameMapper: {
      '^@strata/config$': '<rootDir>/../config/src/index.ts',
      '^@strata/registry$': '<rootDir>/../registry/src/index.ts',
      '^@strata/registry/internals$': '<rootDir>/../registry/src/internals.ts',
      '^@strata/test-harness$': '<rootDir>/../test-harness/src/index.ts',
      '^@strata/data-schemas$': '<rootDir>/../data-schemas/src/index.ts',
    },
    ...(options.needsMongo
      ? {
          globalSetup: '<rootDir>/../../scripts/jest-mongo-setup.js',
          globalTeardown: '<rootDir>/../../scripts/jest-mongo-teardown.js',
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
    // The soak harness's own logic (its checker); the soak itself runs as `npm run soak`.
    {
      displayName: 'soak',
      rootDir: '<rootDir>/soak',
      testEnvironment: 'node',
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.check.json' }] },
    },
  ],
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  globalTeardown: '<rootDir>/scripts/jest-global-teardown.js',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  testTimeout: 30_000,
};
