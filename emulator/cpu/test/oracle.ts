/**
 * Host-CPU differential oracle: generated instruction sequences are wrapped in a blob that
 * loads registers/flags/XMM from a state area, runs the sequence, and stores the state back.
 * The same blob runs natively (runner.c) and in the emulator; final GPRs, defined flags
 * (iced-x86 says which are undefined), XMM registers and the data buffer are compared.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, existsSync } from "node:fs";
import { tmpdir, arch } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import fc from "fast-check";
import { CpuState, setRegNum } from "../state.js";
import { Memory, PROT_READ, PROT_WRITE, PROT_EXEC } from "../memory.js";
import { run } from "../run.js";
import { setFlags } from "../flags.js";
import { setJitThreshold, DEFAULT_JIT_THRESHOLD } from "../run.js";

/** Offset in the output state of the FNSTENV image (FCW +0, FSW +4, FTW +8). */
export const X87_ENV = 400;
export const CODE = 0x10000000, STATE = 0x20000000, DATA = 0x20001000, STATE_SIZE = 1024, DATA_SIZE = 256, OUT = 512;
const SENTINEL = 0x30000000, STACK = 0x7fff0000;

export interface Case {
  insns: Uint8Array[];
  regs: bigint[]; // 16 (RSP ignored)
  flags: number;
  /** MXCSR at entry (defaults to 0x1f80). */
  mxcsr?: number;
  xmm: Uint8Array; // 256
  data: Uint8Array; // 256
}
export interface Outcome { status: number; out: Uint8Array; data: Uint8Array; }

// ------------------------------------------------------------------ blob
function abs32(a: number): number[] { return [0x25, a & 255, (a >>> 8) & 255, (a >>> 16) & 255, (a >>> 24) & 255]; }
export function buildBlob(c: Case): Uint8Array {
  const b: number[] = [0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0xdb, 0xe3];
  // pushes; fninit; zero the eight physical x87 registers (FNSAVE shows empty ones too); fninit
  for (let i = 0; i < 8; i++) b.push(0xd9, 0xee);
  b.push(0xdb, 0xe3);
  for (let i = 0; i < 16; i++) { b.push(0xf3); if (i >= 8) b.push(0x44); b.push(0x0f, 0x6f, ((i & 7) << 3) | 4, ...abs32(STATE + 144 + 16 * i)); }
  b.push(0x0f, 0xae, 0x14, ...abs32(STATE + 136)); // ldmxcsr [in.mxcsr]
  b.push(0xff, 0x34, ...abs32(STATE + 128), 0x9d);
  for (let r = 0; r < 16; r++) if (r !== 4) b.push(0x48 | (r >= 8 ? 4 : 0), 0x8b, ((r & 7) << 3) | 4, ...abs32(STATE + 8 * r));
  for (const i of c.insns) b.push(...i);
  for (let r = 0; r < 16; r++) if (r !== 4) b.push(0x48 | (r >= 8 ? 4 : 0), 0x89, ((r & 7) << 3) | 4, ...abs32(STATE + OUT + 8 * r));
  b.push(0x9c, 0x8f, 0x04, ...abs32(STATE + OUT + 128));
  b.push(0x0f, 0xae, 0x1c, ...abs32(STATE + OUT + 136)); // stmxcsr [out.mxcsr]
  b.push(0x0f, 0xae, 0x14, ...abs32(STATE + 140)); // ldmxcsr [default]
  b.push(0xd9, 0x34, ...abs32(STATE + OUT + X87_ENV), 0xdb, 0xe3); // fnstenv [out.env]; fninit
  for (let i = 0; i < 16; i++) { b.push(0xf3); if (i >= 8) b.push(0x44); b.push(0x0f, 0x7f, ((i & 7) << 3) | 4, ...abs32(STATE + OUT + 144 + 16 * i)); }
  b.push(0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3);
  return Uint8Array.from(b);
}
function stateIn(c: Case): Uint8Array {
  const s = new Uint8Array(STATE_SIZE), dv = new DataView(s.buffer);
  for (let r = 0; r < 16; r++) dv.setBigUint64(8 * r, BigInt.asUintN(64, c.regs[r]!), true);
  dv.setBigUint64(128, BigInt(c.flags), true);
  dv.setUint32(136, c.mxcsr ?? 0x1f80, true);
  dv.setUint32(140, 0x1f80, true);
  s.set(c.xmm, 144);
  return s;
}

