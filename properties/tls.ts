/**
 * TLS Variant II properties: generated images with random PT_TLS layouts report their
 * self-pointer and every block byte through %fs.
 *
 * Oracles: the block contents come from the PT_TLS image itself (TLSV2-4) read at the offset
 * lld would resolve (TLSV2-2/5); the thread pointer may be anywhere
 * the model's rule allows (TLSV2-7: block and TCB in the TLS area, TP aligned to
 * max(p_align, tpMinAlign), TLSV2-3); the model's default placement only decides whether the
 * layout fits at all.
 */
import { initialTpProblem, placeInitialThread } from "../model/tls.js";
import { buildTlsProbe } from "../generators/tls-probe.js";
import { tlsLayout } from "../generators/tls-layouts.js";
import { sha256 } from "../generators/agent-image.js";
import { property } from "./property.js";
import { describeEndState } from "./agent-run.js";

const MISALIGNED_LARGE_ALIGN = "misaligned TLS with large alignment";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

export const tlsGeneratedLayouts = property({
  id: "tls.generated-layouts",
  group: "tls",
  title: "Initial TLS block, self-pointer and TP alignment for random PT_TLS layouts",
  clauses: ["TLS-1", "TLS-2", "TLSV2-1", "TLSV2-2", "TLSV2-3", "TLSV2-4", "TLSV2-5", "TLSV2-7", "TLSV2-8"],
  situation: MISALIGNED_LARGE_ALIGN,
  needs: [],
  runs: 40,
  arbitrary: () => tlsLayout(),
  describe: (l) => ({ align: l.align, misalign: l.misalign, memsz: l.memsz, image: hex(l.image) }),
  async check(layout, ctx) {
    const probe = buildTlsProbe(layout, ctx.binding);
    const run = await ctx.impl.run(probe.elf, { maxInsns: ctx.maxInsns });
    const place = placeInitialThread(
      layout.memsz === 0 ? null : { vaddr: probe.pVaddr, filesz: layout.image.length, memsz: layout.memsz, align: layout.align, image: layout.image },
      ctx.binding,
    );
    const out = run.console;
    const observed = [`console (${out.length} bytes): ${hex(out)}`, `end: ${describeEndState(run.end)}`];
    if (!place.ok) {
      const ok = run.end.kind === "rejected";
      return { ok, ...(ok ? {} : { elfSha256: sha256(probe.elf) }), observed, allowed: [`rejected (${place.reason})`], ...(ok ? {} : { message: "the model rejects this TLS layout but the implementation ran it" }) };
    }
    const header = layout.memsz === 0 ? null : { vaddr: probe.pVaddr, memsz: layout.memsz, align: layout.align };
    const allowed = [`exit(0) with console = self-pointer (a TP in the TLS area aligned to ${place.placement.tpAlign}, e.g. 0x${place.placement.tp.toString(16)}) (LE) + block ${hex(probe.expectedBlock)}`];
    const fail = (message: string) => ({ ok: false, message, elfSha256: sha256(probe.elf), observed, allowed });
    if (run.end.kind !== "exit" || run.end.code !== 0) return fail(`the probe did not exit(0): ${describeEndState(run.end)}`);
    if (out.length !== 8 + layout.memsz) return fail(`expected ${8 + layout.memsz} console bytes, got ${out.length}`);
    const self = new DataView(out.buffer, out.byteOffset).getBigUint64(0, true);
    const problem = initialTpProblem(header, self, ctx.binding);
    if (problem) return fail(`%fs:0 is 0x${self.toString(16)}: ${problem}`);
    const block = out.subarray(8);
    for (let i = 0; i < block.length; i++)
      if (block[i] !== probe.expectedBlock[i])
        return fail(`TLS byte ${i} (TP-0x${(probe.tlsOffset - i).toString(16)}) is 0x${block[i]!.toString(16)}, expected 0x${probe.expectedBlock[i]!.toString(16)} (${i < layout.image.length ? "TLSV2-2/4 .tdata" : "TLSV2-4 .tbss"})`);
    // Reached: p_vaddr off its alignment while the alignment exceeds the TCB's 16 (where TP placement differs by linker).
    return { ok: true, observed, reach: { situations: layout.misalign !== 0 && layout.align > 16 ? [MISALIGNED_LARGE_ALIGN] : [] } };
  },
});
