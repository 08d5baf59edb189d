// Project-level global setup of the projects that need MongoDB (jest.config.js `needsMongo`):
// Jest runs it only when a test of such a project runs.
require('tsx/cjs');
module.exports = require('../packages/test-harness/src/jest-global-setup.ts').mongoSetup;
