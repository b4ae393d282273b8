/**
 * The checker verdict corpus (model/fixtures/checker-corpus.json): agent scripts, runs an
 * implementation produced for them (and mutants of those runs), and the verdict the checker
 * gave each when the corpus was recorded (tools/checker-corpus.ts). JSON with bigints as hex
 * strings and records in the agent's own console format.
 */
import { formatObservation, parseObservations, type Script, type ScriptOp } from "../../spec/agent-protocol.js";
import type { AgentEnv } from "../agent.js";
import type { CheckResult, EndState, ObservedRun } from "../checker.js";

/** What a verdict is, for comparing two checkers: ok, or not ok with its reason and the record it names. */
export interface VerdictSummary {
  readonly ok: boolean;
  readonly undecided?: boolean;
  readonly reason?: string;
  readonly at?: number;
}

export function verdictOf(r: CheckResult): VerdictSummary {
  if (r.ok) return { ok: true };
  return { ok: false, ...(r.undecided ? { undecided: true } : {}), reason: r.reason, ...(r.atObservation !== undefined ? { at: r.atObservation } : {}) };
}

export interface CorpusRun {
  readonly what: string;
  readonly run: ObservedRun;
  readonly verdict: VerdictSummary;
}

export interface CorpusCase {
  readonly property: string;
  /** Which implementation produced the runs: the emulator, one of its policies, or a seeded bug. */
  readonly source: string;
  readonly script: Script;
  readonly env: AgentEnv;
  readonly runs: readonly CorpusRun[];
}

export interface CorpusFile {
  readonly seed: number;
  readonly perProperty: number;
  readonly reports: { readonly faultAddress?: boolean; readonly faultThread?: boolean };
  readonly cases: readonly CorpusCase[];
}

/**
 * The environment the corpus keeps: the image's segment layout and PT_TLS, without the
 * segments' bytes (a read of a read-only segment then reads zeros; the recorder keeps only
 * runs whose verdict does not depend on it).
 */
export function corpusEnv(env: AgentEnv): AgentEnv {
  return {
    ...(env.segments ? { segments: env.segments.map((s) => ({ vaddr: s.vaddr, memsz: s.memsz, writable: s.writable, bytes: new Uint8Array(0) })) } : {}),
    ...(env.ptTls ? { ptTls: env.ptTls } : {}),
  };
}

const hex = (x: bigint): string => x.toString(16);
const big = (x: string): bigint => BigInt("0x" + x);

type Json = Record<string, unknown>;

function encodeOp(op: ScriptOp): unknown[] {
  return [op.kind, op.dst ?? 0, op.base ?? 0, hex(op.a ?? 0n), hex(op.b ?? 0n), hex(op.c ?? 0n)];
}

function decodeOp(x: unknown[]): ScriptOp {
  const [kind, dst, base, a, b, c] = x as [number, number, number, string, string, string];
  return { kind: kind as ScriptOp["kind"], ...(dst ? { dst } : {}), ...(base ? { base } : {}), a: big(a), b: big(b), c: big(c) };
}

function encodeEnd(e: EndState): Json {
  return e.kind === "fault" ? { ...e, ...(e.addr !== undefined ? { addr: hex(e.addr) } : {}) } : { ...e };
}

function decodeEnd(x: Json): EndState {
  return (x.kind === "fault" && typeof x.addr === "string" ? { ...x, addr: big(x.addr) } : x) as unknown as EndState;
}

function encodeRun(r: ObservedRun): Json {
  return {
    records: r.observations.map((o) => formatObservation(o).trimEnd()),
    end: encodeEnd(r.end),
    ...(r.clockNs !== undefined ? { clockNs: hex(r.clockNs) } : {}),
    ...(r.clockStartNs !== undefined ? { clockStartNs: hex(r.clockStartNs) } : {}),
  };
}

function decodeRun(x: Json): ObservedRun {
  return {
    observations: parseObservations((x.records as string[]).join("\n")).observations,
    end: decodeEnd(x.end as Json),
    ...(typeof x.clockNs === "string" ? { clockNs: big(x.clockNs) } : {}),
    ...(typeof x.clockStartNs === "string" ? { clockStartNs: big(x.clockStartNs) } : {}),
  };
}

export function encodeCase(c: CorpusCase): CorpusCase {
  return {
    property: c.property,
    source: c.source,
    script: { threads: c.script.threads.map((ops) => ops.map(encodeOp)) } as unknown as Script,
    env: { ...(c.env.segments ? { segments: c.env.segments.map(({ vaddr, memsz, writable }) => ({ vaddr, memsz, writable })) } : {}), ...(c.env.ptTls ? { ptTls: c.env.ptTls } : {}) } as AgentEnv,
    runs: c.runs.map((r) => ({ what: r.what, run: encodeRun(r.run) as unknown as ObservedRun, verdict: r.verdict })),
  };
}

export function decodeCorpus(x: Json): CorpusFile {
  const cases = (x.cases as Json[]).map((c): CorpusCase => {
    const env = c.env as { segments?: { vaddr: number; memsz: number; writable: boolean }[]; ptTls?: AgentEnv["ptTls"] };
    return {
      property: c.property as string,
      source: c.source as string,
      script: { threads: ((c.script as Json).threads as unknown[][][]).map((ops) => ops.map(decodeOp)) },
      env: corpusEnv({ ...(env.segments ? { segments: env.segments.map((s) => ({ ...s, bytes: new Uint8Array(0) })) } : {}), ...(env.ptTls ? { ptTls: env.ptTls } : {}) }),
      runs: (c.runs as Json[]).map((r) => ({ what: r.what as string, run: decodeRun(r.run as Json), verdict: r.verdict as VerdictSummary })),
    };
  });
  return { seed: x.seed as number, perProperty: x.perProperty as number, reports: x.reports as CorpusFile["reports"], cases };
}
