// SPDX-License-Identifier: GPL-2.0-only
// Prints the CI's closing line "N passed, N failed" from vitest's JSON report and, when
// present, the VM suite's results file ({ passed, failed }). Exits 1 when anything failed
// or when the host test report is missing (a crashed runner must not look green).
import { existsSync, readFileSync } from 'node:fs';

const [hostReport, vmReport] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let missing = false;
if (hostReport && existsSync(hostReport)) {
  const r = JSON.parse(readFileSync(hostReport, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  // Suites that fail to load have no tests; count each as a failure.
  for (const suite of r.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
} else {
  missing = true;
  console.error(`ci-summary: host test report ${hostReport ?? '(none)'} is missing`);
}
if (vmReport && existsSync(vmReport)) {
  const r = JSON.parse(readFileSync(vmReport, 'utf8'));
  passed += r.passed;
  failed += r.failed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || missing ? 1 : 0);
