import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    // tmp/ holds scratch trees (a copy of the sources, symlinks): their tests would run twice
    exclude: ["node_modules/**", "reports/out/**", "dist/**", "tmp/**"],
    reporters: ["default", "./tools/summary-reporter.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores on the CI machines; more workers only thrash.
    maxWorkers: 2,
    coverage: {
      provider: "v8",
      include: ["model/**/*.ts", "spec/**/*.ts", "emulator/**/*.ts", "generators/**/*.ts"],
      exclude: ["**/*.test.ts", "**/test/**", "spec/schema/gen/**", "model/tools/**"],
      // The oracle must be exercised by its own tests almost entirely (issue: >= 95% lines).
      thresholds: { "model/**": { lines: 95 } },
      reporter: ["text-summary", "text"],
    },
  },
});
