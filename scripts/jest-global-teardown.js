require('tsx/cjs');
module.exports = require('../packages/test-harness/src/jest-global-teardown.ts').default;
