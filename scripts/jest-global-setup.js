// Global setup runs outside any project's transform: register tsx's CommonJS hook so the
// harness's TypeScript source can be required as it is.
require('tsx/cjs');
module.exports = require('../packages/test-harness/src/jest-global-setup.ts').default;
