/**
 * A failing agent run decoded for people: every op with its name and operands
 * (`t1 PARK(word@0x1_0000_0000, expect 0, forever) → drained`), the first record the model
 * could not explain, what it would have allowed there, and the run as a per-thread timeline
 * in logical time (position = number of records printed so far). The reports draw the
 * timeline (reports/html.ts); the CLI prints the lines (tools/cli/explain.ts).
 */
import type { Binding } from "../spec/binding.js";
import { OP, opName, type Observation, type Script, type ScriptOp } from "../spec/agent-protocol.js";

/** What a timeline bar is marked with. */
export type TimelineMark = "park" | "wake" | "drain" | "timeout" | "fault" | "spawn" | "exit" | "unexplained" | "no-record";

export interface TimelineOp {
  readonly thread: number;
  readonly index: number;
  /** The call, decoded: `PARK(word@0x1_0000, expect 0, forever)`. */
  readonly call: string;
  /** The recorded outcome, decoded; absent when the op printed no record. */
  readonly outcome?: string;
  /** Logical start: records printed before the call (the thread's previous record). */
  readonly start: number;
  /** Logical end: position of its record + 1; absent when it printed none. */
  readonly end?: number;
  readonly marks: readonly TimelineMark[];
}

export interface RunExplanation {
  readonly threads: number;
  /** Records printed (the timeline's length). */
  readonly records: number;
  readonly ops: readonly TimelineOp[];
  /** The end state, decoded. */
  readonly end: string;
  /** The first record the model could not explain (or the end state), decoded. */
  readonly firstUnexplained?: string;
  /** What the model allowed at that point, decoded. */
  readonly allowed: readonly string[];
  /** The model's reason. */
  readonly why: string;
  /** Thread switches of the implementation, placed between records (from its event log, when it keeps one). */
  readonly switches?: readonly { readonly at: number; readonly from: string; readonly to: string }[];
}

/**
 * Thread switches from an implementation's event log, each placed at the number of records
 * printed before it. The log names switches `switch tA->tB` and each record's write as a
 * `Console.write` call (the emulator's format); the implementation's thread names are its
 * own, not the script's. Writes are matched to records from the end, so a log that lost its
 * start still places its switches.
 */
export function switchesFromEvents(events: readonly string[], records: number): { at: number; from: string; to: string }[] {
  const isWrite = (e: string) => /\bConsole\.write$/.test(e);
  const writes = events.filter(isWrite).length;
  let seen = 0;
  const out: { at: number; from: string; to: string }[] = [];
  for (const e of events) {
    if (isWrite(e)) seen++;
    const m = /^\d+ switch (\S+)->(\S+)/.exec(e);
    if (m) out.push({ at: Math.max(0, Math.min(records, records - (writes - seen))), from: m[1]!, to: m[2]! });
  }
  return out;
}

/** 0x1_0000_0000: hex in groups of four digits. */
export function hex(v: bigint): string {
  const digits = (v & ((1n << 64n) - 1n)).toString(16);
  return "0x" + digits.replace(/\B(?=([0-9a-f]{4})+$)/g, "_");
}

function prot(b: Binding, p: bigint | undefined): string {
  const v = Number(p ?? 0n);
  const f = b.vm.prot;
  const s = `${v & f.read ? "r" : "-"}${v & f.write ? "w" : "-"}${v & f.exec ? "x" : "-"}`;
  return v & ~(f.read | f.write | f.exec) ? `${s}+${hex(BigInt(v))}` : s;
}

function addr(op: ScriptOp, what: string): string {
  const a = hex(op.a ?? 0n);
  return op.base ? `${what}@r${op.base}+${a}` : `${what}@${a}`;
}

function ns(b: Binding, v: bigint | undefined): string {
  if ((v ?? 0n) === b.park.timeoutForever) return "forever";
  return `${v ?? 0n} ns`;
}

/** The call of one script op, decoded. */
export function describeCall(op: ScriptOp, b: Binding): string {
  const name = opName(op.kind) ?? `op${op.kind}`;
  const size = `${hex(op.b ?? 0n)} bytes`;
  switch (op.kind) {
    case OP.MAP:
      return `MAP(${addr(op, "hint")}, ${size}, ${prot(b, op.c)})`;
    case OP.RESERVE:
      return `RESERVE(${addr(op, "hint")}, ${size})`;
    case OP.UNMAP:
    case OP.DECOMMIT:
      return `${name}(${addr(op, "addr")}, ${size})`;
    case OP.PROTECT:
    case OP.COMMIT:
      return `${name}(${addr(op, "addr")}, ${size}, ${prot(b, op.c)})`;
    case OP.LOAD:
      return `LOAD(${addr(op, "mem")}, ${op.b ?? 0n} bytes)`;
    case OP.STORE:
      return `STORE(${addr(op, "mem")}, ${op.b ?? 0n} bytes, ${hex(op.c ?? 0n)})`;
    case OP.PARK:
      return `PARK(${addr(op, "word")}, expect ${op.b ?? 0n}, ${ns(b, op.c)})`;
    case OP.UNPARK:
      return `UNPARK(${addr(op, "word")}, ${(op.b ?? 0n) === BigInt(b.park.unparkAll) ? "all" : `count ${op.b ?? 0n}`})`;
    case OP.SPAWN:
    case OP.JOIN:
      return `${name}(t${op.a ?? 0n})`;
    case OP.SET_FS:
      return `SET_FS(${op.base ? `r${op.base}+` : ""}${hex(op.a ?? 0n)})`;
    case OP.TLS_READ:
    case OP.TLS_ADDR:
      return `${name}(var ${op.a ?? 0n})`;
    case OP.TLS_WRITE:
      return `TLS_WRITE(var ${op.a ?? 0n}, ${hex(op.b ?? 0n)})`;
    case OP.SLEEP:
      return `SLEEP(${ns(b, op.a)})`;
    case OP.EXIT:
    case OP.THREAD_EXIT:
      return `${name}(${op.a ?? 0n})`;
    default:
      return `${name}()`;
  }
}

