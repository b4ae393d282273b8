/**
 * Fixed `ConformanceRun`s for the report tests: every status, several properties citing one
 * clause, and hostile strings in every free-text field.
 */
import type { ConformanceRun, PropertyResult } from "./types.js";

/** Text that breaks naive HTML/XML/Markdown/JSON writers. */
export const HOSTILE = "</script><script>alert(1)</script> ]]> <!-- & \"q\" 'a' | `tick` ``` \u0000\u001b[31m \uD800 \u2028 <![CDATA[x]]>";

export function property(p: Partial<PropertyResult> & Pick<PropertyResult, "property" | "status">): PropertyResult {
  return {
    group: p.property.split(".")[0]!,
    title: `title of ${p.property}`,
    clauses: [],
    durationMs: 12.5,
    runs: 100,
    seed: 42,
    ...p,
  };
}

export function baseRun(results: readonly PropertyResult[]): ConformanceRun {
  return {
    tool: { name: "capos-conform", version: "0.1.0" },
    implementation: { id: "emulator", version: "1.2.3", binding: "default" },
    seed: 42,
    startedAt: "2025-01-02T03:04:05.000Z",
    finishedAt: "2025-01-02T03:05:05.500Z",
    elfs: { "park-drain": "ab".repeat(32), "tls-init": "cd".repeat(32) },
    results,
    environment: { node: "v20.19.0" },
  };
}

/** One run with every status; PARK-6 is cited by a passing and a failing property. */
export function mixedRun(): ConformanceRun {
  return baseRun([
    property({ property: "park.wake-one", status: "passed", clauses: ["PARK-1", "PARK-6"] }),
    property({
      property: "park.drain-on-unmap",
      status: "failed",
      clauses: ["PARK-6", "PARKX-6"],
      failure: {
        repro: "npx tsx tools/conform.ts --impl emulator --property park.drain-on-unmap --seed 7 --path '3:1:0'",
        message: `waiter not drained ${HOSTILE}`,
        seed: 7,
        path: "3:1:0",
        schedule: "t0.t1.t0",
        scheduleId: "s-17",
        elfSha256: "ab".repeat(32),
        counterexample: { ops: [{ op: "park", addr: "0x1000" }, { op: "unmap", note: HOSTILE }], big: 12345678901234567890n },
        allowed: ["wake(t1) -> Ok", `drain ${HOSTILE}`],
        observed: ["t1 still parked", `record ${HOSTILE}`],
        trace: ["0 park t1 0x1000", `1 unmap ${HOSTILE}`],
        artefact: "reports/out/park.drain-on-unmap.json",
      },
    }),
    property({
      property: "tls.variant2-layout",
      status: "xfail",
      clauses: ["PARK-2"],
      reason: "known emulator bug #12",
      failure: { repro: "npx tsx tools/conform.ts --property tls.variant2-layout --seed 9", message: "offset mismatch", seed: 9 },
    }),
    property({ property: "park.timeout", status: "xpass", clauses: ["PARK-3"], reason: "timer not implemented" }),
    property({ property: "park.requeue", status: "skipped", clauses: ["PARK-4"], reason: `filtered out ${HOSTILE}` }),
    property({ property: "sched.preempt", status: "unsupported", clauses: ["PARK-5"], reason: "needs schedule control" }),
    property({ property: "custom.unknown-clause", status: "passed", clauses: ["ZZZ-99"] }),
  ]);
}
