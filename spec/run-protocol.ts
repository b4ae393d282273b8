/**
 * What a conformance run hands an implementation and what it gets back.
 *
 * Shared vocabulary between the conformance runner, the implementation adapters and the
 * reports. The model and the emulator each convert to and from it on their own side; neither
 * imports the other.
 */

/** How a process ended, as an implementation reports it. */
export type EndState =
  | { readonly kind: "exit"; readonly code: number }
  | {
      readonly kind: "fault";
      readonly fault: "#PF" | "#GP" | "#UD" | "#DE";
      /** Faulting address for #PF. */
      readonly addr?: bigint;
      readonly access?: "read" | "write" | "exec";
      /** The faulting thread's creation index: 0 = initial, k = the k-th thread the process created. */
      readonly thread?: number;
    }
  /** Every thread blocked with nothing that could ever wake one. */
  | { readonly kind: "hang" }
  /** The instruction or memory budget ran out. */
  | { readonly kind: "budget"; readonly what: "instructions" | "memory" }
  /** The implementation refused the image (malformed ELF, TLS too large, ...). */
  | { readonly kind: "rejected"; readonly reason: string };

/**
 * A schedule: the decisions a controllable implementation takes at each scheduling point
 * (a thread blocks, exits, makes a syscall, or its quantum expires).
 *
 * Decision i picks runnable thread `pick mod runnable.length` (runnable threads ordered by
 * thread id) and lets it run for at most `quantum` instructions (0 = until it blocks or makes
 * a syscall). When the decisions run out, the implementation continues with a PRNG seeded by
 * `seed` (or round-robin with `defaultQuantum` when no seed is given). Removing decisions
 * from the end or the middle always yields a valid schedule, which is what shrinking needs.
 */
export interface Schedule {
  readonly decisions: readonly { readonly pick: number; readonly quantum: number }[];
  readonly seed?: number;
  readonly defaultQuantum?: number;
}

export const DEFAULT_QUANTUM = 10_000;

/** A short stable id for a schedule, used in repro lines and reports. */
export function scheduleId(s: Schedule): string {
  const text = JSON.stringify(s);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** Serialize a schedule as a compact string: "seed:quantum:p.q,p.q,..." (empty parts allowed). */
export function encodeSchedule(s: Schedule): string {
  return `${s.seed ?? ""}:${s.defaultQuantum ?? ""}:${s.decisions.map((d) => `${d.pick}.${d.quantum}`).join(",")}`;
}

export function decodeSchedule(text: string): Schedule {
  const [seed = "", quantum = "", list = ""] = text.split(":");
  const decisions = list === "" ? [] : list.split(",").map((d) => {
    const [p, q] = d.split(".");
    const pick = Number(p);
    const qn = Number(q);
    if (!Number.isInteger(pick) || pick < 0 || !Number.isInteger(qn) || qn < 0) throw new Error(`bad schedule decision "${d}"`);
    return { pick, quantum: qn };
  });
  const out: { decisions: typeof decisions; seed?: number; defaultQuantum?: number } = { decisions };
  if (seed !== "") out.seed = Number(seed);
  if (quantum !== "") out.defaultQuantum = Number(quantum);
  return out;
}

/**
 * Exit statuses of a `run-elf`-style command, so that a command adapter can recover the end
 * state of an implementation it can only see as a process. 0..127 is the guest's own exit
 * code (& 0x7f is not applied: codes >= 128 are reported by the guest only as code & 0xff and
 * may be misread as faults; the suite's guests exit with codes < 128).
 */
export const COMMAND_STATUS = {
  /** The image was refused (POSIX shells use 126 for "found but cannot execute"). */
  rejected: 126,
  budget: 124,
  hang: 125,
  faultUD: 132,
  faultDE: 136,
  faultPF: 139,
  faultGP: 139,
} as const;

/** The end state a command's exit status stands for (see COMMAND_STATUS). */
export function endStateFromCommandStatus(status: number, stderr = ""): EndState {
  switch (status) {
    case COMMAND_STATUS.budget:
      return { kind: "budget", what: "instructions" };
    case COMMAND_STATUS.hang:
      return { kind: "hang" };
    case COMMAND_STATUS.rejected:
      return { kind: "rejected", reason: stderr.trim().split("\n").pop() || "image rejected" };
    case COMMAND_STATUS.faultUD:
      return { kind: "fault", fault: "#UD" };
    case COMMAND_STATUS.faultDE:
      return { kind: "fault", fault: "#DE" };
    case COMMAND_STATUS.faultPF: {
      const m = /#PF[^0-9a-fx]*(0x[0-9a-f]+)?.*?(read|write|exec)?/i.exec(stderr);
      const fault: EndState = { kind: "fault", fault: "#PF" };
      return m?.[1] ? { ...fault, addr: BigInt(m[1]), ...(m[2] ? { access: m[2].toLowerCase() as "read" | "write" | "exec" } : {}) } : fault;
    }
    default:
      return { kind: "exit", code: status };
  }
}
