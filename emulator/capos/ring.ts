/**
 * The capability ring of a thread (one ring page per thread, THRX-1): header access, SQ
 * consumption and SQE validation (RINGX-1..4), CQE posting with overflow holding (RINGX-2),
 * and waking a thread blocked in cap_enter when enough completions are there.
 *
 * What each opcode does is supplied by the caller (`OpExec`, implemented in opcodes.ts), so the
 * ring decides everything that happens before and around an operation and nothing inside it.
 */
import type { Binding, Field, FieldTable } from "../../spec/binding.js";
import { cqeOffset, sqeOffset } from "../../spec/binding.js";
import { PROT_READ, PROT_WRITE } from "../cpu/memory.js";
import type { Memory } from "../cpu/memory.js";
import type { CapRef } from "./captable.js";
import { hex } from "./events.js";
import { copyFromGuest, fieldGet, fieldNum, fieldPut, fieldRead, fieldWrite } from "./guest-fields.js";
import type { Kernel } from "./kernel.js";
import type { Cqe, Thread } from "./threads.js";

/**
 * A validated SQE: its opcode name, the capability it names and its fields. `dv` holds a copy
 * of the SQE's bytes (the record starts at byte 0) that is reused by the next SQE: read the
 * fields inside the operation, never keep the view.
 */
export interface Sqe {
  readonly op: Exclude<keyof Binding["opcodes"], "nop">;
  readonly cap: CapRef;
  /** The opcode's field view (binding.ring.sqeViews[op]). */
  readonly view: FieldTable;
  readonly dv: DataView;
  readonly userData: bigint;
  /** Complete the SQE with `result` (logged with `note`); a CALL's CQE may carry a capability. */
  complete(result: number, note?: string, capId?: number, interfaceId?: bigint): "done";
}

/** Carry out one validated SQE: "done", "stop" (thread or process ended) or "yield" (lost-wake). */
export type OpExec = (k: Kernel, t: Thread, sqe: Sqe) => "done" | "stop" | "yield";

/** Zero a ring page (mapping it if needed) and write its constant header fields. */
export function initRing(k: Kernel, addr: number): void {
  const b = k.binding;
  const mem = k.as.mem;
  if (!mem.isMapped(addr)) mem.map(addr, b.pageSize, PROT_READ | PROT_WRITE);
  else mem.writeBytes(addr, new Uint8Array(b.pageSize));
  const h = b.ring.header;
  setHeaderField(mem, addr, h["sqMask"], b.ring.sqEntries - 1);
  setHeaderField(mem, addr, h["cqMask"], b.ring.cqEntries - 1);
  setHeaderField(mem, addr, h["sqEntries"], b.ring.sqEntries);
  setHeaderField(mem, addr, h["cqEntries"], b.ring.cqEntries);
}
/** Write a header field the binding has (a function, not a closure made per ring). */
function setHeaderField(mem: Memory, ring: number, f: Field | undefined, v: number): void {
  if (f) fieldWrite(mem, ring, f, v);
}

/** Every header field of the ring page at `ring`, by binding name. */
export function readHeader(k: Kernel, ring: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, f] of Object.entries(k.binding.ring.header)) out[name] = Number(fieldRead(k.as.mem, ring, f));
  return out;
}

/**
 * The binding's ring fields, looked up by name once per binding: the SQE and CQE paths run
 * for every operation and index no record by a string key.
 */
interface RingFields {
  readonly sqHead: Field | undefined;
  readonly sqTail: Field | undefined;
  readonly cqHead: Field | undefined;
  readonly cqTail: Field | undefined;
  readonly cqOverflow: Field | undefined;
  readonly opcode: Field | undefined;
  readonly flags: Field | undefined;
  readonly reserved0: Field | undefined;
  readonly capId: Field | undefined;
  readonly userData: Field | undefined;
  /** CALL fields that must be zero (no capability transfer or pipelining in this ABI version). */
  readonly callZero: readonly (Field | undefined)[];
  /** Opcode names by number (the first name wins, as a search in binding order would find it). */
  readonly opNames: ReadonlyMap<number, keyof Binding["opcodes"]>;
  readonly cqeUserData: Field | undefined;
  readonly cqeResult: Field | undefined;
  readonly cqeCapId: Field | undefined;
  readonly cqeInterfaceId: Field | undefined;
}

const ringFieldsCache = new WeakMap<Binding, RingFields>();
let lastBinding: Binding | null = null;
let lastFields: RingFields | null = null;
function ringFields(b: Binding): RingFields {
  if (b === lastBinding) return lastFields!;
  let f = ringFieldsCache.get(b);
  if (!f) {
    const h = b.ring.header, C = b.ring.sqeCommon, Q = b.ring.cqe, V = b.ring.sqeViews.call;
    const opNames = new Map<number, keyof Binding["opcodes"]>();
    for (const name of Object.keys(b.opcodes) as (keyof Binding["opcodes"])[]) if (!opNames.has(b.opcodes[name])) opNames.set(b.opcodes[name], name);
    f = {
      sqHead: h["sqHead"], sqTail: h["sqTail"], cqHead: h["cqHead"], cqTail: h["cqTail"], cqOverflow: h["cqOverflow"],
      opcode: C["opcode"], flags: C["flags"], reserved0: C["reserved0"], capId: C["capId"], userData: C["userData"],
      callZero: [V["xferCapCount"], V["pipelineDep"], V["pipelineField"]],
      opNames,
      cqeUserData: Q["userData"], cqeResult: Q["result"], cqeCapId: Q["capId"], cqeInterfaceId: Q["interfaceId"],
    };
    ringFieldsCache.set(b, f);
  }
  lastBinding = b;
  return (lastFields = f);
}

