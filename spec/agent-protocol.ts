/**
 * The agent protocol: how a property test tells the `agent` guest what to do, and how the
 * agent reports what happened.
 *
 * The harness writes an op script into the agent ELF's `.capos_script` section (patched in
 * place, no rebuild per case). The agent runs the ops of thread 0; a SPAWN op starts
 * another script thread in a new capOS thread. After every op the agent writes one
 * observation record over Console. A fault ends the process without a record for the
 * faulting op: the harness learns it from the process's end state.
 *
 * This is our own protocol, not part of the capOS ABI, but like the ABI it lives in spec/
 * so the agent (targets/), the model, the generators and the reports share one definition.
 *
 * Script binary layout, little-endian:
 *   header   16 B: magic u32 "CSC1", version u16, threadCount u16, opCount u32, reserved u32
 *   threads  threadCount x 8 B: firstOp u32, opCount u32   (thread 0 is the initial thread)
 *   ops      opCount x 32 B:
 *              0 kind u8   1 dst u8   2 base u8   3 reserved u8   4 reserved u32
 *              8 a u64    16 b u64   24 c u64
 * Registers r1..r15 are shared by all script threads; r0 reads as 0. `dst` names the
 * register that receives an ok result (0 = discard). `base` names a register added to `a`
 * (the address operand of memory ops), so scripts can use addresses the kernel chose.
 *
 * Observation record, one ASCII line per op:
 *   "@1 <thread> <opIndex> <status> <value>\n"
 *   status "ok"  -> value is the result as lowercase hex without 0x
 *   status "exc" -> value is the CapException type (decimal)
 *   status "err" -> value is the negative transport error (decimal)
 * opIndex is the index within the thread's op list.
 *
 * Op semantics the model relies on:
 * - `base` is added to `a` for every op kind; `dst` receives an ok result before the record
 *   is printed; void methods report ok with value 0.
 * - TLS_READ/TLS_WRITE access the variable at `%fs:tpoff` (so after SET_FS they go wherever
 *   FS points); TLS_ADDR is `%fs:0 + tpoff`. Spawned threads get a fresh TLS block
 *   initialised from the PT_TLS template, with the self-pointer at its TP.
 * - SPIN busy-waits `a` iterations without a syscall and reports ok 0; with YIELD and SLEEP it
 *   is how a script carries its own steering (per-thread delays) to kernels without schedule control.
 * - EXIT's code is the low 8 bits of `a`. SPAWN of a thread index that does not exist or is
 *   already started, and JOIN of one never spawned, end the agent with AGENT_BAD_SCRIPT_EXIT.
 *
 * The agent makes no capability calls of its own besides Console writes, cap_enter and the
 * calls its ops name: stacks and TLS blocks for spawned script threads come from static
 * `.bss` (at most AGENT_MAX_THREADS threads), so the address space the model tracks is
 * exactly the one the script builds. When thread 0 runs out of ops the agent calls
 * exit(0); any other thread calls ThreadControl.exit(0).
 */

export const SCRIPT_MAGIC = 0x3143_5343; // "CSC1"
export const SCRIPT_VERSION = 1;
export const SCRIPT_HEADER_SIZE = 16;
export const SCRIPT_THREAD_ENTRY_SIZE = 8;
export const SCRIPT_OP_SIZE = 32;
/** Capacity of the agent's `.capos_script` section. */
export const SCRIPT_CAPACITY = 64 * 1024;
export const SCRIPT_REGISTERS = 16;
export const SCRIPT_SECTION = ".capos_script";
export const SCRIPT_SYMBOL = "capos_script";
/** Exit status of an agent that found its script malformed. */
export const AGENT_BAD_SCRIPT_EXIT = 238;
/** Script threads the agent can run, thread 0 included. */
export const AGENT_MAX_THREADS = 8;
/** Number of TLS variables the agent declares (see TLS_READ). */
export const AGENT_TLS_VARS = 4;
/**
 * Initial values of the agent's TLS variables, by index: 0 and 1 are `.tdata` u64s, 2 is a
 * `.tbss` u64, 3 is a 64-byte-aligned `.tdata` u64.
 */
