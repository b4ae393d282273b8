/**
 * probes.real-elfs judges a probe by what it prints (issue 12 item 3). The declared checks
 * are the programs' own (read back from their sources here); a transcript with a failed
 * check, an unknown line, a missing check or summary, a non-zero mask or an exit status that
 * does not match the mask fails; and a "kernel" that prints nothing and exits 0 fails every
 * property it is not unable to run.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCapos } from "../../emulator/capos/index.js";
import { ALL_PROPERTIES } from "../../properties/index.js";
import {
  FS_PROBE_LABELS, FS_PROBE_THREADS, GO_PROBE_STEPS, GO_PROBE_THREADS, judgeProbe, PROBE_GRAMMARS, TLS_PROBE_CHECKS, type ProbeGrammar,
} from "../../properties/probe-transcripts.js";
import { DEFAULT_BINDING } from "../../spec/binding.js";
import { ELF_DIR, manifestEntries } from "../../targets/manifest.js";
import { commandImplementation } from "../adapters/command.js";
import { runConformance } from "../run.js";
import { REPO_ROOT, resolveAgent } from "../setup.js";

const source = (program: string, ext: "c" | "rs") => readFileSync(join(REPO_ROOT, "targets", "programs", program, `main.${ext}`), "utf8");
const strings = (text: string, re: RegExp) => [...text.matchAll(re)].map((m) => m[1]!);
const grammar = (program: string): ProbeGrammar => PROBE_GRAMMARS.find((g) => g.program === program)!;

describe("the declared checks are the programs' own", () => {
  for (const ext of ["c", "rs"] as const) {
    it(`main.${ext}`, () => {
      const tls = source("tls-probe", ext);
      expect(strings(tls, /check\(\s*ring,\s*\d+,\s*(?:cstr!\()?"(\w+)"/g)).toEqual([...TLS_PROBE_CHECKS]);
      // bit numbers as check() passes them name the mask bits in the same order
      const bits = [...tls.matchAll(/check\(\s*ring,\s*(\d+),\s*(?:cstr!\()?"(\w+)"/g)].sort((a, b) => Number(a[1]) - Number(b[1])).map((m) => m[2]);
      expect(bits).toEqual(grammar("tls-probe").bits);
      const threads = (text: string) => Number(/(?:#define NTHREADS|const NTHREADS: usize =) (\d+)/.exec(text)![1]);
      const fs = source("fs-probe", ext);
      expect(threads(fs)).toBe(FS_PROBE_THREADS);
      expect(new Set(strings(fs, /say\(ring, (?:cstr!\()?"([^"]+)"/g))).toEqual(new Set(FS_PROBE_LABELS));
      const go = source("go-contract-probe", ext);
      expect(threads(go)).toBe(GO_PROBE_THREADS);
      expect(new Set(strings(go, /say\(ring, (?:cstr!\()?"([^"]+)"/g))).toEqual(new Set([...GO_PROBE_STEPS, "m done"]));
    });
  }
});

describe("judging a transcript", () => {
  const probes = manifestEntries().filter((e) => e.program !== "agent");
  const runs = probes.map((e) => {
    const r = runCapos(new Uint8Array(readFileSync(join(ELF_DIR, e.name))), { binding: DEFAULT_BINDING });
    return { ...e, text: Buffer.from(r.console).toString("utf8"), code: r.end.kind === "exit" ? r.end.code : -1, rust: e.name.endsWith(".rust") };
  });

  it("accepts every committed probe's run on the reference emulator, with every declared check held", () => {
    expect(runs.length).toBe(9);
    for (const r of runs) {
      const j = judgeProbe(grammar(r.program), r.text, r.code, r.rust);
      expect(j.problems, r.name).toEqual([]);
      expect(j.held).toBe(j.declared);
    }
  });

  it("fails a transcript that is empty, cut short, altered or inconsistent with the exit status", () => {
    for (const r of runs) {
      const g = grammar(r.program);
      const lines = r.text.trimEnd().split("\n");
      const judge = (text: string, code = 0) => judgeProbe(g, text, code, r.rust);
      expect(judge("").problems).toEqual(["printed nothing"]);
      const cut = judge(lines.slice(0, -2).join("\n") + "\n");
      expect(cut.ok, r.name).toBe(false);
      expect(cut.problems.join(";")).toMatch(/stopped before|no final summary/);
      expect(judge([...lines.slice(0, 2), "hello", ...lines.slice(2)].join("\n")).problems.join(";")).toMatch(/line 3 is not one/);
      const summary = lines[lines.length - 1]!;
      expect(judge([...lines.slice(0, -1), summary.replace(/=0x0( b=0x0)?$/, "=0x40$1")].join("\n")).problems.join(";")).toMatch(/mask 0x40/);
      expect(judge(r.text, 3).problems.join(";")).toMatch(/exit status 3 is not/);
      expect(judge(r.text + r.text).ok).toBe(false);
      const other = r.rust ? r.text.replaceAll(".rs: ", ": ") : r.text.replace(/^([\w-]+): /gm, "$1.rs: ");
      expect(judge(other).ok, "the prefix of the other language").toBe(false);
    }
    const tls = runs.find((r) => r.name === "tls-probe.gcc")!;
    const failed = judgeProbe(grammar("tls-probe"), tls.text.replace("check TPPOS ok", "check TPPOS FAIL"), 0, false);
    expect(failed.problems).toEqual(["check TPPOS failed: tls-probe: check TPPOS FAIL"]);
    const fs = runs.find((r) => r.name === "fs-probe.gcc")!;
    expect(judgeProbe(grammar("fs-probe"), fs.text.replace("done thread=0x1 a=0x0", "done thread=0x1 a=0x8"), 0, false).problems).toEqual([
      "check thread 1 done failed: fs-probe: done thread=0x1 a=0x8 b=0x1",
    ]);
  });
});

describe("a kernel that prints nothing and exits 0", () => {
  it("fails every property (those it cannot run are unsupported only for an ability it lacks)", async () => {
    const run = await runConformance({
      impl: commandImplementation(": {elf}; exit 0"),
      binding: DEFAULT_BINDING,
      bindingName: "default",
      agent: resolveAgent(),
      properties: ALL_PROPERTIES,
      seed: 3,
      runs: 2,
    });
    expect(run.results.length).toBe(ALL_PROPERTIES.length);
    for (const r of run.results) {
      const p = ALL_PROPERTIES.find((x) => x.id === r.property)!;
      if (r.status === "unsupported") expect(p.needs.length, r.property).toBeGreaterThan(0);
      else expect(r.status, r.property).toBe("failed");
    }
  }, 120_000);
});
