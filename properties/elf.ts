/**
 * Loading: a malformed image is refused with a typed error and never runs (ELFX-1, PROC-6,
 * SYS-5); the valid image it was derived from runs to exit 0 (the control).
 */
import fc from "fast-check";
import { defectiveElf, ELF_DEFECTS, type ElfDefect } from "../generators/bad-elf.js";
import { buildTlsProbe } from "../generators/tls-probe.js";
import { sha256 } from "../generators/agent-image.js";
import { property } from "./property.js";
import { describeEndState } from "./agent-run.js";

export const elfRejects = property<readonly ElfDefect[]>({
  id: "elf.malformed-images",
  group: "elf",
  title: "Malformed ELF images are refused with a typed error; their valid originals run",
  clauses: ["ELFX-1", "PROC-5", "PROC-6", "SYS-5"],
  needs: [],
  // One case checks every defect: the list is fixed and small.
  runs: 1,
  arbitrary: () => fc.constant(ELF_DEFECTS),
  describe: (d) => ({ defects: d }),
  async check(defects, ctx) {
    const control = buildTlsProbe({ misalign: 0, align: 16, image: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), memsz: 24 }, ctx.binding).elf;
    const good = await ctx.impl.run(control, { maxInsns: ctx.maxInsns });
    if (good.end.kind !== "exit" || good.end.code !== 0)
      return { ok: false, message: `the valid control image did not exit(0): ${describeEndState(good.end)}`, elfSha256: sha256(control), observed: [describeEndState(good.end)] };
    const observed: string[] = [];
    for (const defect of defects) {
      const image = defectiveElf(defect, ctx.binding);
      const run = await ctx.impl.run(image, { maxInsns: ctx.maxInsns });
      observed.push(`${defect}: ${describeEndState(run.end)}, ${run.console.length} console bytes`);
      if (run.end.kind !== "rejected" || run.console.length !== 0)
        return { ok: false, elfSha256: sha256(image), observed, allowed: [`rejected (${defect})`], message: `an image with defect "${defect}" was not refused: ${describeEndState(run.end)} (ELFX-1)` };
    }
    return { ok: true, observed };
  },
});
