/**
 * The committed probe programs built by real compilers and linkers (targets/elf), judged by
 * what they print: every Console line must be one the program prints, every check it declares
 * must be reported and hold, the failed-check mask on its last line must be 0 and the exit
 * status the program's function of it (properties/probe-transcripts.ts). The probes are the
 * oracle here: their checks encode the clauses (tls-probe: TLS Variant II as gcc, clang and
 * rustc emit it; fs-probe: per-thread FS base across switches, parks and sleeps;
 * go-contract-probe: the Go runtime's use of FS, VirtualMemory and park).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { sha256 } from "../generators/agent-image.js";
import { property } from "./property.js";
import { ELF_DIR, manifestEntries } from "../targets/manifest.js";
import { describeEndState } from "./agent-run.js";
import { judgeProbe, PROBE_GRAMMARS } from "./probe-transcripts.js";

const probes = () => manifestEntries().filter((e) => e.program !== "agent");

export const realProbes = property<readonly { readonly name: string; readonly program: string }[]>({
  id: "probes.real-elfs",
  group: "probes",
  title: "Probe programs from gcc+ld, clang+lld and rustc report every check passed and exit 0 (TLS, FS base, Go contract)",
  clauses: ["TLS-1", "TLS-2", "TLS-3", "TLS-4", "TLSV2-1", "TLSV2-2", "TLSV2-4", "TLSV2-6", "FSB-1", "FSB-2", "FSB-5", "THR-2", "THR-3", "GO-1", "GO-3", "GO-4", "GO-5", "GO-6", "GO-7", "GO-8", "PROC-1", "PROC-2", "PROC-3"],
  needs: [],
  // One case runs every committed probe: the set is fixed, nothing to generate or shrink.
  runs: 1,
  arbitrary: () => fc.constant(probes().map((e) => ({ name: e.name, program: e.program }))),
  describe: (files) => ({ elfs: files.map((f) => f.name) }),
  async check(files, ctx) {
    if (files.length === 0) return { ok: false, message: "targets/elf/manifest.json lists no probe ELFs" };
    const observed: string[] = [];
    for (const { name, program } of files) {
      const grammar = PROBE_GRAMMARS.find((g) => g.program === program);
      if (!grammar) return { ok: false, message: `${name}: program ${program} has no transcript grammar in properties/probe-transcripts.ts` };
      const image = new Uint8Array(readFileSync(join(ELF_DIR, name)));
      const run = await ctx.impl.run(image, { maxInsns: ctx.maxInsns });
      const text = new TextDecoder().decode(run.console);
      const exited = run.end.kind === "exit" ? run.end.code : undefined;
      const judged = judgeProbe(grammar, text, exited, name.endsWith(".rust"));
      observed.push(`${name}: ${describeEndState(run.end)}, ${judged.held} of ${judged.declared} checks held`);
      const problems = [...(run.end.kind !== "exit" || run.end.code !== 0 ? [`ended with ${describeEndState(run.end)}`] : []), ...judged.problems];
      if (problems.length > 0) {
        const lines = text.split("\n").filter((l) => l !== "");
        return {
          ok: false,
          elfSha256: sha256(image),
          observed: [...observed, ...problems.map((p) => `problem: ${p}`), ...lines.slice(-25).map((l) => `console: ${l}`)],
          allowed: ["every line one the probe prints; every declared check reported once and ok; a last line with failed mask 0; exit(0)"],
          message: `${name}: ${problems.slice(0, 3).join("; ")}`,
        };
      }
    }
    return { ok: true, observed };
  },
});
