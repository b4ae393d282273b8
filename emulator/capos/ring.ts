/**
 * The capability ring of a thread (one ring page per thread, THRX-1): header access, SQ
 * consumption and SQE validation (RINGX-1..4), CQE posting with overflow holding (RINGX-2),
 * and waking a thread blocked in cap_enter when enough completions are there.
 *
 * What each opcode does is supplied by the caller (`OpExec`, implemented in opcodes.ts), so the
 * ring decides everything that happens before and around an operation and nothing inside it.
 */
import type { Binding, FieldTable } from "../../spec/binding.js";
import { cqeOffset, sqeOffset } from "../../spec/binding.js";
import { PROT_READ, PROT_WRITE } from "../cpu/memory.js";
import type { CapRef } from "./captable.js";
import { hex } from "./events.js";
import { fieldGet, fieldRead, fieldWrite } from "./guest-fields.js";
import type { Kernel } from "./kernel.js";
import type { Cqe, Thread } from "./threads.js";

/** Complete the SQE being processed with `result` (logged with `note`). */
export type Complete = (result: number, extra?: Partial<Cqe>, note?: string) => "done";

/** A validated SQE: its opcode name, the capability it names and its fields. */
export interface Sqe {
  readonly op: Exclude<keyof Binding["opcodes"], "nop">;
  readonly cap: CapRef;
  /** The opcode's field view (binding.ring.sqeViews[op]). */
  readonly view: FieldTable;
  readonly bytes: DataView;
  readonly userData: bigint;
  readonly complete: Complete;
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
  const set = (name: string, v: number) => {
    const f = h[name];
    if (f) fieldWrite(mem, addr, f, v);
  };
  set("sqMask", b.ring.sqEntries - 1);
  set("cqMask", b.ring.cqEntries - 1);
  set("sqEntries", b.ring.sqEntries);
  set("cqEntries", b.ring.cqEntries);
}

/** Every header field of the ring page at `ring`, by binding name. */
export function readHeader(k: Kernel, ring: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, f] of Object.entries(k.binding.ring.header)) out[name] = Number(fieldRead(k.as.mem, ring, f));
  return out;
}

function hdr(k: Kernel, t: Thread, name: string): number {
  const f = k.binding.ring.header[name];
  return f ? Number(fieldRead(k.as.mem, t.ring, f)) : 0;
}
function setHdr(k: Kernel, t: Thread, name: string, v: number): void {
  const f = k.binding.ring.header[name];
  if (f) fieldWrite(k.as.mem, t.ring, f, v >>> 0);
}

/** Completions posted and not yet consumed by the guest. */
export function cqCount(k: Kernel, t: Thread): number {
  return (hdr(k, t, "cqTail") - hdr(k, t, "cqHead")) >>> 0;
}
function cqFull(k: Kernel, t: Thread): boolean {
  return cqCount(k, t) >= k.binding.ring.cqEntries;
}

function writeCqe(k: Kernel, t: Thread, c: Cqe): void {
  const b = k.binding;
  const tail = hdr(k, t, "cqTail");
  const at = t.ring + cqeOffset(b, tail);
  const mem = k.as.mem;
  mem.writeBytes(at, zeros(b.ring.cqeSize));
  const f = b.ring.cqe;
  if (f["userData"]) fieldWrite(mem, at, f["userData"], c.userData);
  if (f["result"]) fieldWrite(mem, at, f["result"], c.result);
  if (f["capId"] && c.capId !== undefined) fieldWrite(mem, at, f["capId"], c.capId);
  if (f["interfaceId"] && c.interfaceId !== undefined) fieldWrite(mem, at, f["interfaceId"], c.interfaceId);
  setHdr(k, t, "cqTail", tail + 1);
}

let zeroBytes = new Uint8Array(0);
/** `n` zero bytes (one shared buffer; never written). */
function zeros(n: number): Uint8Array {
  if (zeroBytes.length < n) zeroBytes = new Uint8Array(n);
  return zeroBytes.subarray(0, n);
}