export const AGENT_TLS_INITIAL: readonly bigint[] = [0x1122_3344_5566_7788n, 0xa5a5_0000_5a5a_ffffn, 0n, 0x0123_4567_89ab_cdefn];

/** Op kinds. Operands: a, b, c as listed; `a` is address-like where `base` applies. */
export const OP = {
  /** VirtualMemory.map(hint=a, size=b, prot=c) -> addr */
  MAP: 1,
  /** VirtualMemory.unmap(addr=a, size=b) */
  UNMAP: 2,
  /** VirtualMemory.protect(addr=a, size=b, prot=c) */
  PROTECT: 3,
  /** VirtualMemory.reserve(hint=a, size=b) -> addr */
  RESERVE: 4,
  /** VirtualMemory.commit(addr=a, size=b, prot=c) */
  COMMIT: 5,
  /** VirtualMemory.decommit(addr=a, size=b) */
  DECOMMIT: 6,
  /** load b bytes (1..8) at a -> zero-extended value */
  LOAD: 7,
  /** store the low b bytes (1..8) of c at a */
  STORE: 8,
  /** PARK word a, expected b (u32), timeout c ns -> park result code */
  PARK: 9,
  /** UNPARK word a, count b -> number woken */
  UNPARK: 10,
  /** start script thread a in a new capOS thread -> 0 */
  SPAWN: 11,
  /** join script thread a -> its exit value */
  JOIN: 12,
  /** ThreadControl.setFsBase(a) */
  SET_FS: 13,
  /** ThreadControl.getFsBase() -> base */
  GET_FS: 14,
  /** read agent TLS variable a (u64) -> value */
  TLS_READ: 15,
  /** write b to agent TLS variable a */
  TLS_WRITE: 16,
  /** address of agent TLS variable a, as the compiler computes it -> addr */
  TLS_ADDR: 17,
  /** Timer.now() -> ns */
  NOW: 18,
  /** Timer.sleep(a ns) */
  SLEEP: 19,
  /** cap_enter(0, 0): give the scheduler a switch point -> 0 */
  YIELD: 20,
  /** exit(a): end the process */
  EXIT: 21,
  /** ThreadControl.exit(a): end this thread */
  THREAD_EXIT: 22,
  /**
   * Busy-wait a iterations (a pure-CPU delay with no syscall) -> 0. A steering op: generated
   * spins, SLEEPs and YIELDs let the guest carry its own interleaving hints on kernels the
   * suite cannot schedule (real multi-core hardware included).
   */
  SPIN: 23,
  // Ring and capability ops (24..31): capabilities that come and go, completions under pressure.
  /**
   * RELEASE the ThreadHandle capability of script thread a -> 0. Later JOINs of a (and a second
   * RELEASE) go through the released, stale id and must fail with the invalidCap transport
   * error (CAP-2, CAP-4, RINGX-7), even after a SPAWN has put a new capability in its slot.
   * a must name a spawned thread (as for JOIN), else the agent refuses the script.
   */
  RELEASE_HANDLE: 24,
  /**
   * Several SQEs before one cap_enter, completions reaped only afterwards:
   * 1. if a != 0, a JOIN of script thread a (its ThreadHandle, possibly released) as the first SQE;
   * 2. b NOP SQEs (publishing with cap_enter(0, 0) whenever the SQ is full);
   * 3. cap_enter(0, 0) once more: its return value R is the number of CQEs available (ENTER-2, ENTERX-1);
   * 4. c more cap_enter(0, 0) without reaping (other threads run while the CQ is under pressure);
   * 5. reap until every SQE's completion has arrived, waiting with cap_enter(1, forever).
   * Every SQE carries its own user_data; a CQE that matches no outstanding SQE, or a NOP that
   * completes with a non-zero result, is an anomaly, and the agent stops waiting at the first.
   * Record: the JOIN's failure when it failed (err / exc as for JOIN), else ok with value
   * R | anomalies << BATCH_ANOMALY_SHIFT. (1 if a != 0) + b must stay below sqEntries + cqEntries
   * (else the SQ could never drain): the agent refuses the script otherwise.
   * A PARK_ASYNC completion of the same thread is not an anomaly (the agent drops it), but it
   * may or may not be among the R CQEs: the model does not judge a RING_BATCH of a thread that
   * issued PARK_ASYNC before it (inconclusive), and generators never combine the two.
   */
  RING_BATCH: 25,
  /**
   * Submit PARK(word a, expected b, timeout c ns) and cap_enter(0, 0) without waiting for its
   * completion -> 0. The kernel has taken the SQE when cap_enter returns (ENTER-1); the
   * completion, whenever it comes, is dropped (every later op waits for its own user_data).
   * How a runtime thread leaves with a park still in flight (PARKX-9).
   */
  PARK_ASYNC: 32,
} as const;

