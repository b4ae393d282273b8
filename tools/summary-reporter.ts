/**
 * Prints the plain closing line CI greps for: `N passed, N failed, N skipped`.
 *
 * vitest's own summary never prints that line. A test file that fails to load, or an
 * unhandled error, counts as a failure here (never as "0 failed"), and every skipped test
 * is listed with the reason it was given through `ctx.skip(reason)`.
 */
import type { Reporter, TestModule } from "vitest/node";

interface SerializedErrorLike {
  message?: string;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedErrorLike>,
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const skipNotes: string[] = [];
    const brokenFiles: string[] = [];
    for (const mod of testModules) {
      let failedTests = 0;
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state === "passed") passed++;
        else if (result.state === "failed") failedTests++;
        else if (result.state === "skipped") {
          skipped++;
          skipNotes.push(`${test.fullName}: ${result.note ?? "no reason given"}`);
        }
      }
      failed += failedTests;
      // A file that fails to load, or a suite whose hook throws, fails without any failed
      // test: count each such suite (or the file) as a failure, never as "0 failed".
      const brokenSuites = [...mod.children.allSuites()].filter(
        (suite) => suite.state() === "failed" && ![...suite.children.allTests()].some((t) => t.result().state === "failed"),
      );
      if (brokenSuites.length > 0) {
        failed += brokenSuites.length;
        for (const suite of brokenSuites) brokenFiles.push(`${mod.moduleId} > ${suite.fullName}`);
      } else if ((mod.errors().length > 0 || mod.state() === "failed") && failedTests === 0) {
        failed++;
        brokenFiles.push(mod.moduleId);
      }
    }
    failed += unhandledErrors.length;
    const out: string[] = [];
    if (skipNotes.length > 0) {
      out.push("skipped:");
      for (const note of skipNotes) out.push(`  - ${note}`);
    }
    for (const file of brokenFiles) out.push(`failed outside its tests: ${file}`);
    for (const err of unhandledErrors) out.push(`unhandled error: ${err.message ?? "(no message)"}`);
    out.push(`${passed} passed, ${failed} failed, ${skipped} skipped`);
    process.stdout.write(out.join("\n") + "\n");
  }
}
