// Prints the plain closing line CI reads: "N passed, N failed[, N skipped]". A test file that fails to load or
// errors outside a test counts as one failure, so a broken file can never look green.
function count(suite, totals) {
  if (!suite) return;
  for (const test of suite.tests ?? []) {
    if (test.skipped) totals.skipped++;
    else if (test.passed) totals.passed++;
    else totals.failed++;
  }
  for (const child of suite.suites ?? []) count(child, totals);
}

export function summaryReporter() {
  return {
    stop({ sessions }) {
      const totals = { passed: 0, failed: 0, skipped: 0 };
      for (const session of sessions) {
        const before = totals.failed;
        count(session.testResults, totals);
        if (!session.passed && totals.failed === before) totals.failed++;
      }
      const skipped = totals.skipped ? `, ${totals.skipped} skipped` : '';
      // Written at exit so it stays the last line, after the default reporter's own summary.
      process.once('exit', () => process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed${skipped}\n`));
    },
  };
}
