/**
 * VirtualMemory: map, reserve, commit, protect, decommit, unmap inside the VM window (VMX-*).
 * The bookkeeping is address-space.ts; dropping pages drains park waiters on them (PARKX-7).
 */
import * as gen from "../../../spec/schema/gen/capos.js";
import { VmError } from "../address-space.js";
import { hex } from "../events.js";
import type { Kernel } from "../kernel.js";
import { EMPTY, decodeParams, encodeReply, encodeResult } from "../messages.js";
import { drain } from "../park.js";
import { exc, need, ok } from "./method.js";
import type { Method, Outcome } from "./method.js";

const ADDR_RESULT_SIZE = encodeResult(gen.VirtualMemory_Map$Results).length;
const vmErr = (e: VmError): Outcome => exc(e.kind, e.message);
/** Kernel work of a successful range operation: one page charge per page (budget.ts). */
const chargePages = (k: Kernel, size: bigint): void => k.charge("page", Number(size / BigInt(k.binding.pageSize)));

export const map: Method = (k, call) => {
  const p = decodeParams(call.params, gen.VirtualMemory_Map$Params, (x) => ({ hint: x.hint, size: x.size, prot: x.prot }));
  need(call, ADDR_RESULT_SIZE);
  const r = k.memOp(() => k.as.map(p.hint, p.size, p.prot));
  if (r instanceof VmError) return vmErr(r);
  chargePages(k, p.size);
  k.event(k.logging ? `t${call.t.id} vm map ${hex(r)}+${hex(p.size)} prot=${p.prot}` : "");
  return ok(encodeReply(gen.VirtualMemory_Map$Results, (x) => (x.addr = r)));
};

export const reserve: Method = (k, call) => {
  const p = decodeParams(call.params, gen.VirtualMemory_Reserve$Params, (x) => ({ hint: x.hint, size: x.size }));
  need(call, ADDR_RESULT_SIZE);
  const r = k.as.reserve(p.hint, p.size);
  if (r instanceof VmError) return vmErr(r);
  chargePages(k, p.size);
  k.event(k.logging ? `t${call.t.id} vm reserve ${hex(r)}+${hex(p.size)}` : "");
  return ok(encodeReply(gen.VirtualMemory_Reserve$Results, (x) => (x.addr = r)));
};

/** unmap and decommit: the pages go away, and so do waiters parked on them. */
export const release: Method = (k, call) => {
  const { t, method } = call;
  const p = decodeParams(call.params, gen.VirtualMemory_Unmap$Params, (x) => ({ addr: x.addr, size: x.size }));
  need(call, EMPTY.length);
  const r = method === "unmap" ? k.as.unmap(p.addr, p.size) : k.as.decommit(p.addr, p.size);
  if (r instanceof VmError) return vmErr(r);
  chargePages(k, p.size);
  k.event(k.logging ? `t${t.id} vm ${method} ${hex(p.addr)}+${hex(p.size)}` : "");
  drain(k, Number(p.addr), Number(p.size), k.logging ? `${method} t${t.id}` : "");
  return ok(EMPTY);
};

/** protect and commit: set the protection of a range (commit also backs it). */
export const setProtection: Method = (k, call) => {
  const { t, method } = call;
  const p = decodeParams(call.params, gen.VirtualMemory_Protect$Params, (x) => ({ addr: x.addr, size: x.size, prot: x.prot }));
  need(call, EMPTY.length);
  const r = method === "protect" ? k.as.protect(p.addr, p.size, p.prot) : k.memOp(() => k.as.commit(p.addr, p.size, p.prot));
  if (r instanceof VmError) return vmErr(r);
  chargePages(k, p.size);
  k.event(k.logging ? `t${t.id} vm ${method} ${hex(p.addr)}+${hex(p.size)} prot=${p.prot}` : "");
  return ok(EMPTY);
};
