/**
 * Hostile rings: a guest publishes a batch of malformed SQEs (and sometimes a corrupt
 * sq_tail), calls cap_enter(0, 0) and reports its ring header and CQ. The model's ring
 * (model/ring.ts) predicts every completion from the decoded SQEs; the operands the
 * generator chooses are all invalid, so the model's operand check is a fact of the
 * generator: every CALL buffer is bad, a park word is unaligned or unmapped.
 */
import { consumeSubmissions, decodeSqe, EMPTY_RING, reap, type OperandCheck } from "../model/ring.js";
import { initialTable } from "../model/captable.js";
import { buildHostileRingProbe, hostileBatch, hostileReportLength, type HostileBatch } from "../generators/hostile-ring.js";
import { backpressureCase, backpressureReportLength, buildBackpressureProbe, nopUserData, type BackpressureCase } from "../generators/backpressure-probe.js";
import { sha256 } from "../generators/agent-image.js";
import { property } from "./property.js";
import { cqeOffset, type Binding, type Field } from "../spec/binding.js";
import { readField } from "../spec/fields.js";
import { describeEndState } from "./agent-run.js";

/** A binding field of the report, or 0 when the binding has no such field. */
function read(v: DataView, at: number, f: Field | undefined): bigint {
  return f ? readField(v, at, f) : 0n;
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

/**
 * Backpressure (RINGX-2): with the CQ full the kernel consumes no further SQE and loses no
 * completion; once userspace reaps, the rest are consumed in order. The model's ring replays
 * the same submissions and reaps.
 */
const CQ_FULL = "CQ full";

export const ringBackpressure = property<BackpressureCase>({
  id: "ring.cq-backpressure",
  group: "ring",
  title: "A full CQ stops SQE consumption without losing completions; reaping resumes it in order",
  clauses: ["RINGX-2", "RINGX-3", "RING-2", "RING-5", "RING-6", "RING-7", "ENTER-1"],
  situation: CQ_FULL,
  needs: [],
  runs: 20,
  arbitrary: (b) => backpressureCase(b),
  describe: (c) => c,
  async check(c, ctx) {
    const b = ctx.binding;
    const image = buildBackpressureProbe(c, b);
    const run = await ctx.impl.run(image, { maxInsns: ctx.maxInsns });
    const observed = [`end: ${describeEndState(run.end)}`];
    const fail = (message: string, allowed: string[] = []) => ({ ok: false, message, elfSha256: sha256(image), observed, allowed });
    if (run.end.kind !== "exit" || run.end.code !== 0) return fail(`the probe did not exit(0): ${describeEndState(run.end)}`);
    if (run.console.length !== backpressureReportLength(b)) return fail(`expected a ${backpressureReportLength(b)}-byte report, got ${run.console.length}`);
    // The model: the same batches, each followed by cap_enter(0, 0), one reap in between.
    // The SQ as the guest leaves it: slot -> number of the NOP last written there.
    const slots: number[] = new Array(b.ring.sqEntries).fill(0);
    const nop = (slot: number) => decodeNop(b, slots[slot]!);
    let ring = { ...EMPTY_RING };
    let table = initialTable(b);
    let submitted = 0;
    const enter = () => {
      const r = consumeSubmissions(ring, (slot) => nop(slot), table, () => ({ result: 0 }), b);
      ring = r.ring;
      table = r.table;
    };
    const batch = (n: number) => {
      for (let k = submitted; k < submitted + n; k++) slots[k % b.ring.sqEntries] = k;
      submitted += n;
      ring = { ...ring, sqTail: submitted };
      enter();
    };
    for (let k = 0; k < c.fullBatches; k++) batch(b.ring.sqEntries);
    const first = { sqHead: ring.sqHead, cqTail: ring.cqTail };
    ring = reap(ring, ring.cqTail, b);
    enter();
    batch(c.last);
    const second = { sqHead: ring.sqHead, cqTail: ring.cqTail };
    const v = new DataView(run.console.buffer, run.console.byteOffset, run.console.byteLength);
    const h = b.ring.header;
    const header = (at: number) => ({ sqHead: Number(read(v, at, h["sqHead"])), cqTail: Number(read(v, at, h["cqTail"])) });
    const got1 = header(0);
    const got2 = header(b.ring.headerSize);
    observed.push(`full CQ: sq_head ${got1.sqHead} cq_tail ${got1.cqTail}`, `after reap: sq_head ${got2.sqHead} cq_tail ${got2.cqTail}`);
    const allowed = [`full CQ: sq_head ${first.sqHead} cq_tail ${first.cqTail}`, `after reap: sq_head ${second.sqHead} cq_tail ${second.cqTail}`];
    if (got1.sqHead !== first.sqHead || got1.cqTail !== first.cqTail) return fail("while the CQ was full the kernel's sq_head/cq_tail differ from the model (RINGX-2)", allowed);
    if (got2.sqHead !== second.sqHead || got2.cqTail !== second.cqTail) return fail("after reaping, sq_head/cq_tail differ from the model (RINGX-2, RINGX-3)", allowed);
    // Every posted completion, in CQ order, carries the user_data of the NOP it completes.
    for (let i = Math.max(0, ring.posted.length - b.ring.cqEntries); i < ring.posted.length; i++) {
      const at = 2 * b.ring.headerSize + cqeOffset(b, i) - b.ring.cqOffset;
      const ud = read(v, at, b.ring.cqe["userData"]);
      if (ud !== ring.posted[i]!.userData) return fail(`CQE ${i} carries user_data ${hex(ud)}, expected ${hex(ring.posted[i]!.userData)} (RINGX-3: in submission order, none lost)`, allowed);
    }
    // Reached: the guest saw the CQ full (cq_tail a whole CQ ahead of its head, which it had not moved).
    return { ok: true, observed, reach: { situations: got1.cqTail >= b.ring.cqEntries ? [CQ_FULL] : [] } };
  },
});

function decodeNop(b: Binding, k: number) {
  return { opcode: b.opcodes.nop, flags: 0, reserved0: 0, capId: 0, userData: nopUserData(k), fields: {} };
}
