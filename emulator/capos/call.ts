/**
 * The CALL opcode: buffer checks, method lookup in the binding, the method itself (caps/), and
 * the completion: result bytes, an encoded CapException, or a transport error (RINGX-5).
 */
import type { Binding } from "../../spec/binding.js";
import { PROT_READ, PROT_WRITE } from "../cpu/memory.js";
import { METHODS } from "./caps/index.js";
import type { Outcome } from "./caps/index.js";
import type { Method } from "./caps/method.js";
import { ResultTooSmall, exc } from "./caps/method.js";
import { hex } from "./events.js";
import { copyFromGuest, fieldGet, fieldNum } from "./guest-fields.js";
import type { Kernel } from "./kernel.js";
import { BadMessage, encodeException } from "./messages.js";
import type { Sqe } from "./ring.js";
import type { Thread } from "./threads.js";

export function callOp(k: Kernel, t: Thread, sqe: Sqe): "done" | "stop" {
  const b = k.binding;
  const E = b.transportErrors;
  const { view: V, dv, userData, cap } = sqe;
  // Numbers, not BigInts: a u64 at or above 2^53 reads as a number that is too (fieldNum), and
  // the address limit lies below 2^53, so the comparison decides as the exact sums would.
  const pa = fieldNum(dv, 0, V["addr"]), pl = fieldNum(dv, 0, V["len"]);
  const ra = fieldNum(dv, 0, V["resultAddr"]), rl = fieldNum(dv, 0, V["resultLen"]);
  const methodId = fieldNum(dv, 0, V["methodId"]);
  const lim = b.layout.userAddressLimit;
  if (lim <= MAX_EXACT ? pa + pl > lim || ra + rl > lim : beyondLimit(sqe, lim)) return sqe.complete(E.invalidBuffer);
  k.charge("call");
  if (!k.as.accessible(pa, pl, PROT_READ) || !k.as.accessible(ra, rl, PROT_WRITE)) return sqe.complete(E.invalidBuffer);
  // Charged only for params that exist: a refused 4 GiB length is one cheap check, not a
  // budget overrun (a conforming hostile guest must get its invalidBuffer CQE and go on).
  k.charge("copyPage", Math.ceil(pl / b.pageSize));
  const iface = cap.obj.iface;
  const entry = methodsOf(b, iface).get(methodId);
  const note = entry ? entry.note : ` ${iface}.#${methodId}`;
  if (entry === undefined && k.mutant === "unknown-ordinal-succeeds") return finish(k, t, sqe, ra, rl, note, { kind: "ok", result: new Uint8Array(0) }); // MUTANT unknown-ordinal-succeeds
  if (entry === undefined) return finish(k, t, sqe, ra, rl, note, { kind: "exc", type: "unimplemented", message: `${iface} has no method @${methodId}` });
  const params = paramsBuffer(pl);
  copyFromGuest(k.as.mem, pa, params);
  try {
    const impl = entry.impl;
    return finish(k, t, sqe, ra, rl, note, impl ? impl(k, { t, cap, method: entry.name, params, userData, ra, rl }) : exc("unimplemented", `${iface}.${entry.name} is not implemented`));
  } catch (e) {
    if (e instanceof BadMessage) return sqe.complete(E.badMessage, note);
    if (e instanceof ResultTooSmall) return sqe.complete(E.resultTooSmall, note);
    throw e;
  }
}
const MAX_EXACT = 2 ** 53;

/**
 * A buffer of exactly `n` bytes for a CALL's params: one kept per small length and reused by
 * the next CALL of that length (a method reads its params during the call and keeps nothing
 * of them: decoders copy what they keep), so a CALL allocates no array for them.
 */
function paramsBuffer(n: number): Uint8Array {
  if (n > MAX_KEPT_PARAMS) return new Uint8Array(n);
  return paramsBuffers[n] ?? (paramsBuffers[n] = new Uint8Array(n));
}
const MAX_KEPT_PARAMS = 512;
const paramsBuffers: Uint8Array[] = [];

/** The buffer check in exact arithmetic, for a binding whose address limit lies above 2^53. */
function beyondLimit(sqe: Sqe, lim: number): boolean {
  const V = sqe.view, dv = sqe.dv, l = BigInt(lim);
  return fieldGet(dv, 0, V["addr"]) + fieldGet(dv, 0, V["len"]) > l || fieldGet(dv, 0, V["resultAddr"]) + fieldGet(dv, 0, V["resultLen"]) > l;
}

/** Complete a CALL from its method's outcome: result bytes, an encoded exception, or nothing yet. */
function finish(k: Kernel, t: Thread, sqe: Sqe, ra: number, rl: number, note: string, o: Outcome): "done" | "stop" {
  const E = k.binding.transportErrors;
  if (o.kind === "stop") return "stop";
  if (o.kind === "async") {
    k.event(k.logging ? `t${t.id} call ud=${hex(sqe.userData)}${note} -> pending` : "");
    return "done";
  }
  if (o.kind === "exc") {
    const type = k.mutant === "exception-type-failed" ? "failed" : o.type; // MUTANT exception-type-failed
    const b = k.binding;
    const bytes = encodeException(b.exceptionTypes[type] ?? b.exceptionTypes["failed"] ?? 0, o.message);
    const fits = writeResult(k, ra, rl, bytes);
    return sqe.complete(fits ? E.applicationException : E.applicationExceptionTruncated, k.logging ? `${note} exc=${o.type}` : "");
  }
  if (!writeResult(k, ra, rl, o.result)) return sqe.complete(E.resultTooSmall, note);
  return sqe.complete(o.result.length, note, o.capId, o.interfaceId);
}

/** Copy result bytes to the guest's result buffer; false (nothing written) when they do not fit. */
function writeResult(k: Kernel, ra: number, rl: number, bytes: Uint8Array): boolean {
  if (bytes.length > rl) return false;
  k.as.mem.writeBytes(ra, bytes);
  return true;
}

/** A method of an interface as a CALL finds it: its name, its log note and its implementation (if any). */
interface MethodEntry {
  readonly name: string;
  readonly note: string;
  readonly impl: Method | undefined;
}

const methodCache = new WeakMap<Binding, Map<string, ReadonlyMap<number, MethodEntry>>>();
/** The last binding's table (a run uses one binding: no WeakMap lookup per CALL). */
let lastBinding: Binding | null = null;
let lastByIface: Map<string, ReadonlyMap<number, MethodEntry>> | null = null;
/**
 * The interface's methods by ordinal (the first name wins, as a search in binding order would
 * find it), looked up once per binding and interface rather than by string on every CALL.
 */
function methodsOf(b: Binding, iface: string): ReadonlyMap<number, MethodEntry> {
  let byIface = b === lastBinding ? lastByIface! : methodCache.get(b);
  if (!byIface) methodCache.set(b, (byIface = new Map()));
  lastBinding = b;
  lastByIface = byIface;
  let m = byIface.get(iface);
  if (!m) {
    const entries = new Map<number, MethodEntry>();
    for (const [name, o] of Object.entries(b.methods[iface as keyof Binding["methods"]] ?? {})) {
      if (entries.has(o as number)) continue;
      const key = `${iface}.${name}`;
      entries.set(o as number, { name, note: ` ${key}`, impl: Object.hasOwn(METHODS, key) ? METHODS[key] : undefined });
    }
    byIface.set(iface, (m = entries));
  }
  return m;
}
