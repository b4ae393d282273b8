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
 * How the runner ended a case an implementation did not end by itself. These never come from
 * an implementation: the runner imposes them on one it drives as a process
 * (spec/runner-protocol.md). Each is a failure of the case, never a conforming end.
 */
export type LimitEnd =
  /** The per-case wall-clock limit fired; the runner killed the process group. */
  | { readonly kind: "timeout"; readonly ms: number }
  /** stdout (Console) or stderr passed the runner's per-case cap; the runner killed it. */
  | { readonly kind: "output-limit"; readonly stream: "stdout" | "stderr"; readonly bytes: number }
  /** The implementation broke the runner protocol: killed by a signal, a malformed result
   *  line, died in the middle of a batch. */
  | { readonly kind: "broken"; readonly reason: string };

/** How one case ended: as the implementation reported it, or by a runner limit. */
export type CaseEnd = EndState | LimitEnd;

/** One line for a runner-imposed end, e.g. "ended by the per-case wall-clock limit (2s)". */
export function describeLimitEnd(end: LimitEnd): string {
  switch (end.kind) {
    case "timeout":
      return `ended by the per-case wall-clock limit (${formatDuration(end.ms)})`;
    case "output-limit":
      return `ended by the runner: ${end.stream} passed the per-case cap of ${end.bytes} bytes`;
    case "broken":
      return `the implementation broke the runner protocol: ${end.reason}`;
  }
}

export function isLimitEnd(end: CaseEnd): end is LimitEnd {
  return end.kind === "timeout" || end.kind === "output-limit" || end.kind === "broken";
}

/** "2s", "1500ms", "2m": the form durations are given in on the command line and in adapter files. */
export function formatDuration(ms: number): string {
  return ms % 60_000 === 0 && ms > 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Parse "500ms", "2s", "2m" or a bare number of seconds; undefined when malformed or not positive. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? "s") as "ms" | "s" | "m"]);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

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

/**
 * How a case's interleaving was steered: by the implementation's schedule control (a
 * Schedule), by delays and yields the guest itself carries (works on any implementation), or
 * not at all. Reports say, per property, how many cases had each.
 */
export type Steering = "schedule" | "guest" | "none";
export const STEERINGS: readonly Steering[] = ["schedule", "guest", "none"];

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
  // Strict: Number() would read "" as 0, "0x10" as 16 and anything else as NaN, which a PRNG
  // seeds as 0, so a mistyped schedule would silently run another interleaving than the one
  // a repro line names.
  const parts = text.split(":");
  if (parts.length !== 3) throw new Error(`bad schedule "${text}": expected seed:quantum:pick.quantum,... (empty parts allowed)`);
  const [seed, quantum, list] = parts as [string, string, string];
  const whole = (t: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const n = /^\d+$/.test(t) ? Number(t) : NaN;
    if (!(n >= min && n <= max)) throw new Error(`bad schedule "${text}": ${what} "${t}" is not a whole number from ${min} to ${max}`);
    return n;
  };
  const decisions = list === "" ? [] : list.split(",").map((d) => {
    const pq = d.split(".");
    if (pq.length !== 2) throw new Error(`bad schedule decision "${d}"`);
    return { pick: whole(pq[0]!, "pick", 0), quantum: whole(pq[1]!, "quantum", 0) };
  });
  const out: { decisions: typeof decisions; seed?: number; defaultQuantum?: number } = { decisions };
  if (seed !== "") out.seed = whole(seed, "seed", 0, 2 ** 32 - 1);
  if (quantum !== "") out.defaultQuantum = whole(quantum, "default quantum", 1);
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
    case COMMAND_STATUS.faultPF:
      return faultFromDetail(stderr);
    default:
      return { kind: "exit", code: status };
  }
}

/**
 * The fault behind status 139 from its detail text: `#PF at 0x<hex> <read|write|exec>
 * [thread <n>]` (the protocol's form) or `#PF addr=0x<hex> ...` (run-elf's own stderr); a
 * text naming #GP and no #PF is a #GP; otherwise a #PF without details.
 */
export function faultFromDetail(text: string): EndState {
  if (/#GP/.test(text) && !/#PF/.test(text)) return { kind: "fault", fault: "#GP" };
  const m = /#PF\b[^\n]*?(?:\bat\s+|addr=)(0x[0-9a-f]+)(?:\s+(read|write|exec)\b)?(?:[^\n]*?\bthread\s+(\d+))?/i.exec(text);
  if (!m?.[1]) return { kind: "fault", fault: "#PF" };
  return {
    kind: "fault",
    fault: "#PF",
    addr: BigInt(m[1]),
    ...(m[2] ? { access: m[2].toLowerCase() as "read" | "write" | "exec" } : {}),
    ...(m[3] ? { thread: Number(m[3]) } : {}),
  };
}

/**
 * The end a protocol status stands for, as the runner records it: COMMAND_STATUS and guest exit
 * codes 0..127 as endStateFromCommandStatus reads them; any other status (128..255 other than
 * the fault statuses, e.g. 137 for a process killed inside a wrapper) is outside the protocol.
 */
export function caseEndFromStatus(status: number, detail = ""): CaseEnd {
  const known = (Object.values(COMMAND_STATUS) as number[]).includes(status);
  if (!Number.isInteger(status) || status < 0 || status > 255 || (status > 127 && !known))
    return { kind: "broken", reason: `exit status ${status} is not a protocol status${detail.trim() ? ` (${lastLine(detail)})` : ""}` };
  return endStateFromCommandStatus(status, detail);
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop()!.slice(0, 200);
}
