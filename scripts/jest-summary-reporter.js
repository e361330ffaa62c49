// Jest reporter: writes each package's totals to .test-results/ so `npm test` can print one
// closing line for the whole monorepo.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), '.test-results');

export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    mkdirSync(dir, { recursive: true });
    const name = path.basename(process.cwd()) + '-' + process.pid;
    writeFileSync(
      path.join(dir, `${name}.json`),
      JSON.stringify({
        cwd: process.cwd(),
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
      }),
    );
  }
}
