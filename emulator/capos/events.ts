/**
 * The event log: one fixed-format line per kernel event, each prefixed with the global
 * instruction count (format in README.md). Bounded: after `max` lines one "log truncated"
 * line is kept and later events are dropped.
 */
import type { EndState } from "../../spec/run-protocol.js";

export const hex = (v: number | bigint) => "0x" + v.toString(16);

export class EventLog {
  readonly lines: string[] = [];
  constructor(private readonly max: number) {}

  /** Whether the next line's text is kept (hot paths build a text only then; see Kernel.logging). */
  get keeps(): boolean {
    return this.lines.length < this.max;
  }

  /** Add a line (a caller builds its text only when `keeps`; a run without a trace keeps none). */
  add(icount: number, text: string): void {
    if (this.lines.length < this.max) this.lines.push(`${icount} ${text}`);
    else if (this.lines.length === this.max) this.lines.push(`${icount} log truncated`);
  }
}

/** The text of an `end ...` line. */
export function describeEnd(e: EndState): string {
  return e.kind === "exit"
    ? `exit ${e.code}`
    : e.kind === "fault"
      ? `fault ${e.fault}${e.addr !== undefined ? " " + hex(e.addr) : ""}${e.access ? " " + e.access : ""} t${e.thread}`
      : e.kind === "budget"
        ? `budget ${e.what}`
        : e.kind;
}
