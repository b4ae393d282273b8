/**
 * Hostile rings: a guest publishes a batch of malformed SQEs (and sometimes a corrupt
 * sq_tail), calls cap_enter(0, 0) and reports its ring header and CQ. The model's ring
 * (model/ring.ts) predicts every completion from the decoded SQEs; the operands the
 * generator chooses are all invalid, so the model's operand check is a fact of the
 * generator: every CALL buffer is bad, a park word is unaligned or unmapped.
 */
import { consumeSubmissions, decodeSqe, EMPTY_RING, type OperandCheck } from "../../model/ring.js";
import { initialTable } from "../../model/captable.js";
import { buildHostileRingProbe, hostileBatch, hostileReportLength, type HostileBatch } from "../../generators/hostile-ring.js";
import { sha256 } from "../../runner/agent-image.js";
import { property } from "../../runner/property.js";
import { cqeOffset, type Binding, type Field } from "../binding.js";
import { describeEndState } from "./agent-run.js";

function read(v: DataView, at: number, f: Field | undefined): bigint {
  if (!f) return 0n;
  const o = at + f.offset;
  switch (f.type) {
    case "u8": return BigInt(v.getUint8(o));
    case "u16": return BigInt(v.getUint16(o, true));
    case "u32": return BigInt(v.getUint32(o, true));
    case "i32": return BigInt(v.getInt32(o, true));
    case "u64": return v.getBigUint64(o, true);
  }
}

function expected(batch: HostileBatch, b: Binding) {
  const bytes = new Uint8Array(batch.sqes.length * b.ring.sqeSize);
  batch.sqes.forEach((s, i) => bytes.set(s, i * b.ring.sqeSize));
  const operands: OperandCheck = (op, sqe) => (op === "call" ? "invalidBuffer" : (sqe.fields["addr"] ?? 0n) % BigInt(b.park.wordAlign) !== 0n ? "invalidSqe" : "invalidBuffer");
  const { ring } = consumeSubmissions(
    { ...EMPTY_RING, sqTail: batch.sqTail },
    (slot) => decodeSqe(bytes, slot * b.ring.sqeSize, b),
    initialTable(b),
    () => ({ result: 0 }),
    b,
    operands,
  );
  return ring;
}

const hex = (x: bigint) => "0x" + x.toString(16);

export const ringHostile = property<HostileBatch>({
  id: "ring.hostile-batches",
  group: "ring",
  title: "Malformed SQEs and corrupt indexes complete with the predicted transport errors, in order",
  clauses: ["RING-3", "RING-5", "RING-6", "RING-7", "RING-10", "RING-11", "ERR-1", "ERR-4", "ERR-5", "CAP-1", "CAP-2", "CAP-4", "PARKX-5", "RINGX-1", "RINGX-3", "RINGX-4", "RINGX-7", "RINGX-8", "RINGX-9"],
  needs: [],
  runs: 60,
  arbitrary: (b) => hostileBatch(b),
  describe: (x) => ({ sqTail: x.sqTail, sqes: x.sqes.map((s) => Buffer.from(s).toString("hex")) }),
  async check(batch, ctx) {
    const b = ctx.binding;
    const image = buildHostileRingProbe(batch, b);
    const run = await ctx.impl.run(image, { maxInsns: ctx.maxInsns });
    const want = expected(batch, b);
    const allowed = [
      `sq_head = ${want.sqHead}, cq_tail = ${want.cqTail}`,
      ...want.posted.map((c, i) => `cqe ${i}: user_data ${hex(c.userData)} result ${c.result}`),
    ];
    const out = run.console;
    const observed: string[] = [`end: ${describeEndState(run.end)}`];
    const fail = (message: string) => ({ ok: false, message, elfSha256: sha256(image), observed, allowed });
    if (run.end.kind !== "exit" || run.end.code !== 0) return fail(`the guest did not exit(0) after its hostile batch: ${describeEndState(run.end)}`);
    if (out.length !== hostileReportLength(b)) return fail(`expected a ${hostileReportLength(b)}-byte ring report, got ${out.length} bytes`);
    const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
    const h = b.ring.header;
    const sqHead = Number(read(v, 0, h["sqHead"]));
    const cqTail = Number(read(v, 0, h["cqTail"]));
    observed.unshift(`sq_head = ${sqHead}, cq_tail = ${cqTail}`);
    const cqes = Array.from({ length: Math.min(cqTail, b.ring.cqEntries) }, (_, i) => {
      const at = cqeOffset(b, i) - b.ring.cqOffset + b.ring.headerSize;
      return { userData: read(v, at, b.ring.cqe["userData"]), result: Number(read(v, at, b.ring.cqe["result"])) };
    });
    observed.push(...cqes.map((c, i) => `cqe ${i}: user_data ${hex(c.userData)} result ${c.result}`));
    if (sqHead !== want.sqHead >>> 0) return fail(`sq_head is ${sqHead}, expected ${want.sqHead} (RING-5, RINGX-1)`);
    if (cqTail !== want.cqTail) return fail(`cq_tail is ${cqTail}, expected ${want.cqTail} completions (RING-6)`);
    for (let i = 0; i < want.posted.length; i++) {
      const w = want.posted[i]!;
      const got = cqes[i]!;
      if (got.userData !== w.userData) return fail(`CQE ${i} echoes user_data ${hex(got.userData)}, expected ${hex(w.userData)} (RING-7, RINGX-3)`);
      if (got.result !== w.result) return fail(`CQE ${i} (user_data ${hex(w.userData)}) has result ${got.result}, expected ${w.result} (RINGX-9 check order)`);
    }
    return { ok: true, observed };
  },
});
