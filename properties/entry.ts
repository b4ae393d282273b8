/**
 * Process entry: RDI holds the ring address (RING-4), RSI the pid (PROC-1), RDX the
 * read-only CapSet page (PROC-2, PROC-3) whose header and entries follow PROCX-3 and list
 * the grants in order (BOOT-5) with ids that name live capabilities (CAP-8). A store to the
 * CapSet page faults. Expectations come from the binding and the clauses.
 */
import fc from "fast-check";
import { initialCapId } from "../spec/binding.js";
import { readField } from "../spec/fields.js";
import { buildCapSetProbe } from "../generators/capset-probe.js";
import { sha256 } from "../generators/agent-image.js";
import { property, type PropertyContext, type Verdict } from "./property.js";
import { describeEndState } from "./agent-run.js";

const hex = (x: bigint | number) => "0x" + x.toString(16);

export const entryState = property<readonly boolean[]>({
  id: "entry.registers-and-capset",
  group: "entry",
  title: "Entry registers, the CapSet page format and its read-only mapping",
  clauses: ["RING-1", "RING-4", "PROC-2", "PROC-3", "PROCX-3", "BOOT-5", "CAP-8"],
  needs: [],
  // One case runs both variants: report only, and report then store to the CapSet page.
  runs: 1,
  arbitrary: () => fc.constant([false, true]),
  describe: (variants) => ({ storeToCapSet: variants }),
  async check(variants, ctx) {
    for (const store of variants) {
      const v = await checkOne(store, ctx);
      if (!v.ok) return v;
    }
    return { ok: true };
  },
});

async function checkOne(store: boolean, ctx: PropertyContext): Promise<Verdict> {
  {
    const b = ctx.binding;
    const image = buildCapSetProbe(b, store);
    const run = await ctx.impl.run(image, { maxInsns: ctx.maxInsns });
    const observed = [`end: ${describeEndState(run.end)}`, `console: ${Buffer.from(run.console).toString("hex")}`];
    const fail = (message: string) => ({ ok: false, message, elfSha256: sha256(image), observed });
    const out = run.console;
    if (out.length < 24 + b.capSet.headerSize) return fail(`expected the entry report, got ${out.length} console bytes (${describeEndState(run.end)})`);
    const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const ring = v.getBigUint64(0, true);
    const capset = v.getBigUint64(16, true);
    if (ring !== BigInt(b.layout.ringVaddr)) return fail(`the ring register held ${hex(ring)} at entry, expected RING_VADDR ${hex(b.layout.ringVaddr)} (RING-4)`);
    if (capset !== BigInt(b.layout.capSetVaddr)) return fail(`the CapSet register held ${hex(capset)}, expected ${hex(b.layout.capSetVaddr)} (PROC-2)`);
    const at = 24;
    const h = b.capSet.header;
    const magic = readField(v, at, h["magic"]!);
    const version = readField(v, at, h["version"]!);
    const count = Number(readField(v, at, h["count"]!));
    if (magic !== BigInt(b.capSet.magic) || version !== BigInt(b.capSet.version)) return fail(`CapSet header magic ${hex(magic)} version ${version}, expected ${hex(b.capSet.magic)} version ${b.capSet.version} (PROCX-3)`);
    if (count !== b.defaultGrants.length) return fail(`CapSet lists ${count} entries, the process was granted ${b.defaultGrants.length} (BOOT-5)`);
    const e = b.capSet.entry;
    for (let i = 0; i < count; i++) {
      const base = at + b.capSet.headerSize + i * b.capSet.entrySize;
      const capId = Number(readField(v, base, e["capId"]!));
      const iface = readField(v, base, e["interfaceId"]!);
      const nameBytes = out.subarray(base + e["name"]!.offset, base + e["name"]!.offset + b.capSet.nameLength);
      const name = new TextDecoder().decode(nameBytes.subarray(0, nameBytes.indexOf(0) < 0 ? nameBytes.length : nameBytes.indexOf(0)));
      const grant = b.defaultGrants[i]!;
      observed.push(`entry ${i}: cap ${hex(capId)} iface ${hex(iface)} name "${name}"`);
      if (iface !== b.interfaces[grant]) return fail(`CapSet entry ${i} has interface ${hex(iface)}, expected ${grant} ${hex(b.interfaces[grant])} in grant order (BOOT-5, CAP-8)`);
      if (capId !== initialCapId(b, i)) return fail(`CapSet entry ${i} (${grant}) has cap id ${hex(capId)}, expected ${hex(initialCapId(b, i))} (RINGX-7)`);
      if (name !== grant) return fail(`CapSet entry ${i} is named "${name}", expected "${grant}" (PROCX-3)`);
    }
    if (store) {
      const e2 = run.end;
      if (e2.kind !== "fault" || e2.fault !== "#PF" || (e2.addr !== undefined && e2.addr !== BigInt(b.layout.capSetVaddr + 8)))
        return fail(`a store to the CapSet page ended with ${describeEndState(run.end)}, expected #PF (write) at ${hex(b.layout.capSetVaddr + 8)} (PROC-3)`);
    } else if (run.end.kind !== "exit" || run.end.code !== 0) return fail(`the probe did not exit(0): ${describeEndState(run.end)}`);
    return { ok: true, observed };
  }
}
