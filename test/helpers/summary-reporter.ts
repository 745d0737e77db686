import type { Reporter, SerializedError, TestModule } from "vitest/node";

/**
 * Prints the plain closing line CI reads: "tests: N passed, N failed, N skipped". A file that fails
 * to load (or whose hooks throw) and an unhandled error each count as one failure, so a run whose
 * tests never ran does not read "0 failed".
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError> = []): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const m of testModules) {
      if (m.errors().length > 0) failed++;
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === "passed") passed++;
        else if (s === "failed") failed++;
        else skipped++;
      }
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