function hdr(k: Kernel, t: Thread, f: Field | undefined): number {
  return f ? Number(fieldRead(k.as.mem, t.ring, f)) : 0;
}
function setHdr(k: Kernel, t: Thread, f: Field | undefined, v: number): void {
  if (f) fieldWrite(k.as.mem, t.ring, f, v >>> 0);
}

/** Completions posted and not yet consumed by the guest. */
export function cqCount(k: Kernel, t: Thread): number {
  const F = ringFields(k.binding);
  return (hdr(k, t, F.cqTail) - hdr(k, t, F.cqHead)) >>> 0;
}
function cqFull(k: Kernel, t: Thread): boolean {
  return cqCount(k, t) >= k.binding.ring.cqEntries;
}

/**
 * One CQE as the ring receives it: zeros with the fields set, built in a scratch buffer and
 * written with one copy (the bytes a zero fill and one write per field would leave).
 */
let cqeBytes = new Uint8Array(0);
let cqeView = new DataView(cqeBytes.buffer);
function writeCqe(k: Kernel, t: Thread, c: Cqe): void {
  const b = k.binding;
  const F = ringFields(b);
  const tail = hdr(k, t, F.cqTail);
  const n = b.ring.cqeSize;
  if (cqeBytes.length !== n) cqeView = new DataView((cqeBytes = new Uint8Array(n)).buffer);
  else cqeBytes.fill(0);
  if (F.cqeUserData) fieldPut(cqeView, 0, F.cqeUserData, c.userData);
  if (F.cqeResult) fieldPut(cqeView, 0, F.cqeResult, c.result);
  if (F.cqeCapId && c.capId !== undefined) fieldPut(cqeView, 0, F.cqeCapId, c.capId);
  if (F.cqeInterfaceId && c.interfaceId !== undefined) fieldPut(cqeView, 0, F.cqeInterfaceId, c.interfaceId);
  k.as.mem.writeBytes(t.ring + cqeOffset(b, tail), cqeBytes);
  setHdr(k, t, F.cqTail, tail + 1);
}

/** Post a completion to a thread's ring, holding it if the CQ is full (RINGX-2). */
export function post(k: Kernel, t: Thread, c: Cqe): void {
  if (t.state === "exited") return;
  if (t.overflow.length > 0 || cqFull(k, t)) {
    if (k.mutant === "cq-overflow-drops") return; // MUTANT cq-overflow-drops
    t.overflow.push(c);
    const F = ringFields(k.binding);
    setHdr(k, t, F.cqOverflow, hdr(k, t, F.cqOverflow) + 1);
    k.event(k.logging ? `t${t.id} cq-held ud=${hex(c.userData)} res=${c.result}` : "");
  } else writeCqe(k, t, c);
  maybeWake(k, t);
}

/** Post the completion of an asynchronous CALL, writing its result message. */
export function completeCall(k: Kernel, t: Thread, userData: bigint, ra: number, rl: number, result: Uint8Array): void {
  const E = k.binding.transportErrors;
  // MUTANT cqe-userdata-last-sqe: the completion takes the user_data of the thread's latest SQE.
  if (k.mutant === "cqe-userdata-last-sqe") userData = lastUserData.get(t) ?? userData;
  if (result.length > rl) return post(k, t, { userData, result: E.resultTooSmall });
  if (!k.as.accessible(ra, result.length, PROT_WRITE)) return post(k, t, { userData, result: E.invalidBuffer });
  k.as.mem.writeBytes(ra, result);
  post(k, t, { userData, result: result.length });
}

/** Move held completions into the CQ while there is room. */
export function flushOverflow(k: Kernel, t: Thread): void {
  while (t.overflow.length > 0 && !cqFull(k, t)) writeCqe(k, t, t.overflow.shift()!);
}

function maybeWake(k: Kernel, t: Thread): void {
  if (t.state === "blocked" && t.block && cqCount(k, t) >= t.block.minComplete) wakeCapEnter(k, t, "cqe");
}

/** Return from a blocked cap_enter with the number of completions available. */
export function wakeCapEnter(k: Kernel, t: Thread, why: string): void {
  const n = cqCount(k, t);
  t.state = "runnable";
  t.block = null;
  k.setRet(t, n);
  k.event(k.logging ? `t${t.id} wake ${why} cap_enter -> ${n}` : "");
}

