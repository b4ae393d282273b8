/**
 * The capability ring at the level of decoded SQE records: consumption order, CQE posting,
 * backpressure, corrupt indexes and transport errors. Method behaviour is supplied by the
 * caller (`Exec`); this module decides everything that happens before and around it.
 *
 * @clause RING-5 RING-6 RING-7 RING-10 RING-11 ERR-1 ERR-4 CAP-1 CAP-4 PARKX-5 RINGX-1 RINGX-2 RINGX-3 RINGX-4 RINGX-6 RINGX-8
 */
import { DEFAULT_BINDING, FIELD_SIZE, OPCODE_NAMES, type Binding, type FieldTable, type OpcodeName, type TransportErrorName } from "../spec/binding.js";
import { readField } from "../spec/fields.js";
import { lookup, release, type CapTable } from "./captable.js";

export interface Sqe {
  readonly opcode: number;
  readonly flags: number;
  readonly reserved0: number;
  readonly capId: number;
  readonly userData: bigint;
  /** Opcode-specific fields by name (binding.ring.sqeViews). */
  readonly fields: Readonly<Record<string, bigint>>;
}

export interface Cqe {
  readonly userData: bigint;
  readonly result: number;
  readonly capId?: number;
  readonly interfaceId?: bigint;
}

export interface RingState {
  readonly sqHead: number;
  /** Written by userspace. */
  readonly sqTail: number;
  readonly cqHead: number;
  readonly cqTail: number;
  readonly cqOverflow: number;
  /** Completions that could not be posted yet (RINGX-2). */
  readonly held: readonly Cqe[];
  /** Posted CQEs, in order (the model's view of the CQ). */
  readonly posted: readonly Cqe[];
}

export const EMPTY_RING: RingState = { sqHead: 0, sqTail: 0, cqHead: 0, cqTail: 0, cqOverflow: 0, held: [], posted: [] };

/** Decode one SQE from `bytes` at `offset` using the binding's layout (RING-3). */
export function decodeSqe(bytes: Uint8Array, offset: number, b: Binding = DEFAULT_BINDING): Sqe {
  if (offset + b.ring.sqeSize > bytes.length) throw new RangeError("SQE runs past the buffer");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const c = b.ring.sqeCommon;
  const opcode = Number(readField(v, offset, c.opcode!));
  const name = OPCODE_NAMES.find((n) => b.opcodes[n] === opcode);
  const view: FieldTable = name ? b.ring.sqeViews[name] : {};
  const fields: Record<string, bigint> = {};
  for (const [k, f] of Object.entries(view)) {
    if (f.offset + FIELD_SIZE[f.type] > b.ring.sqeSize) throw new RangeError(`field ${k} leaves the SQE`);
    fields[k] = readField(v, offset, f);
  }
  return {
    opcode,
    flags: Number(readField(v, offset, c.flags!)),
    reserved0: Number(readField(v, offset, c.reserved0!)),
    capId: Number(readField(v, offset, c.capId!)),
    userData: readField(v, offset, c.userData!),
    fields,
  };
}

/** Method behaviour: a synchronous result, or "completes later" (posted through `complete`). */
export type Exec = (op: OpcodeName, sqe: Sqe, iface: string) => { readonly result: number; readonly capId?: number; readonly interfaceId?: bigint } | { readonly async: true };

/**
 * Transport-level checks of one SQE, in the model's order: opcode, reserved fields, cap, interface.
 * @clause RING-11 RINGX-4 CAP-1 ERR-4 PARKX-5 RINGX-8
 */
export function sqeError(sqe: Sqe, table: CapTable, b: Binding = DEFAULT_BINDING): { error: TransportErrorName } | { op: OpcodeName; iface?: string } {
  // Step 1 (RING-11): a reserved/unsupported opcode is invalidOpcode.
  const op = OPCODE_NAMES.find((n) => b.opcodes[n] === sqe.opcode);
  if (!op) return { error: "invalidOpcode" };
  // Step 2 (RINGX-4): reserved fields must be zero.
  if (sqe.flags !== 0 || sqe.reserved0 !== 0) return { error: "invalidSqe" };
  if (op === "call" && ((sqe.fields.xferCapCount ?? 0n) !== 0n || (sqe.fields.pipelineDep ?? 0n) !== 0n || (sqe.fields.pipelineField ?? 0n) !== 0n)) return { error: "invalidSqe" };
  // Step 3 (RINGX-8, decision): NOP names no capability.
  if (op === "nop") return { op };
  // Step 4 (CAP-1, ERR-4): the cap id must name a live slot of the right generation.
  const l = lookup(table, sqe.capId, b);
  if (!l.ok) return { error: "invalidCap" };
  // Step 5 (PARKX-5, RINGX-8): PARK/UNPARK need a ParkSpace; RECV/RETURN an endpoint (none exist here).
  if ((op === "park" || op === "unpark") && l.iface !== "ParkSpace") return { error: "wrongInterface" };
  if (op === "recv" || op === "return") return { error: "wrongInterface" };
  return { op, iface: l.iface };
}