// ------------------------------------------------------------------ native
const HERE = path.dirname(fileURLToPath(import.meta.url));
let runnerPath: string | null = null;
export function oracleSkipReason(): string | null {
  if (arch() !== "x64" || process.platform !== "linux") return `host is ${process.platform}/${arch()}, not linux/x86-64`;
  const r = spawnSync("gcc", ["--version"]);
  if (r.error || r.status !== 0) return "gcc not found on PATH";
  return null;
}
function runner(): string {
  if (runnerPath && existsSync(runnerPath)) return runnerPath;
  const dir = mkdtempSync(path.join(tmpdir(), "capos-oracle-"));
  const out = path.join(dir, "runner");
  const r = spawnSync("gcc", ["-O1", "-o", out, path.join(HERE, "native", "runner.c")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`building runner.c failed: ${r.stderr}`);
  runnerPath = out;
  return out;
}
export function runNativeBatch(cases: Case[]): Outcome[] {
  const parts: Uint8Array[] = [];
  for (const c of cases) {
    const blob = buildBlob(c);
    const len = new Uint8Array(4); new DataView(len.buffer).setUint32(0, blob.length, true);
    parts.push(len, blob, stateIn(c), c.data);
  }
  const input = Buffer.concat(parts);
  const r = spawnSync(runner(), [], { input, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`runner exited ${r.status} ${r.signal ?? ""}`);
  const per = 4 + (STATE_SIZE - OUT) + DATA_SIZE;
  const outs: Outcome[] = [];
  for (let i = 0; i < cases.length; i++) {
    const o = r.stdout.subarray(i * per, (i + 1) * per);
    if (o.length < per) throw new Error(`runner output truncated at case ${i}`);
    outs.push({ status: o.readUInt32LE(0), out: new Uint8Array(o.subarray(4, 4 + STATE_SIZE - OUT)), data: new Uint8Array(o.subarray(4 + STATE_SIZE - OUT)) });
  }
  return outs;
}

// ------------------------------------------------------------------ emulator
const SIG = { SIGILL: 4, SIGTRAP: 5, SIGBUS: 7, SIGFPE: 8, SIGSEGV: 11 };
export function runEmu(c: Case): Outcome {
  const mem = new Memory(64);
  const blob = buildBlob(c);
  mem.map(CODE, 65536, PROT_READ | PROT_WRITE | PROT_EXEC);
  mem.map(STATE, 8192, PROT_READ | PROT_WRITE);
  mem.map(STACK - 16384, 16384, PROT_READ | PROT_WRITE);
  mem.writeBytes(CODE, blob);
  mem.writeBytes(STATE, stateIn(c));
  mem.writeBytes(DATA, c.data);
  const cpu = new CpuState();
  setRegNum(cpu, 4, STACK - 64);
  mem.writeU64(STACK - 64, BigInt(SENTINEL));
  setFlags(cpu, 0x202);
  cpu.rip = CODE;
  const s = run(cpu, mem, 100000);
  let status: number;
  if (s.kind === "fault" && s.fault.type === "#PF" && s.fault.access === "exec" && s.fault.addr === BigInt(SENTINEL)) status = 0;
  else if (s.kind === "fault") {
    switch (s.fault.type) {
      case "#DE": case "#MF": case "#XM": status = SIG.SIGFPE; break;
      case "#UD": status = SIG.SIGILL; break;
      case "#BP": status = SIG.SIGTRAP; break;
      default: status = SIG.SIGSEGV;
    }
  } else status = 1000 + ["syscall", "budget", "hlt"].indexOf(s.kind);
  return { status, out: mem.readBytes(STATE + OUT, STATE_SIZE - OUT), data: mem.readBytes(DATA, DATA_SIZE) };
}

// ------------------------------------------------------------------ iced
interface IcedIns { rflagsRead?: number; rflagsModified?: number; length: number; isInvalid: boolean; rflagsUndefined: number; flowControl: number; nearBranchTarget: bigint; free(): void; }
interface IcedMod {
  Decoder: new (b: number, d: Uint8Array, o: number) => { decode(): IcedIns; free(): void };
  DecoderOptions: { None: number };
  InstructionInfoFactory: new () => { info(i: IcedIns): { usedRegisters(): { register: number }[]; free?(): void }; free(): void };
  Register: Record<string, number>;
  FlowControl: Record<string, number>;
}
let icedMod: IcedMod | null = null;
export function iced(): IcedMod { return (icedMod ??= createRequire(import.meta.url)("iced-x86") as IcedMod); }
const ICED_FLAG_BITS: [number, number][] = [[1, 0x800], [2, 0x80], [4, 0x40], [8, 0x10], [16, 0x1], [32, 0x4]];

/** iced verdict: null if the instruction is not usable in a test, else its undefined-flag mask (x86 bits). */
export function vet(bytes: Uint8Array): number | null {
  const v = vetFull(bytes);
  return v === null ? null : v.undef;
}
/** Undefined, read and modified flag masks (x86 bit positions), or null if unusable. */
export function vetFull(bytes: Uint8Array): { undef: number; read: number; modified: number } | null {
  // a byte string may hold several instructions (x87 macros); masks are their union
  const I = iced();
  const padded = new Uint8Array(bytes.length + 16); padded.set(bytes);
  const dcd = new I.Decoder(64, padded, I.DecoderOptions.None);
  const f = new I.InstructionInfoFactory();
  const bad = new Set([I.Register.RSP, I.Register.ESP, I.Register.SP, I.Register.SPL]);
  const conv = (v: number) => { let m = 0; for (const [ib, xb] of ICED_FLAG_BITS) if (v & ib) m |= xb; return m; };
  let pos = 0, undef = 0, read = 0, modified = 0;
  try {
    while (pos < bytes.length) {
      const ins = dcd.decode();
      try {
        // the only control flow allowed: a conditional branch within the unit (branch macros jump
        // forward, loop macros back to their head; only macros generate branches)
        const innerJcc = ins.flowControl === I.FlowControl.ConditionalBranch! && ins.nearBranchTarget >= 0n && ins.nearBranchTarget <= BigInt(bytes.length);
        if (ins.isInvalid || pos + ins.length > bytes.length || (ins.flowControl !== 0 && !innerJcc)) return null;
        if (f.info(ins).usedRegisters().some((u) => bad.has(u.register!))) return null;
        const x = ins as unknown as { rflagsRead: number; rflagsModified: number };
        if (conv(x.rflagsRead) & undef) return null; // reads a flag an earlier part left undefined
        undef = (undef & ~conv(x.rflagsModified)) | conv(ins.rflagsUndefined);
        read |= conv(x.rflagsRead); modified |= conv(x.rflagsModified);
        pos += ins.length;
      } finally { ins.free(); }
    }
    return { undef, read, modified };
  } finally { f.free(); dcd.free(); }
}

// ------------------------------------------------------------------ compare
const FLAG_MASK = 0x8d5 | 0x400;
export function compare(c: Case, nat: Outcome, emu: Outcome): string | null {
  if (nat.status !== emu.status) return `status native=${nat.status} emu=${emu.status}`;
  if (nat.status !== 0) return null;
  let undef = 0;
  for (const i of c.insns) undef |= vet(i) ?? 0;
  const dn = new DataView(nat.out.buffer, nat.out.byteOffset), de = new DataView(emu.out.buffer, emu.out.byteOffset);
  const names = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];
  for (let r = 0; r < 16; r++) {
    if (r === 4) continue;
    const a = dn.getBigUint64(8 * r, true), b = de.getBigUint64(8 * r, true);
    if (a !== b) return `${names[r]} native=${a.toString(16)} emu=${b.toString(16)}`;
  }
  const fm = FLAG_MASK & ~undef;
  const fa = dn.getUint32(128, true) & fm, fb = de.getUint32(128, true) & fm;
  if (fa !== fb) return `flags native=${fa.toString(16)} emu=${fb.toString(16)} (mask ${fm.toString(16)})`;
  const ma = dn.getUint32(136, true) & 0xffff, mb = de.getUint32(136, true) & 0xffff;
  if (ma !== mb) return `mxcsr native=${ma.toString(16)} emu=${mb.toString(16)}`;
  for (const [o, name] of [[0, "fcw"], [4, "fsw"], [8, "ftw"]] as const) {
    const xa = dn.getUint16(X87_ENV + o, true), xb = de.getUint16(X87_ENV + o, true);
    if (xa !== xb) return `x87 ${name} native=${xa.toString(16)} emu=${xb.toString(16)}`;
  }
  for (let i = 0; i < 16; i++) {
    const x = Buffer.from(nat.out.subarray(144 + 16 * i, 160 + 16 * i)).toString("hex"), y = Buffer.from(emu.out.subarray(144 + 16 * i, 160 + 16 * i)).toString("hex");
    if (x !== y) return `xmm${i} native=${x} emu=${y}`;
  }
  for (let i = 0; i < DATA_SIZE; i++) if (nat.data[i] !== emu.data[i]) return `data[${i}] native=${nat.data[i]} emu=${emu.data[i]}`;
  return null;
}

/** True if a later instruction reads a flag left undefined by an earlier one (not comparable). */
export function readsUndefinedFlags(insns: Uint8Array[]): boolean {
  let undef = 0;
  for (const i of insns) {
    const v = vetFull(i);
    if (v === null) return true;
    if (v.read & undef) return true;
    undef = (undef & ~v.modified) | v.undef;
  }
  return false;
}

export function describeCase(c: Case): string {
  return c.insns.map((i) => Buffer.from(i).toString("hex")).join(" ; ");
}

// ------------------------------------------------------------------ corpus (JSON-friendly)
export interface CorpusEntry { note: string; insns: string[]; regs: string[]; flags: number; mxcsr?: number; xmm: string; data: string; }
export function toEntry(c: Case, note: string): CorpusEntry {
  return { note, insns: c.insns.map((i) => Buffer.from(i).toString("hex")), regs: c.regs.map((r) => BigInt.asUintN(64, r).toString(16)), flags: c.flags, mxcsr: c.mxcsr ?? 0x1f80, xmm: Buffer.from(c.xmm).toString("hex"), data: Buffer.from(c.data).toString("hex") };
}
export function fromEntry(e: CorpusEntry): Case {
  return { insns: e.insns.map((h) => new Uint8Array(Buffer.from(h, "hex"))), regs: e.regs.map((h) => BigInt("0x" + h)), flags: e.flags, mxcsr: e.mxcsr ?? 0x1f80, xmm: new Uint8Array(Buffer.from(e.xmm, "hex")), data: new Uint8Array(Buffer.from(e.data, "hex")) };
}

/** Greedy shrink of a failing case (each candidate re-run natively). */
export function shrink(c: Case, fails: (c: Case) => boolean, budget = 150): Case {
  let cur = c;
  const tryIt = (n: Case): boolean => { if (budget-- <= 0) return false; if (fails(n)) { cur = n; return true; } return false; };
  for (let i = 0; i < cur.insns.length && cur.insns.length > 1;) {
    if (!tryIt({ ...cur, insns: cur.insns.filter((_, k) => k !== i) })) i++;
  }
  for (let r = 0; r < 16; r++) if (cur.regs[r] !== 0n) tryIt({ ...cur, regs: cur.regs.map((v, k) => (k === r ? 0n : v)) });
  if (cur.flags !== 2) tryIt({ ...cur, flags: 2 });
  if ((cur.mxcsr ?? 0x1f80) !== 0x1f80) tryIt({ ...cur, mxcsr: 0x1f80 });
  if (cur.xmm.some((b) => b)) tryIt({ ...cur, xmm: new Uint8Array(256) });
  if (cur.data.some((b) => b)) tryIt({ ...cur, data: new Uint8Array(256) });
  return cur;
}

void fc;

/** Compare every case natively vs the interpreter and vs the JIT tier (threshold 1). */
export interface Difference { i: number; why: string; /** set when `known` accepted the difference */ known?: string }
/**
 * Compare every case natively vs the interpreter and vs the JIT tier (threshold 1). `known`
 * may name a documented hardware deviation (the difference is then reported, marked, not hidden).
 */
export function checkCases(cases: Case[], known?: (c: Case, nat: Outcome, emu: Outcome) => string | null): Difference[] {
  const nat = runNativeBatch(cases);
  const bad: Difference[] = [];
  const seen = new Set<number>();
  for (const jit of [0, 1]) {
    setJitThreshold(jit);
    try {
      cases.forEach((c, i) => {
        if (seen.has(i)) return;
        const emu = runEmu(c), why = compare(c, nat[i]!, emu);
        if (!why) return;
        seen.add(i);
        bad.push({ i, why: `${jit ? "jit" : "interpreter"}: ${why}`, known: known?.(c, nat[i]!, emu) ?? undefined });
      });
    } finally { setJitThreshold(DEFAULT_JIT_THRESHOLD); }
  }
  return bad;
}