/** A record's outcome in the op's terms (park result names, numbers woken, errors). */
export function describeOutcome(op: ScriptOp | undefined, status: string, value: string, b: Binding): string {
  if (status === "exc") return `exception ${value}`;
  if (status === "err") return `transport error ${value}`;
  if (value.startsWith("<")) return value.replace(/^<|>$/g, "");
  const v = BigInt("0x" + value);
  if (op?.kind === OP.PARK) {
    const name = Object.entries(b.park.results).find(([, code]) => BigInt(code) === v)?.[0];
    return name === "timedOut" ? "timed out" : (name ?? `result ${v}`);
  }
  if (op?.kind === OP.UNPARK) return `woke ${v}`;
  if (op?.kind === OP.JOIN) return `joined, value ${hex(v)}`;
  return v === 0n ? "ok" : `ok ${hex(v)}`;
}

/** `@1 <t> <op> <status> <value>` (records and the checker's allowed records), decoded. */
export function describeRecordText(text: string, script: Script, b: Binding): string {
  if (text.startsWith("end: ")) return text;
  const m = /^@1 (\d+) (\d+) (?:(ok|exc|err) )?(.*)$/.exec(text.trim());
  if (!m) return text;
  const t = Number(m[1]);
  const op = script.threads[t]?.[Number(m[2])];
  const call = op ? describeCall(op, b) : `op ${m[2]}`;
  return `t${t} ${call} → ${m[3] ? describeOutcome(op, m[3], m[4]!, b) : m[4]!.replace(/^<|>$/g, "")}`;
}

function recordText(o: Observation): string {
  return `@1 ${o.thread} ${o.op} ${o.status} ${o.status === "ok" ? o.value.toString(16) : o.value.toString(10)}`;
}

function marksOf(op: ScriptOp, outcome: string | undefined): TimelineMark[] {
  const marks: TimelineMark[] = [];
  if (op.kind === OP.PARK) marks.push(outcome === "drained" ? "drain" : outcome === "timed out" ? "timeout" : "park");
  if (op.kind === OP.UNPARK) marks.push("wake");
  if (op.kind === OP.SPAWN) marks.push("spawn");
  if (op.kind === OP.EXIT || op.kind === OP.THREAD_EXIT) marks.push("exit");
  return marks;
}

/**
 * The explanation of a failing run: `atRecord` is the first record the model could not
 * explain (records.length: the end state), `allowed` and `why` the checker's words.
 */
export function explainAgentRun(
  script: Script,
  records: readonly Observation[],
  end: { text: string; fault: boolean },
  check: { atRecord?: number; allowed?: readonly string[]; why: string },
  b: Binding,
  events?: readonly string[],
): RunExplanation {
  const ops: TimelineOp[] = [];
  const pc = script.threads.map(() => 0);
  // Where each thread's current op started: thread 0 at once, a spawned thread when its
  // SPAWN call started (its records can come before the SPAWN's own record).
  const lastRecord: number[] = script.threads.map((_, t) => (t === 0 ? 0 : -1));
  const startOf = (t: number): number => {
    if (lastRecord[t]! >= 0) return lastRecord[t]!;
    const spawner = script.threads.findIndex((ops_, s) => ops_[pc[s]!]?.kind === OP.SPAWN && Number(ops_[pc[s]!]!.a ?? 0n) === t);
    return spawner >= 0 ? Math.max(0, lastRecord[spawner]!) : 0;
  };
  records.forEach((o, i) => {
    const op = script.threads[o.thread]?.[o.op];
    if (!op) return;
    const outcome = describeOutcome(op, o.status, o.status === "ok" ? o.value.toString(16) : o.value.toString(10), b);
    const marks = marksOf(op, outcome);
    if (i === check.atRecord) marks.push("unexplained");
    ops.push({ thread: o.thread, index: o.op, call: describeCall(op, b), outcome, start: startOf(o.thread), end: i + 1, marks });
    lastRecord[o.thread] = i + 1;
    pc[o.thread] = o.op + 1;
    const spawned = Number(op.a ?? 0n);
    if (op.kind === OP.SPAWN && o.status === "ok" && lastRecord[spawned] !== undefined && lastRecord[spawned]! < 0) lastRecord[spawned] = i + 1;
  });
  // Ops that started but printed no record: the faulting op, the ones blocked at a hang.
  script.threads.forEach((ops_, t) => {
    const op = ops_[pc[t]!];
    if (op && lastRecord[t]! >= 0) {
      const marks: TimelineMark[] = [...marksOf(op, undefined), "no-record"];
      if (end.fault) marks.push("fault");
      if (check.atRecord === records.length) marks.push("unexplained");
      ops.push({ thread: t, index: pc[t]!, call: describeCall(op, b), start: lastRecord[t]!, marks });
    }
  });
  const at = check.atRecord;
  return {
    threads: script.threads.length,
    records: records.length,
    ops,
    end: end.text,
    ...(at !== undefined ? { firstUnexplained: at < records.length ? describeRecordText(recordText(records[at]!), script, b) : `end: ${end.text}` } : {}),
    allowed: (check.allowed ?? []).map((a) => describeRecordText(a, script, b)),
    why: check.why,
    ...(events && events.length > 0 ? { switches: switchesFromEvents(events, records.length) } : {}),
  };
}
