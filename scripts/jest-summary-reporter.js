// Prints the plain closing line CI reads ("N passed, N failed[, N skipped]") and writes it to
// reports/jest-summary.json so .ci/run can print it again as its last line.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class StrataSummaryReporter {
  /** @param {import('@jest/reporters').AggregatedResult} results */
  onRunComplete(_contexts, results) {
    // A suite that failed to run (syntax error, failing hook) has no failed tests: count it as one failure.
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
    const dir = join(__dirname, '..', 'reports');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'jest-summary.json'),
      JSON.stringify({ line, passed: results.numPassedTests, failed, skipped }) + '\n',
    );
    process.stdout.write(`\n${line}\n`);
  }
}

module.exports = StrataSummaryReporter;
