/**
 * Typed guest faults and the reasons run() stops. Imports nothing, so every CPU module
 * (memory, operands, ops) can raise a fault without an import cycle.
 */
/** CPU exceptions reported to the personality. */
export type Fault =
  | { type: "#PF"; addr: bigint; access: "read" | "write" | "exec" }
  | { type: "#GP"; addr?: bigint; reason?: string }
  | { type: "#UD"; bytes: Uint8Array; reason?: string }
  | { type: "#DE" }
  | { type: "#BP" }
  | { type: "#MF" }
  | { type: "#XM" }
  | { type: "#AC" }
  | { type: "INT"; vector: number };

/** Why run() returned. A closed union: every case is handled by the personality. */
export type Stop =
  | { kind: "syscall" }
  | { kind: "fault"; fault: Fault }
  | { kind: "budget" }
  | { kind: "hlt" };

/** Thrown inside the CPU for guest exceptions; run() converts it into a Stop. */
export class GuestFault {
  constructor(readonly fault: Fault) {}
}

export function pf(addr: number, access: "read" | "write" | "exec"): GuestFault {
  return new GuestFault({ type: "#PF", addr: BigInt.asUintN(64, BigInt(Math.trunc(addr))), access });
}
export function gp(reason?: string, addr?: number): GuestFault {
  const f: Fault = addr === undefined ? { type: "#GP", reason } : { type: "#GP", reason, addr: BigInt.asUintN(64, BigInt(Math.trunc(addr))) };
  return new GuestFault(f);
}
export function de(): GuestFault {
  return new GuestFault({ type: "#DE" });
}
