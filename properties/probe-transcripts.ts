/**
 * What each committed probe program prints, as its source declares it, and the judge of one
 * probe run by its Console lines (issue 12: a probe is judged by what it prints, not only by
 * its exit status).
 *
 * A run passes when every line parses as one the program prints, every check the program
 * declares is reported exactly once and passed, the failed-check mask on the last line is 0,
 * and the exit status is the program's own function of that mask (capos_probe_status). A run
 * that prints nothing, prints a line the program never prints, or stops before its last
 * check fails.
 *
 * The check lists below are the programs' own (targets/programs/<program>/main.c and main.rs:
 * the names passed to check(), the labels passed to say(), NTHREADS); properties/probes.test.ts
 * reads the sources and fails when they drift apart.
 */

/** A number as capos_line_kv and the programs print them: 0x-hex, or signed decimal. */
const V = "(0x[0-9a-f]+|-?\\d+)";

export interface DeclaredCheck {
  /** Name in failure messages, e.g. "TPPOS" or "thread 1 done". */
  readonly name: string;
  /** The line (after the prefix) that reports it. */
  readonly line: RegExp;
  /** Whether the reported line says the check held; absent: being printed is the check. */
  readonly held?: (m: RegExpExecArray) => boolean;
}

export interface ProbeGrammar {
  readonly program: string;
  /** Console prefix of the C builds; the Rust builds use `<program>.rs: `. */
  readonly prefix: string;
  /** Every line body the program prints (after the prefix). */
  readonly lines: readonly RegExp[];
  readonly checks: readonly DeclaredCheck[];
  /** The last line: group 1 is the failed-check mask. */
  readonly summary: RegExp;
  /** Names of the mask bits, bit 0 first. */
  readonly bits: readonly string[];
}

const re = (body: string) => new RegExp(`^${body}$`);
const isZero = (text: string | undefined) => text !== undefined && BigInt(text) === 0n;

/** The checks tls-probe makes, in the order it makes them (main.c / main.rs check() names). */
export const TLS_PROBE_CHECKS = ["CAPS", "SELF", "TDATA", "DIRECT", "TBSS", "ALIGN", "ADDR", "IMAGE", "WRITE", "TPPOS", "TPALIGN", "GETFS", "PHDR"] as const;
/** NTHREADS of fs-probe and go-contract-probe. */
export const FS_PROBE_THREADS = 3;
export const GO_PROBE_THREADS = 2;
/** The steps go-contract-probe reports with say() from its main thread, each once. */
export const GO_PROBE_STEPS = [
  "c tls", "m0", "futexwakeup idle", "sysReserve", "sysMap", "sysFault", "sysUnused", "unaligned commit",
  "sysFree", "map", "futexsleep ns=0", "futexsleep ns=1e5", "forever sleeper",
] as const;
export const FS_PROBE_LABELS = ["main", "start", "spawned", "setfs", "done", "joined", "result"] as const;

const range = (n: number) => [...Array(n).keys()];

export const PROBE_GRAMMARS: readonly ProbeGrammar[] = [
  {
    program: "tls-probe",
    prefix: "tls-probe: ",
    lines: [
      re(`start ring=${V} pid=${V} capset=${V} tp=${V}`),
      re(`image start=${V} filesz=${V} memsz=${V} align=${V} tlsoff=${V}`),
      re(`check [A-Z]+ (?:ok|FAIL)`),
      re(`var \\w+ addr=${V} value=${V} tpoff=${V}`),
      re(`block start=${V} end=${V}`),
      re(`tp expected=${V} actual=${V} align=${V}`),
      re(`getFsBase status=${V} base=${V}`),
      re(`PT_TLS vaddr=${V} filesz=${V} memsz=${V} align=${V}`),
    ],
    checks: TLS_PROBE_CHECKS.map((name) => ({ name, line: re(`check ${name} (ok|FAIL)`), held: (m) => m[1] === "ok" })),
    summary: re(`done failed=${V}`),
    bits: ["SELF", "TDATA", "DIRECT", "TBSS", "ALIGN", "ADDR", "IMAGE", "WRITE", "TPPOS", "TPALIGN", "GETFS", "PHDR", "CAPS"],
  },
  {
    program: "fs-probe",
    prefix: "fs-probe: ",
    lines: [re(`(?:${FS_PROBE_LABELS.join("|")}) thread=${V} a=${V} b=${V}`)],
    checks: range(FS_PROBE_THREADS).flatMap((i) => [
      // A thread's own failed-check mask, then the value join returned for it.
      { name: `thread ${i} done`, line: re(`done thread=0x${i} a=${V} b=${V}`), held: (m: RegExpExecArray) => isZero(m[1]) },
      { name: `thread ${i} joined`, line: re(`joined thread=0x${i} a=${V} b=${V}`), held: (m: RegExpExecArray) => isZero(m[1]) },
    ]),
    summary: re(`result thread=0x0 a=${V} b=0x0`),
    bits: ["START", "IMAGE", "SETFS", "SWITCH", "MAIN", "CALLS", "RING", "JOIN"],
  },
  {
    program: "go-contract-probe",
    prefix: "go-contract-probe: ",
    lines: [re(`(?:${[...GO_PROBE_STEPS, "m done"].join("|")}) a=${V} b=${V}`)],
    checks: [
      ...GO_PROBE_STEPS.map((step) => ({ name: step, line: re(`${step} a=${V} b=${V}`) })),
      // Each spawned m reports its own failed-check mask.
      ...range(GO_PROBE_THREADS).map((i) => ({ name: `m ${i + 1} done`, line: re(`m done a=0x${i + 1} b=${V}`), held: (m: RegExpExecArray) => isZero(m[1]) })),
    ],
    summary: re(`result failed=${V}`),
    bits: ["GO1", "GO2", "GO3", "GO4", "GO5", "GO6", "GO7", "GO8", "MAP", "VMX1", "CALLS", "CTLS"],
  },
];