function post(r: RingState, c: Cqe, b: Binding): RingState {
  // RINGX-2: no room -> held in order and counted.
  if (r.cqTail - r.cqHead >= b.ring.cqEntries || r.held.length > 0) return { ...r, held: [...r.held, c], cqOverflow: r.cqOverflow + 1 };
  return { ...r, cqTail: r.cqTail + 1, posted: [...r.posted, c] };
}

/** Userspace consumed CQEs up to `cqHead`: held completions are posted in order (RINGX-2). */
export function reap(r: RingState, cqHead: number, b: Binding = DEFAULT_BINDING): RingState {
  let s: RingState = { ...r, cqHead };
  const held = s.held.slice();
  s = { ...s, held: [] };
  while (held.length > 0 && s.cqTail - s.cqHead < b.ring.cqEntries) s = { ...s, cqTail: s.cqTail + 1, posted: [...s.posted, held.shift()!] };
  return { ...s, held };
}

/** An asynchronous completion arrives (e.g. a woken PARK). */
export function complete(r: RingState, c: Cqe, b: Binding = DEFAULT_BINDING): RingState {
  return post(r, c, b);
}

/**
 * Consume SQEs sq_head..sq_tail.
 * @clause RING-5 RING-6 RING-7 RINGX-1 RINGX-2 RINGX-3 RINGX-6 RINGX-8 RINGX-9 CAP-4 ERR-1
 * Step 1 (RINGX-1): sq_tail - sq_head (mod 2^32) > sqEntries: one ringCorrupt CQE with user_data 0, sq_head = sq_tail.
 * Step 2 (RINGX-3): SQEs in index order; (RINGX-2) stop while the CQ is full.
 * Step 3: transport checks (sqeError), then the caller's operand checks (RINGX-9); NOP and
 * RELEASE complete with 0 (RINGX-8, CAP-4);
 * a CALL with an ordinal its interface does not define is applicationException (RINGX-6);
 * otherwise the method runs (`exec`).
 * Step 4 (RING-7): every CQE echoes the SQE's user_data; (RINGX-3) a synchronous result is
 * posted before the next SQE is consumed.
 */
/**
 * Operand checks of CALL, PARK and UNPARK (buffer ranges, word alignment and mapping), which
 * need the address space: supplied by the caller, run after the transport checks and before
 * the ordinal check (RINGX-9).
 */
export type OperandCheck = (op: OpcodeName, sqe: Sqe) => TransportErrorName | undefined;

export function consumeSubmissions(r0: RingState, sqes: (slot: number) => Sqe, table0: CapTable, exec: Exec, b: Binding = DEFAULT_BINDING, operands?: OperandCheck): { ring: RingState; table: CapTable } {
  let r = r0;
  let table = table0;
  const t = b.transportErrors;
  // Step 1.
  if (((r.sqTail - r.sqHead) >>> 0) > b.ring.sqEntries) return { ring: { ...post(r, { userData: 0n, result: t.ringCorrupt }, b), sqHead: r.sqTail }, table };
  // Step 2.
  while (r.sqHead !== r.sqTail) {
    if (r.cqTail - r.cqHead >= b.ring.cqEntries) break;
    const sqe = sqes(r.sqHead % b.ring.sqEntries);
    r = { ...r, sqHead: (r.sqHead + 1) >>> 0 };
    const chk = sqeError(sqe, table, b);
    let c: Cqe | undefined;
    const operandError = !("error" in chk) && (chk.op === "call" || chk.op === "park" || chk.op === "unpark") ? operands?.(chk.op, sqe) : undefined;
    if ("error" in chk) c = { userData: sqe.userData, result: t[chk.error] };
    // RINGX-9: operands (buffers, park word) are checked before the method ordinal.
    else if (operandError) c = { userData: sqe.userData, result: t[operandError] };
    else if (chk.op === "nop") c = { userData: sqe.userData, result: 0 };
    else if (chk.op === "release") {
      table = (release(table, sqe.capId, b) as { table: CapTable }).table;
      c = { userData: sqe.userData, result: 0 };
    } else if (chk.op === "call" && !Object.values(b.methods[chk.iface as keyof typeof b.methods] ?? {}).includes(Number(sqe.fields.methodId ?? -1n)))
      c = { userData: sqe.userData, result: t.applicationException };
    else {
      const x = exec(chk.op, sqe, chk.iface!);
      if (!("async" in x)) c = { userData: sqe.userData, ...x };
    }
    if (c) r = post(r, c, b);
  }
  return { ring: r, table };
}
