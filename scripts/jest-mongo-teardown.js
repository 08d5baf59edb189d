require('tsx/cjs');
module.exports = require('../packages/test-harness/src/jest-global-setup.ts').mongoTeardown;