/**
 * Consume the thread's SQ (RINGX-1..4), handing each valid SQE to `exec`. Returns "done",
 * "stop" (the thread or process ended) or "yield" (lost-wake mutant: a continuation is
 * pending in t.resume).
 */
export function processRing(k: Kernel, th: Thread, exec: OpExec): "done" | "stop" | "yield" {
  if (k.endState) return "stop";
  const b = k.binding;
  const F = ringFields(b);
  flushOverflow(k, th);
  for (;;) {
    if (th.state === "exited" || k.endState) return "stop";
    const head = hdr(k, th, F.sqHead);
    const tail = hdr(k, th, F.sqTail);
    const pending = (tail - head) >>> 0;
    if (pending === 0) return "done";
    if (pending > b.ring.sqEntries) {
      setHdr(k, th, F.sqHead, tail);
      k.event(k.logging ? `t${th.id} ring corrupt head=${head} tail=${tail}` : "");
      post(k, th, { userData: 0n, result: b.transportErrors.ringCorrupt });
      return "done";
    }
    if ((cqFull(k, th) || th.overflow.length > 0) && k.mutant !== "sq-consumed-when-cq-full") return "done"; // MUTANT sq-consumed-when-cq-full
    k.charge("sqe");
    const sqe = copySqe(k.as.mem, th.ring + sqeOffset(b, head), b.ring.sqeSize);
    setHdr(k, th, F.sqHead, head + 1);
    const r = execSqe(k, th, sqe, head, exec);
    if (r !== "done") return r;
  }
}

/**
 * The SQE at `addr`, copied into a scratch buffer rather than a fresh array per SQE (the copy
 * is the bytes the guest submitted, whatever the operation then writes; the next SQE reuses it).
 */
let sqeBytes = new Uint8Array(0);
let sqeView = new DataView(sqeBytes.buffer);
function copySqe(mem: Memory, addr: number, n: number): DataView {
  if (sqeBytes.length !== n) sqeView = new DataView((sqeBytes = new Uint8Array(n)).buffer);
  copyFromGuest(mem, addr, sqeBytes);
  return sqeView;
}

/** The user_data of each thread's latest SQE (kept and read only by the cqe-userdata-last-sqe mutant). */
const lastUserData = new WeakMap<Thread, bigint>();

/** Complete an SQE (valid or not): log it and post its CQE. */
function completeSqe(k: Kernel, t: Thread, index: number, opName: string | undefined, capId: number, userData: bigint,
                     result: number, note = "", cqeCapId?: number, interfaceId?: bigint): "done" {
  k.event(k.logging ? `t${t.id} sqe#${index} op=${opName} cap=${hex(capId)} ud=${hex(userData)} -> ${result}${note}` : "");
  post(k, t, { userData, result, capId: cqeCapId, interfaceId });
  return "done";
}

/** A validated SQE on its way to `exec` (a class, so an SQE allocates no closures). */
class ValidSqe implements Sqe {
  constructor(
    private readonly k: Kernel,
    private readonly t: Thread,
    private readonly index: number,
    private readonly capId: number,
    readonly op: Sqe["op"],
    readonly cap: CapRef,
    readonly view: FieldTable,
    readonly dv: DataView,
    readonly userData: bigint,
  ) {}
  complete(result: number, note?: string, capId?: number, interfaceId?: bigint): "done" {
    return completeSqe(this.k, this.t, this.index, this.op, this.capId, this.userData, result, note, capId, interfaceId);
  }
}

/** Validate one SQE copy (opcode, flags, reserved fields, cap id) and run it. */
function execSqe(k: Kernel, t: Thread, dv: DataView, index: number, exec: OpExec): "done" | "stop" | "yield" {
  const b = k.binding;
  const F = ringFields(b);
  const opcode = fieldNum(dv, 0, F.opcode);
  const userData = fieldGet(dv, 0, F.userData);
  const capId = fieldNum(dv, 0, F.capId);
  if (k.mutant === "cqe-userdata-last-sqe") lastUserData.set(t, userData);
  const E = b.transportErrors;
  const opName = F.opNames.get(opcode);
  if (opName === undefined) return completeSqe(k, t, index, opName, capId, userData, E.invalidOpcode);
  if ((fieldNum(dv, 0, F.flags) !== 0 && k.mutant !== "reserved-flags-ignored") || // MUTANT reserved-flags-ignored
     fieldNum(dv, 0, F.reserved0) !== 0) return completeSqe(k, t, index, opName, capId, userData, E.invalidSqe);
  if (opName === "call") {
    for (const f of F.callZero) if (fieldNum(dv, 0, f) !== 0) return completeSqe(k, t, index, opName, capId, userData, E.invalidSqe);
  }
  if (opName === "nop") return completeSqe(k, t, index, opName, capId, userData, 0);
  const cap = k.caps.lookup(capId);
  if (!cap) return completeSqe(k, t, index, opName, capId, userData, E.invalidCap);
  return exec(k, t, new ValidSqe(k, t, index, capId, opName, cap, b.ring.sqeViews[opName], dv, userData));
}