/** RING_BATCH reports its anomaly count (stray or failed completions) above this bit. */
export const BATCH_ANOMALY_SHIFT = 32n;

/** Op kinds whose only purpose is to steer interleavings (no effect on the model state). */
export const STEERING_OPS: readonly OpKind[] = [OP.SPIN, OP.YIELD, OP.SLEEP];
/** Largest spin count generators use: a few emulator quanta, microseconds on hardware. */
export const MAX_SPIN = 6000;

export type OpName = keyof typeof OP;
export type OpKind = (typeof OP)[OpName];

const OP_NAME_BY_KIND = new Map<number, OpName>(Object.entries(OP).map(([n, k]) => [k, n as OpName]));

export function opName(kind: number): OpName | undefined {
  return OP_NAME_BY_KIND.get(kind);
}

export interface ScriptOp {
  readonly kind: OpKind;
  readonly dst?: number;
  readonly base?: number;
  readonly a?: bigint;
  readonly b?: bigint;
  readonly c?: bigint;
}

export interface Script {
  /** threads[0] is the initial thread; SPAWN a starts threads[a]. */
  readonly threads: readonly (readonly ScriptOp[])[];
}

export class ScriptError extends Error {
  override readonly name = "ScriptError";
}

const MASK64 = (1n << 64n) - 1n;

/** Bytes `script` encodes to; throws ScriptError for a script the format cannot hold. */
export function encodedScriptSize(script: Script): number {
  const threadCount = script.threads.length;
  if (threadCount < 1 || threadCount > 0xffff) throw new ScriptError(`a script needs 1..65535 threads, has ${threadCount}`);
  let opCount = 0;
  for (const t of script.threads) opCount += t.length;
  const size = SCRIPT_HEADER_SIZE + threadCount * SCRIPT_THREAD_ENTRY_SIZE + opCount * SCRIPT_OP_SIZE;
  if (size > SCRIPT_CAPACITY) throw new ScriptError(`script needs ${size} bytes, the section holds ${SCRIPT_CAPACITY}`);
  return size;
}

/** Encode a script into the bytes the agent's `.capos_script` section holds. */
export function encodeScript(script: Script): Uint8Array {
  const bytes = new Uint8Array(encodedScriptSize(script));
  writeScript(script, new DataView(bytes.buffer), 0);
  return bytes;
}

/**
 * Write the encoding of `script` at `at` in `v`, whose next encodedScriptSize(script) bytes
 * must be zero (unwritten fields are zero). How a per-case image is patched in place
 * (generators/agent-image.ts) without building the encoding apart first.
 */
