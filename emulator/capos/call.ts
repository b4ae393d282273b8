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
import { fieldGet } from "./guest-fields.js";
import type { Kernel } from "./kernel.js";
import { BadMessage, encodeException } from "./messages.js";
import type { Sqe } from "./ring.js";
import type { Cqe, Thread } from "./threads.js";

export function callOp(k: Kernel, t: Thread, sqe: Sqe): "done" | "stop" {
  const b = k.binding;
  const E = b.transportErrors;
  const { view: V, bytes: dv, userData, cap, complete: done } = sqe;
  const addr = fieldGet(dv, V["addr"]);
  const len = fieldGet(dv, V["len"]);
  const methodId = Number(fieldGet(dv, V["methodId"]));
  const resultAddr = fieldGet(dv, V["resultAddr"]);
  const resultLen = fieldGet(dv, V["resultLen"]);
  const lim = BigInt(b.layout.userAddressLimit);
  if (addr + len > lim || resultAddr + resultLen > lim) return done(E.invalidBuffer);
  const pa = Number(addr), pl = Number(len), ra = Number(resultAddr), rl = Number(resultLen);
  k.charge("call");
  if (!k.as.accessible(pa, pl, PROT_READ) || !k.as.accessible(ra, rl, PROT_WRITE)) return done(E.invalidBuffer);
  // Charged only for params that exist: a refused 4 GiB length is one cheap check, not a
  // budget overrun (a conforming hostile guest must get its invalidBuffer CQE and go on).
  k.charge("copyPage", Math.ceil(pl / b.pageSize));
  const iface = cap.obj.iface;
  const entry = methodsOf(b, iface).get(methodId);
  const method = entry?.name;
  const note = entry ? entry.note : ` ${iface}.#${methodId}`;
  const writeResult = (bytes: Uint8Array): number | null => {
    if (bytes.length > rl) return null;
    k.as.mem.writeBytes(ra, bytes);
    return bytes.length;
  };
  const finish = (o: Outcome): "done" | "stop" => {
    if (o.kind === "stop") return "stop";
    if (o.kind === "async") {
      k.event(() => `t${t.id} call ud=${hex(userData)}${note} -> pending`);
      return "done";
    }
    if (o.kind === "exc") {
      const type = k.mutant === "exception-type-failed" ? "failed" : o.type; // MUTANT exception-type-failed
      const bytes = encodeException(b.exceptionTypes[type] ?? b.exceptionTypes["failed"] ?? 0, o.message);
      const n = writeResult(bytes);
      return done(n === null ? E.applicationExceptionTruncated : E.applicationException, undefined, `${note} exc=${o.type}`);
    }
    const n = writeResult(o.result);
    if (n === null) return done(E.resultTooSmall, undefined, note);
    const extra: Partial<Cqe> = {};
    if (o.capId !== undefined) extra.capId = o.capId;
    if (o.interfaceId !== undefined) extra.interfaceId = o.interfaceId;
    return done(n, extra, note);
  };
  if (method === undefined && k.mutant === "unknown-ordinal-succeeds") return finish({ kind: "ok", result: new Uint8Array(0) }); // MUTANT unknown-ordinal-succeeds
  if (method === undefined) return finish({ kind: "exc", type: "unimplemented", message: `${iface} has no method @${methodId}` });
  const params = pl === 0 ? new Uint8Array(0) : k.as.mem.readBytes(pa, pl);
  try {
    const impl = entry!.impl;
    return finish(impl ? impl(k, { t, cap, method, params, userData, ra, rl }) : exc("unimplemented", `${iface}.${method} is not implemented`));
  } catch (e) {
    if (e instanceof BadMessage) return done(E.badMessage, undefined, note);
    if (e instanceof ResultTooSmall) return done(E.resultTooSmall, undefined, note);
    throw e;
  }
}

/** A method of an interface as a CALL finds it: its name, its log note and its implementation (if any). */
interface MethodEntry {
  readonly name: string;
  readonly note: string;
  readonly impl: Method | undefined;
}

const methodCache = new WeakMap<Binding, Map<string, ReadonlyMap<number, MethodEntry>>>();
/**
 * The interface's methods by ordinal (the first name wins, as a search in binding order would
 * find it), looked up once per binding and interface rather than by string on every CALL.
 */
function methodsOf(b: Binding, iface: string): ReadonlyMap<number, MethodEntry> {
  let byIface = methodCache.get(b);
  if (!byIface) methodCache.set(b, (byIface = new Map()));
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
