// One Jest project per workspace. Global setup starts real redis-server processes (standalone and a
// 3-master cluster) and finds a MongoDB-protocol server, unless REDIS_URI / REDIS_CLUSTER_NODES /
// MONGO_URI point at external ones. See docs/testing.md.
// ts-jest transpiles each file on its own (isolatedModules in tsconfig): fast, no type checking here —
// `npm run typecheck` does that for sources, tests and benches in one program.
const tsJest = ['ts-jest', { tsconfig: '<rootDir>/../../tsconfig.check.json' }];

/** @param {string} name */
function workspace(name) {
  return {
    displayName: name,
    rootDir: `<rootDir>/packages/${name}`,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    transform: { '^.+\\.ts$': tsJest },
    moduleNameMapper: {
      '^@strata/registry$': '<rootDir>/../registry/src/index.ts',
      '^@strata/test-harness$': '<rootDir>/../test-harness/src/index.ts',
    },
  };
}

/** @type {import('jest').Config} */
module.exports = {
  projects: [workspace('test-harness'), workspace('registry')],
  globalSetup: '<rootDir>/scripts/jest-global-setup.js',
  globalTeardown: '<rootDir>/scripts/jest-global-teardown.js',
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  testTimeout: 30_000,
};