export function writeScript(script: Script, v: DataView, at: number): void {
  const threadCount = script.threads.length;
  let opCount = 0;
  for (const t of script.threads) opCount += t.length;
  v.setUint32(at, SCRIPT_MAGIC, true);
  v.setUint16(at + 4, SCRIPT_VERSION, true);
  v.setUint16(at + 6, threadCount, true);
  v.setUint32(at + 8, opCount, true);
  let first = 0;
  let opAt = at + SCRIPT_HEADER_SIZE + threadCount * SCRIPT_THREAD_ENTRY_SIZE;
  for (let t = 0; t < threadCount; t++) {
    const ops = script.threads[t]!;
    v.setUint32(at + SCRIPT_HEADER_SIZE + t * 8, first, true);
    v.setUint32(at + SCRIPT_HEADER_SIZE + t * 8 + 4, ops.length, true);
    first += ops.length;
    for (const op of ops) {
      const dst = op.dst ?? 0;
      const base = op.base ?? 0;
      if (!OP_NAME_BY_KIND.has(op.kind)) throw new ScriptError(`unknown op kind ${op.kind}`);
      if (dst < 0 || dst >= SCRIPT_REGISTERS || base < 0 || base >= SCRIPT_REGISTERS)
        throw new ScriptError(`register out of range in op ${opName(op.kind)}`);
      v.setUint8(opAt, op.kind);
      v.setUint8(opAt + 1, dst);
      v.setUint8(opAt + 2, base);
      // setBigUint64 stores its operand modulo 2^64 (ToBigUint64), the same bytes as masking
      // it first, without a BigInt allocation per operand; an absent operand stays zero.
      if (op.a !== undefined) v.setBigUint64(opAt + 8, op.a, true);
      if (op.b !== undefined) v.setBigUint64(opAt + 16, op.b, true);
      if (op.c !== undefined) v.setBigUint64(opAt + 24, op.c, true);
      opAt += SCRIPT_OP_SIZE;
    }
  }
}

/** Decode script bytes (the inverse of encodeScript); trailing zero bytes are ignored. */
export function decodeScript(bytes: Uint8Array): Script {
  if (bytes.length < SCRIPT_HEADER_SIZE) throw new ScriptError("script shorter than its header");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== SCRIPT_MAGIC) throw new ScriptError("bad script magic");
  if (v.getUint16(4, true) !== SCRIPT_VERSION) throw new ScriptError(`unsupported script version ${v.getUint16(4, true)}`);
  const threadCount = v.getUint16(6, true);
  const opCount = v.getUint32(8, true);
  const opsAt = SCRIPT_HEADER_SIZE + threadCount * SCRIPT_THREAD_ENTRY_SIZE;
  if (threadCount < 1 || opsAt + opCount * SCRIPT_OP_SIZE > bytes.length) throw new ScriptError("script tables run past its bytes");
  const threads: ScriptOp[][] = [];
  for (let t = 0; t < threadCount; t++) {
    const first = v.getUint32(SCRIPT_HEADER_SIZE + t * 8, true);
    const count = v.getUint32(SCRIPT_HEADER_SIZE + t * 8 + 4, true);
    if (first + count > opCount) throw new ScriptError(`thread ${t} ops run past the op table`);
    const ops: ScriptOp[] = [];
    for (let i = 0; i < count; i++) {
      const at = opsAt + (first + i) * SCRIPT_OP_SIZE;
      const kind = v.getUint8(at);
      if (!opName(kind)) throw new ScriptError(`thread ${t} op ${i}: unknown kind ${kind}`);
      ops.push({
        kind: kind as OpKind,
        dst: v.getUint8(at + 1),
        base: v.getUint8(at + 2),
        a: v.getBigUint64(at + 8, true),
        b: v.getBigUint64(at + 16, true),
        c: v.getBigUint64(at + 24, true),
      });
    }
    threads.push(ops);
  }
  return { threads };
}

export type ObservationStatus = "ok" | "exc" | "err";

export interface Observation {
  readonly thread: number;
  readonly op: number;
  readonly status: ObservationStatus;
  /** ok: the result; exc: the exception type; err: the (negative) transport error. */
  readonly value: bigint;
}

/** Format one record exactly as the agent prints it. */
export function formatObservation(o: Observation): string {
  const value = o.status === "ok" ? (o.value & MASK64).toString(16) : o.value.toString(10);
  return `@1 ${o.thread} ${o.op} ${o.status} ${value}\n`;
}

/** A record: `ok` carries a hex value, `exc` and `err` a signed decimal (anything else is not a record). */
const RECORD = /^@1 (\d+) (\d+) (?:(ok) ([0-9a-f]+)|(exc|err) (-?\d+))$/;

export interface ParsedConsole {
  readonly observations: Observation[];
  /** Console lines that are not observation records (kept for the report). */
  readonly otherLines: string[];
}

