/**
 * The committed probe programs built by real compilers and linkers (targets/elf): each runs
 * to exit status 0 when every check it makes of the ABI holds. The probes are the oracle
 * here: their checks encode the clauses (tls-probe: TLS Variant II as gcc, clang and rustc
 * emit it; fs-probe: per-thread FS base across switches, parks and sleeps; go-contract-probe:
 * the Go runtime's use of FS, VirtualMemory and park).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { sha256 } from "../generators/agent-image.js";
import { property } from "./property.js";
import { ELF_DIR, manifestEntries } from "../targets/manifest.js";
import { describeEndState } from "./agent-run.js";

const probes = () => manifestEntries().filter((e) => e.program !== "agent");

export const realProbes = property<readonly string[]>({
  id: "probes.real-elfs",
  group: "probes",
  title: "Probe programs from gcc+ld, clang+lld and rustc exit 0 (TLS, FS base, Go contract)",
  clauses: ["TLS-1", "TLS-2", "TLS-3", "TLS-4", "TLSV2-1", "TLSV2-2", "TLSV2-4", "TLSV2-6", "FSB-1", "FSB-2", "FSB-5", "THR-2", "THR-3", "GO-1", "GO-3", "GO-4", "GO-5", "GO-6", "GO-7", "GO-8", "PROC-1", "PROC-2", "PROC-3"],
  needs: [],
  // One case runs every committed probe: the set is fixed, nothing to generate or shrink.
  runs: 1,
  arbitrary: () => fc.constant(probes().map((e) => e.name)),
  describe: (files) => ({ elfs: files }),
  async check(files, ctx) {
    if (files.length === 0) return { ok: false, message: "targets/elf/manifest.json lists no probe ELFs" };
    const observed: string[] = [];
    for (const file of files) {
      const image = new Uint8Array(readFileSync(join(ELF_DIR, file)));
      const run = await ctx.impl.run(image, { maxInsns: ctx.maxInsns });
      const lines = new TextDecoder().decode(run.console).split("\n").filter((l) => l !== "");
      observed.push(`${file}: ${describeEndState(run.end)}`);
      if (run.end.kind !== "exit" || run.end.code !== 0)
        return {
          ok: false,
          elfSha256: sha256(image),
          observed: [...observed, ...lines.slice(-25).map((l) => `console: ${l}`)],
          allowed: ["exit(0): every check of the probe holds"],
          message: `${file} ended with ${describeEndState(run.end)}; ${lines.filter((l) => /FAIL|result/.test(l)).join("; ") || "see console"}`,
        };
    }
    return { ok: true, observed };
  },
});
