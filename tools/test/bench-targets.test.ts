// The bench's verdicts against the issue-14 targets: what counts as slower, met, not measured.
import { describe, expect, it } from "vitest";
import { LOOP_PROGRAM, slowerPrograms, tierVerdict, TARGETS } from "../bench/targets.js";
import { targetRows } from "../bench/summary.js";
import type { ProgramRow } from "../bench/programs.js";

const program = (name: string, interp: number, compiled: number, roundRatios: number[], qemu = 1): ProgramRow => ({
  name, kind: "synthetic", insns: 1e8, interp, compiled, interpCpu: interp, compiledCpu: compiled, load: 0, native: 0.1, qemu, sameOutput: true, roundRatios, roundCpuRatios: roundRatios, regions: 1,
});

describe("bench verdicts", () => {
  it("calls the compiled tier slower only when it lost every round", () => {
    expect(tierVerdict([0.9, 0.95, 0.99])).toBe("SLOWER");
    expect(tierVerdict([0.9, 1.02, 0.99])).toBe("within noise");
    expect(tierVerdict([1.3, 1.2])).toBe("faster");
    expect(tierVerdict([])).toBe("within noise");
    expect(slowerPrograms([program("a", 1, 1.1, [0.9, 0.91]), program("b", 1, 0.5, [2, 2])])).toEqual(["a"]);
  });

  it("marks a section that did not run as not measured, never as met", () => {
    const rows = targetRows({});
    expect(rows.length).toBe(8);
    expect(rows.every((r) => r.verdict === "not measured")).toBe(true);
  });

  it("judges the loop's MIPS and the qemu ratio against the targets", () => {
    // 1e8 instructions in 0.5 s = 200 MIPS interpreted; in 0.05 s = 2000 MIPS compiled.
    const loop = program(LOOP_PROGRAM, 0.5, 0.05, [10, 10], 0.05);
    const slow = program("busybox awk", 1, 1, [1.01, 0.99], 1 / (TARGETS.overQemu + 1));
    const rows = targetRows({ programs: [loop, slow] });
    const get = (prefix: string) => rows.find((r) => r.target.startsWith(prefix))!;
    expect(get("interpreter").verdict).toBe("met");
    expect(get("compiled").verdict).toBe("met");
    expect(get("every program").verdict).toBe("missed");
    expect(get("every program").figure).toContain("busybox awk");
    expect(get("no compiled column").verdict).toBe("met");
  });
});