/**
 * Split agent Console output into observation records and anything else.
 *
 * A hand scanner reads the common well-formed record; any line it does not take goes through
 * the RECORD expression, so what counts as a record is the expression's decision. Nothing here
 * throws: a line that is no record is another line, for the property to report. Per case this was a split, a regex match and a
 * string-to-BigInt per record.
 */
export function parseObservations(consoleText: string): ParsedConsole {
  const observations: Observation[] = [];
  const otherLines: string[] = [];
  const n = consoleText.length;
  for (let start = 0; start < n; ) {
    let end = consoleText.indexOf("\n", start);
    if (end < 0) end = n;
    if (end > start) {
      const fast = scanRecord(consoleText, start, end);
      if (fast) observations.push(fast);
      else {
        const line = consoleText.slice(start, end);
        const m = RECORD.exec(line);
        if (!m) otherLines.push(line);
        else {
          const status = (m[3] ?? m[5]) as ObservationStatus;
          const value = status === "ok" ? BigInt("0x" + m[4]) : BigInt(m[6]!);
          observations.push({ thread: Number(m[1]), op: Number(m[2]), status, value });
        }
      }
    }
    start = end + 1;
  }
  return { observations, otherLines };
}

const AT = 0x40, ONE = 0x31, SPACE = 0x20, DIGIT0 = 0x30, DIGIT9 = 0x39, LOWER_A = 0x61, LOWER_F = 0x66;

/**
 * The record in text[start, end) when it is `@1 <dec> <dec> ok <hex>` or `... exc|err [-]<dec>`
 * with numbers short enough to read exactly as doubles; undefined for anything else (the
 * caller then asks RECORD).
 */
function scanRecord(text: string, start: number, end: number): Observation | undefined {
  if (end - start < 10 || text.charCodeAt(start) !== AT || text.charCodeAt(start + 1) !== ONE || text.charCodeAt(start + 2) !== SPACE) return undefined;
  let i = start + 3;
  const thread = decimalAt(text, i, end);
  if (thread < 0) return undefined;
  i = scanEnd;
  if (text.charCodeAt(i) !== SPACE) return undefined;
  const op = decimalAt(text, i + 1, end);
  if (op < 0) return undefined;
  i = scanEnd;
  if (text.charCodeAt(i) !== SPACE) return undefined;
  i++;
  let status: ObservationStatus;
  if (text.startsWith("ok ", i)) (status = "ok"), (i += 3);
  else if (text.startsWith("exc ", i)) (status = "exc"), (i += 4);
  else if (text.startsWith("err ", i)) (status = "err"), (i += 4);
  else return undefined;
  if (status === "ok") {
    // At most 13 hex digits (52 bits) are exact as a double.
    if (end - i < 1 || end - i > 13) return undefined;
    let x = 0;
    for (let j = i; j < end; j++) {
      const c = text.charCodeAt(j);
      if (c >= DIGIT0 && c <= DIGIT9) x = x * 16 + (c - DIGIT0);
      else if (c >= LOWER_A && c <= LOWER_F) x = x * 16 + (c - LOWER_A + 10);
      else return undefined;
    }
    return { thread, op, status, value: BigInt(x) };
  }
  const negative = text.charCodeAt(i) === 0x2d;
  const x = decimalAt(text, negative ? i + 1 : i, end);
  if (x < 0 || scanEnd !== end) return undefined;
  return { thread, op, status, value: negative ? -BigInt(x) : BigInt(x) };
}

/** Where the last decimalAt stopped (a module variable: no result object per number). */
let scanEnd = 0;

/** The decimal number of 1..15 digits at text[i..] (before `end`), or -1; sets scanEnd. */
function decimalAt(text: string, i: number, end: number): number {
  let x = 0;
  let j = i;
  for (; j < end && j - i < 16; j++) {
    const c = text.charCodeAt(j);
    if (c < DIGIT0 || c > DIGIT9) break;
    x = x * 10 + (c - DIGIT0);
  }
  if (j === i || j - i > 15) return -1;
  scanEnd = j;
  return x;
}