/** Post a completion to a thread's ring, holding it if the CQ is full (RINGX-2). */
export function post(k: Kernel, t: Thread, c: Cqe): void {
  if (t.state === "exited") return;
  if (t.overflow.length > 0 || cqFull(k, t)) {
    if (k.mutant === "cq-overflow-drops") return; // MUTANT cq-overflow-drops
    t.overflow.push(c);
    setHdr(k, t, "cqOverflow", hdr(k, t, "cqOverflow") + 1);
    k.event(() => `t${t.id} cq-held ud=${hex(c.userData)} res=${c.result}`);
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
  k.setRet(t, BigInt(n));
  k.event(() => `t${t.id} wake ${why} cap_enter -> ${n}`);
}

/**
 * Consume the thread's SQ (RINGX-1..4), handing each valid SQE to `exec`. Returns "done",
 * "stop" (the thread or process ended) or "yield" (lost-wake mutant: a continuation is
 * pending in t.resume).
 */
export function processRing(k: Kernel, th: Thread, exec: OpExec): "done" | "stop" | "yield" {
  if (k.endState) return "stop";
  const b = k.binding;
  flushOverflow(k, th);
  for (;;) {
    if (th.state === "exited" || k.endState) return "stop";
    const head = hdr(k, th, "sqHead");
    const tail = hdr(k, th, "sqTail");
    const pending = (tail - head) >>> 0;
    if (pending === 0) return "done";
    if (pending > b.ring.sqEntries) {
      setHdr(k, th, "sqHead", tail);
      k.event(() => `t${th.id} ring corrupt head=${head} tail=${tail}`);
      post(k, th, { userData: 0n, result: b.transportErrors.ringCorrupt });
      return "done";
    }
    if ((cqFull(k, th) || th.overflow.length > 0) && k.mutant !== "sq-consumed-when-cq-full") return "done"; // MUTANT sq-consumed-when-cq-full
    k.charge("sqe");
    const sqe = k.as.mem.readBytes(th.ring + sqeOffset(b, head), b.ring.sqeSize);
    setHdr(k, th, "sqHead", head + 1);
    const r = execSqe(k, th, sqe, head, exec);
    if (r !== "done") return r;
  }
}

const opcodeNameCache = new WeakMap<Binding, ReadonlyMap<number, keyof Binding["opcodes"]>>();
/** The binding's opcode names by number (the first name wins, as a search in binding order would find it). */
function opcodeNames(b: Binding): ReadonlyMap<number, keyof Binding["opcodes"]> {
  let m = opcodeNameCache.get(b);
  if (!m) {
    const names = new Map<number, keyof Binding["opcodes"]>();
    for (const name of Object.keys(b.opcodes) as (keyof Binding["opcodes"])[]) if (!names.has(b.opcodes[name])) names.set(b.opcodes[name], name);
    opcodeNameCache.set(b, (m = names));
  }
  return m;
}

/** CALL fields that must be zero (no capability transfer or pipelining in this ABI version). */
const CALL_ZERO_FIELDS = ["xferCapCount", "pipelineDep", "pipelineField"] as const;

/** The user_data of each thread's latest SQE (kept and read only by the cqe-userdata-last-sqe mutant). */
const lastUserData = new WeakMap<Thread, bigint>();

/** Validate one SQE copy (opcode, flags, reserved fields, cap id) and run it. */
function execSqe(k: Kernel, t: Thread, bytes: Uint8Array, index: number, exec: OpExec): "done" | "stop" | "yield" {
  const b = k.binding;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const C = b.ring.sqeCommon;
  const opcode = Number(fieldGet(dv, C["opcode"]));
  const userData = fieldGet(dv, C["userData"]);
  const capId = Number(fieldGet(dv, C["capId"]));
  if (k.mutant === "cqe-userdata-last-sqe") lastUserData.set(t, userData);
  const E = b.transportErrors;
  const complete: Complete = (result, extra, note = "") => {
    k.event(() => `t${t.id} sqe#${index} op=${opName} cap=${hex(capId)} ud=${hex(userData)} -> ${result}${note}`);
    post(k, t, { userData, result, ...extra });
    return "done";
  };
  const opName = opcodeNames(b).get(opcode);
  if (opName === undefined) return complete(E.invalidOpcode);
  if ((fieldGet(dv, C["flags"]) !== 0n && k.mutant !== "reserved-flags-ignored") || // MUTANT reserved-flags-ignored
     fieldGet(dv, C["reserved0"]) !== 0n) return complete(E.invalidSqe);
  const view = b.ring.sqeViews[opName];
  if (opName === "call") {
    for (const name of CALL_ZERO_FIELDS) if (fieldGet(dv, view[name]) !== 0n) return complete(E.invalidSqe);
  }
  if (opName === "nop") return complete(0);
  const cap = k.caps.lookup(capId);
  if (!cap) return complete(E.invalidCap);
  return exec(k, t, { op: opName, cap, view, bytes: dv, userData, complete });
}
