/**
 * What a capability method gets and gives back. A method decodes its params, checks that its
 * result fits (`need`, before any effect), does its work and returns an `Outcome`; call.ts
 * turns the outcome into a completion.
 */
import type { CapRef } from "../captable.js";
import type { Kernel } from "../kernel.js";
import type { Thread } from "../threads.js";

/** CapException types by their binding name (binding.exceptionTypes keys). */
export type ExcName = "failed" | "overloaded" | "disconnected" | "unimplemented" | "invalidArgument";

export type Outcome =
  | { readonly kind: "ok"; readonly result: Uint8Array; readonly capId?: number; readonly interfaceId?: bigint }
  | { readonly kind: "exc"; readonly type: ExcName; readonly message: string }
  /** Completed later (join, sleep): the method queued the completion itself. */
  | { readonly kind: "async" }
  /** The calling thread or the process ended. */
  | { readonly kind: "stop" };

/** One CALL as a method sees it. */
export interface Call {
  readonly t: Thread;
  readonly cap: CapRef;
  readonly method: string;
  /** The params message: read it during the call, keep no view of it (the buffer is reused). */
  readonly params: Uint8Array;
  readonly userData: bigint;
  /** Result buffer address and length. */
  readonly ra: number;
  readonly rl: number;
}

export type Method = (k: Kernel, call: Call) => Outcome;

/** Thrown by `need` when the result buffer is too small: the CALL fails before any effect. */
export class ResultTooSmall extends Error {}

export function need(call: Call, size: number): void {
  if (size > call.rl) throw new ResultTooSmall();
}

/** A result (no spread of `extra`: one object per CALL, of one shape or the other). */
export const ok = (result: Uint8Array, extra?: { capId?: number; interfaceId?: bigint }): Outcome =>
  extra ? { kind: "ok", result, capId: extra.capId, interfaceId: extra.interfaceId } : { kind: "ok", result };
export const exc = (type: ExcName, message: string): Outcome => ({ kind: "exc", type, message });

const U64 = (1n << 64n) - 1n;
const CANON_LOW = 1n << 47n;
const CANON_HIGH = 0xffff_8000_0000_0000n;

/** A canonical x86-64 address (FS bases must be). */
export function canonical(v: bigint): boolean {
  return v < CANON_LOW || (v >= CANON_HIGH && v <= U64);
}