/** The exit status a probe computes from its failed-check mask (targets/rt capos_probe_status). */
export function probeStatus(mask: bigint): number {
  return Number(mask & 0x3fn) | (mask >> 6n !== 0n ? 0x40 : 0);
}

export interface ProbeJudgement {
  readonly ok: boolean;
  /** Why not, one entry per problem. */
  readonly problems: readonly string[];
  /** Declared checks reported as held. */
  readonly held: number;
  readonly declared: number;
}

function maskNames(mask: bigint, bits: readonly string[]): string {
  const names = bits.filter((_, i) => (mask >> BigInt(i)) & 1n);
  if (mask >> BigInt(bits.length) !== 0n) names.push(`unknown bits 0x${(mask >> BigInt(bits.length)).toString(16)}<<${bits.length}`);
  return names.join(", ");
}

/**
 * Judge one run of `program` by its Console text and its exit status (undefined when it did
 * not exit: the caller reports that end; the transcript is still judged).
 */
export function judgeProbe(grammar: ProbeGrammar, console: string, exitCode: number | undefined, rust: boolean): ProbeJudgement {
  const prefix = rust ? grammar.prefix.replace(/: $/, ".rs: ") : grammar.prefix;
  const problems: string[] = [];
  const lines = console.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0) return { ok: false, problems: ["printed nothing"], held: 0, declared: grammar.checks.length };
  const bodies: string[] = [];
  for (const [i, line] of lines.entries()) {
    const body = line.startsWith(prefix) ? line.slice(prefix.length) : undefined;
    if (body === undefined || !(grammar.lines.some((r) => r.test(body)) || (i === lines.length - 1 && grammar.summary.test(body)))) {
      problems.push(`line ${i + 1} is not one ${grammar.program} prints: ${JSON.stringify(line.slice(0, 120))}`);
    } else bodies.push(body);
  }
  let held = 0;
  const missing: string[] = [];
  for (const check of grammar.checks) {
    const hits = bodies.map((b) => check.line.exec(b)).filter((m): m is RegExpExecArray => m !== null);
    if (hits.length === 0) missing.push(check.name);
    else if (hits.length > 1) problems.push(`check ${check.name} reported ${hits.length} times`);
    else if (check.held && !check.held(hits[0]!)) problems.push(`check ${check.name} failed: ${prefix}${hits[0]![0]}`);
    else held++;
  }
  if (missing.length > 0) problems.push(`stopped before reporting ${missing.length} of its ${grammar.checks.length} checks: ${missing.join(", ")}`);
  const summary = grammar.summary.exec(bodies[bodies.length - 1] ?? "");
  if (!summary || bodies.length !== lines.length) {
    if (!summary) problems.push(`no final summary line (${prefix}${grammar.summary.source.replace(/^\^|\$$/g, "")})`);
  } else {
    const mask = BigInt(summary[1]!);
    if (mask !== 0n) problems.push(`failed-check mask 0x${mask.toString(16)}: ${maskNames(mask, grammar.bits)}`);
    if (exitCode !== undefined && exitCode !== probeStatus(mask))
      problems.push(`exit status ${exitCode} is not the probe's status ${probeStatus(mask)} for mask 0x${mask.toString(16)}`);
  }
  return { ok: problems.length === 0, problems, held, declared: grammar.checks.length };
}
