/**
 * CaposMachine: the capOS kernel personality (one process) on top of the emulator CPU.
 *
 * - load(): process start per the binding (PT_LOADs with their ELF permissions, Variant II
 *   TLS below the ring page with the %fs:0 self-pointer, stack, ring page, read-only CapSet
 *   page, RDI/RSI/RDX), ELFX-1 rejection via ElfError.
 * - syscalls exit and cap_enter; any other number gives noSys (SYSX-1).
 * - one ring per thread (THRX-1): SQE validation, CALL dispatch, CQE posting, CQ overflow.
 * - capabilities Console, VirtualMemory, ParkSpace, ThreadSpawner, ThreadHandle,
 *   ThreadControl, Timer.
 * - a deterministic scheduler driven by a Schedule; virtual time moves only when idle.
 * - an observer (read-only views) and a fixed-format event log.
 *
 * Everything here is written from spec/ only (never model/).
 */
import type { Binding, Field, FieldTable, InterfaceName } from "../../spec/binding.js";
import { DEFAULT_BINDING, cqeOffset, sqeOffset, INTERFACE_NAMES } from "../../spec/binding.js";
import type { EndState, Schedule } from "../../spec/run-protocol.js";
import * as gen from "../../spec/schema/gen/capos.js";
import { CpuState, REG_NAMES, getReg64, setReg64 } from "../cpu/state.js";
import { MemoryBudgetExceeded, PROT_READ, PROT_WRITE } from "../cpu/memory.js";
import { run } from "../cpu/run.js";
import type { Fault } from "../cpu/insn.js";
import { ElfError, PF_R, PF_W, PF_X, parseElf, tlsLayout } from "./elf.js";
import type { ElfImage } from "./elf.js";
import { AddressSpace, VmError } from "./vm.js";
import type { MappingInfo } from "./vm.js";
import { BadMessage, decodeParams, encodeException, encodeResult } from "./messages.js";
import { Scheduler } from "./schedule.js";

/** Seeded bugs used to prove that conformance properties can fail. All off by default. */
export const MUTANT_NAMES = ["lost-wake", "no-drain", "fs-not-restored", "tls-ignores-misalign", "protect-keeps-write"] as const;
export type MutantName = (typeof MUTANT_NAMES)[number];

export interface MachineOptions {
  binding?: Binding;
  schedule?: Schedule;
  /** Total instruction budget (EndState budget/instructions). */
  maxInsns?: number;
  /** Memory budget in 4 KiB pages (EndState budget/memory). */
  maxPages?: number;
  mutant?: MutantName;
  /** Cap on event log lines kept (older ones are kept, later dropped). */
  maxEvents?: number;
}

export const DEFAULT_MAX_INSNS = 50_000_000;
export const DEFAULT_MAX_PAGES = 1 << 16;
const PID = 1;
const U64 = (1n << 64n) - 1n;
const CANON_LOW = 1n << 47n;
const CANON_HIGH = 0xffff_8000_0000_0000n;

export type ThreadState = "runnable" | "blocked" | "exited";

interface Cqe {
  userData: bigint;
  result: number;
  capId?: number;
  interfaceId?: bigint;
}

interface Thread {
  readonly id: number;
  readonly cpu: CpuState;
  readonly ring: number;
  /** Ring slot for spawned threads (-1 for the initial thread). */
  readonly ringSlot: number;
  state: ThreadState;
  block: { minComplete: number; deadline: bigint | null; seq: number } | null;
  /** FS base saved at switch-out (FSB-5). */
  savedFs: number;
  exitValue: bigint;
  /** Completions held while the CQ was full (RINGX-2). */
  overflow: Cqe[];
  /** Kernel continuation to run before the CPU next time this thread is picked (lost-wake mutant). */
  resume: (() => void) | null;
}

interface Waiter {
  readonly thread: Thread;
  readonly addr: number;
  readonly gen: number;
  readonly userData: bigint;
  readonly deadline: bigint | null;
  readonly seq: number;
}

interface Sleeper {
  readonly thread: Thread;
  readonly deadline: bigint;
  readonly userData: bigint;
  readonly resultAddr: number;
  readonly resultLen: number;
  readonly seq: number;
}

interface Joiner {
  readonly thread: Thread;
  readonly target: Thread;
  readonly userData: bigint;
  readonly resultAddr: number;
  readonly resultLen: number;
}

interface CapObject {
  readonly iface: InterfaceName;
  readonly thread?: Thread;
}

/** CapException types by their binding name (binding.exceptionTypes keys). */
type ExcName = "failed" | "overloaded" | "disconnected" | "unimplemented" | "invalidArgument";

/** Outcome of a CALL's method. */
type Outcome =
  | { readonly kind: "ok"; readonly result: Uint8Array; readonly capId?: number; readonly interfaceId?: bigint }
  | { readonly kind: "exc"; readonly type: ExcName; readonly message: string }
  | { readonly kind: "async" }
  | { readonly kind: "stop" };

/** Thrown internally to unwind when the process has ended (exit, fault, budget). */
class ProcessEnded extends Error {}

export interface ThreadInfo {
  readonly id: number;
  readonly state: ThreadState;
  /** "cap_enter min=N deadline=T|forever" when blocked, else null. */
  readonly blockedOn: string | null;
  readonly ring: number;
  readonly fsBase: bigint;
  readonly rip: number;
  readonly exitValue: bigint | null;
}

export interface WaiterInfo {
  readonly thread: number;
  readonly addr: number;
  readonly gen: number;
  readonly userData: bigint;
  readonly deadline: bigint | null;
}

export type RingHeader = Readonly<Record<string, number>>;

function fieldRead(mem: AddressSpace["mem"], base: number, f: Field): number | bigint {
  switch (f.type) {
    case "u8": return mem.readU8(base + f.offset);
    case "u16": return mem.readU16(base + f.offset);
    case "u32": return mem.readU32(base + f.offset);
    case "i32": return mem.readU32(base + f.offset) | 0;
    case "u64": return mem.readU64(base + f.offset);
  }
}
function fieldWrite(mem: AddressSpace["mem"], base: number, f: Field, v: number | bigint): void {
  switch (f.type) {
    case "u8": mem.writeU8(base + f.offset, Number(v)); return;
    case "u16": mem.writeU16(base + f.offset, Number(v)); return;
    case "u32":
    case "i32": mem.writeU32(base + f.offset, Number(BigInt.asUintN(32, BigInt(v)))); return;
    case "u64": mem.writeU64(base + f.offset, BigInt(v)); return;
  }
}
/** Read a field from a byte copy (SQEs are copied out of the ring before use). */
function fieldGet(dv: DataView, f: Field | undefined): bigint {
  if (!f) return 0n;
  switch (f.type) {
    case "u8": return BigInt(dv.getUint8(f.offset));
    case "u16": return BigInt(dv.getUint16(f.offset, true));
    case "u32": return BigInt(dv.getUint32(f.offset, true));
    case "i32": return BigInt(dv.getInt32(f.offset, true));
    case "u64": return dv.getBigUint64(f.offset, true);
  }
}

const hex = (v: number | bigint) => "0x" + v.toString(16);

export class CaposMachine {
  readonly binding: Binding;
  readonly mutant: MutantName | null;
  readonly maxInsns: number;
  readonly as: AddressSpace;
  private readonly sched: Scheduler;
  private readonly threads: Thread[] = [];
  private nextThreadId = 0;
  private readonly caps: { gen: number; obj: CapObject | null }[] = [];
  private waiters: Waiter[] = [];
  private sleepers: Sleeper[] = [];
  private joiners: Joiner[] = [];
  private seq = 0;
  private consoleChunks: Uint8Array[] = [];
  private consoleLen = 0;
  private readonly eventLog: string[] = [];
  private readonly maxEvents: number;
  private current: Thread | null = null;
  private lastRunId = -1;
  /** Virtual time in ns (moves only when no thread is runnable). */
  private vtime = 0n;
  /** Instructions retired by all threads. */
  private icount = 0;
  private endState: EndState | null = null;
  private image: ElfImage | null = null;
  private readonly regIndex: (name: string) => number;

  constructor(opts: MachineOptions = {}) {
    this.binding = opts.binding ?? DEFAULT_BINDING;
    this.mutant = opts.mutant ?? null;
    this.maxInsns = opts.maxInsns ?? DEFAULT_MAX_INSNS;
    this.maxEvents = opts.maxEvents ?? 200_000;
    this.as = new AddressSpace(this.binding, opts.maxPages ?? DEFAULT_MAX_PAGES);
    this.as.protectKeepsWrite = this.mutant === "protect-keeps-write";
    this.sched = new Scheduler(opts.schedule);
    this.regIndex = (name) => {
      const i = (REG_NAMES as readonly string[]).indexOf(name);
      if (i < 0) throw new Error(`binding names unknown register ${name}`);
      return i;
    };
  }

  // =====================================================================================
  // Observer (read-only)
  // =====================================================================================

  get insns(): number {
    return this.icount;
  }
  get now(): bigint {
    return this.vtime;
  }
  get end(): EndState | null {
    return this.endState;
  }
  get events(): readonly string[] {
    return this.eventLog;
  }
  get console(): Uint8Array {
    const out = new Uint8Array(this.consoleLen);
    let at = 0;
    for (const c of this.consoleChunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
  threadInfo(): ThreadInfo[] {
    return this.threads.map((t) => ({
      id: t.id,
      state: t.state,
      blockedOn: t.block ? `cap_enter min=${t.block.minComplete} deadline=${t.block.deadline ?? "forever"}` : null,
      ring: t.ring,
      fsBase: BigInt.asUintN(64, BigInt(t === this.current ? t.cpu.fsBase : t.savedFs)),
      rip: t.cpu.rip,
      exitValue: t.state === "exited" ? t.exitValue : null,
    }));
  }
  /** Park waiters in FIFO order, with their keys (addr, page generation). */
  parkWaiters(): WaiterInfo[] {
    return this.waiters.map((w) => ({ thread: w.thread.id, addr: w.addr, gen: w.gen, userData: w.userData, deadline: w.deadline }));
  }
  /** Waiters on the word's current key. */
  waiterCount(addr: number): number {
    const g = this.as.generation(addr);
    return this.waiters.filter((w) => w.addr === addr && w.gen === g).length;
  }
  /** Keys thread `id` waits on. */
  parkedOn(id: number): { addr: number; gen: number }[] {
    return this.waiters.filter((w) => w.thread.id === id).map((w) => ({ addr: w.addr, gen: w.gen }));
  }
  mappings(): MappingInfo[] {
    return this.as.mappings();
  }
  ringHeader(threadId: number): RingHeader {
    const t = this.threads.find((x) => x.id === threadId);
    if (!t) throw new RangeError(`no thread ${threadId}`);
    const out: Record<string, number> = {};
    for (const [k, f] of Object.entries(this.binding.ring.header)) out[k] = Number(fieldRead(this.as.mem, t.ring, f));
    return out;
  }
  /** The ring page address of thread `id`. */
  ringOf(threadId: number): number {
    const t = this.threads.find((x) => x.id === threadId);
    if (!t) throw new RangeError(`no thread ${threadId}`);
    return t.ring;
  }
  /** CPU state of a thread (tests only: mutate at your own risk). */
  cpuOf(threadId: number): CpuState {
    const t = this.threads.find((x) => x.id === threadId);
    if (!t) throw new RangeError(`no thread ${threadId}`);
    return t.cpu;
  }

  private log(text: string): void {
    if (this.eventLog.length < this.maxEvents) this.eventLog.push(`${this.icount} ${text}`);
    else if (this.eventLog.length === this.maxEvents) this.eventLog.push(`${this.icount} log truncated`);
  }

  // =====================================================================================
  // Process start
  // =====================================================================================

  /** Load an image. Returns the rejection as an ElfError (also recorded as EndState rejected). */
  load(image: Uint8Array): ElfError | null {
    const b = this.binding;
    const L = b.layout;
    const P = b.pageSize;
    const mem = this.as.mem;
    let elf: ElfImage;
    let tp: number, low: number, tlsOffset: number;
    try {
      elf = parseElf(image, b);
      const pl = tlsLayout(b, elf.tls, this.mutant === "tls-ignores-misalign");
      tp = pl.tp;
      low = pl.low;
      tlsOffset = pl.offset;
    } catch (e) {
      if (e instanceof ElfError) {
        this.endState = { kind: "rejected", reason: e.message };
        this.log(`rejected ${e.code}`);
        return e;
      }
      throw e;
    }
    this.image = elf;
    try {
      // PT_LOADs with exactly their permissions; a page shared by two segments gets the union.
      const pageProt = new Map<number, number>();
      for (const s of elf.loads) {
        const prot = (s.flags & PF_R ? PROT_READ : 0) | (s.flags & PF_W ? PROT_WRITE : 0) | (s.flags & PF_X ? 4 : 0);
        for (let pn = Math.floor(s.vaddr / P); pn < Math.ceil((s.vaddr + s.memsz) / P); pn++) pageProt.set(pn, (pageProt.get(pn) ?? 0) | prot);
      }
      for (const [pn, prot] of pageProt) mem.map(pn * P, P, prot);
      for (const s of elf.loads) if (s.filesz > 0) mem.writeBytes(s.vaddr, image.subarray(s.offset, s.offset + s.filesz));
      // Stack (PROCX-1).
      mem.map(L.userStackBase, L.userStackSize, PROT_READ | PROT_WRITE);
      // TLS area pages in use, the block (TLSV2-2, -4) and the self-pointer (TLSV2-1, -8).
      const firstTls = Math.floor(low / P) * P;
      mem.map(firstTls, L.ringVaddr - firstTls, PROT_READ | PROT_WRITE);
      if (elf.tls && elf.tls.filesz > 0) mem.writeBytes(tp - tlsOffset, image.subarray(elf.tls.offset, elf.tls.offset + elf.tls.filesz));
      mem.writeU64(tp, BigInt(tp));
      // Ring page of the initial thread.
      this.initRing(L.ringVaddr);
      // CapSet page (PROCX-3), read-only.
      mem.map(L.capSetVaddr, P, PROT_READ | PROT_WRITE);
      for (const iface of b.defaultGrants) this.newCap({ iface });
      this.writeCapSet();
      mem.protect(L.capSetVaddr, P, PROT_READ);
    } catch (e) {
      if (e instanceof MemoryBudgetExceeded) {
        this.endState = { kind: "budget", what: "memory" };
        return null;
      }
      throw e;
    }
    const t = this.newThread(L.ringVaddr, -1);
    const c = t.cpu;
    c.rip = elf.entry;
    setReg64(c, this.regIndex("rsp"), BigInt(L.userStackBase + L.userStackSize));
    setReg64(c, this.regIndex(b.entry.ring), BigInt(L.ringVaddr));
    setReg64(c, this.regIndex(b.entry.pid), BigInt(PID));
    setReg64(c, this.regIndex(b.entry.capSet), BigInt(L.capSetVaddr));
    c.fsBase = tp;
    t.savedFs = tp;
    this.log(`load entry=${hex(elf.entry)} tp=${hex(tp)} tls=${elf.tls ? hex(tlsOffset) : "none"}`);
    return null;
  }

  private initRing(addr: number): void {
    const b = this.binding;
    const mem = this.as.mem;
    if (!mem.isMapped(addr)) mem.map(addr, b.pageSize, PROT_READ | PROT_WRITE);
    else mem.writeBytes(addr, new Uint8Array(b.pageSize));
    const h = b.ring.header;
    const set = (k: string, v: number) => {
      const f = h[k];
      if (f) fieldWrite(mem, addr, f, v);
    };
    set("sqMask", b.ring.sqEntries - 1);
    set("cqMask", b.ring.cqEntries - 1);
    set("sqEntries", b.ring.sqEntries);
    set("cqEntries", b.ring.cqEntries);
  }

  private writeCapSet(): void {
    const b = this.binding;
    const mem = this.as.mem;
    const base = b.layout.capSetVaddr;
    const cs = b.capSet;
    fieldWrite(mem, base, cs.header["magic"]!, cs.magic);
    fieldWrite(mem, base, cs.header["version"]!, cs.version);
    fieldWrite(mem, base, cs.header["count"]!, b.defaultGrants.length);
    b.defaultGrants.forEach((iface, i) => {
      const at = base + cs.headerSize + i * cs.entrySize;
      fieldWrite(mem, at, cs.entry["capId"]!, this.capIdOf(i));
      fieldWrite(mem, at, cs.entry["interfaceId"]!, b.interfaces[iface]);
      const name = new TextEncoder().encode(iface).subarray(0, cs.nameLength);
      mem.writeBytes(at + cs.entry["name"]!.offset, name);
    });
  }

  private newThread(ring: number, ringSlot: number): Thread {
    const t: Thread = {
      id: this.nextThreadId++,
      cpu: new CpuState(),
      ring,
      ringSlot,
      state: "runnable",
      block: null,
      savedFs: 0,
      exitValue: 0n,
      overflow: [],
      resume: null,
    };
    this.threads.push(t);
    return t;
  }

  // =====================================================================================
  // Capabilities (RINGX-7)
  // =====================================================================================

  private capIdOf(slot: number): number {
    const c = this.binding.capId;
    return ((this.caps[slot]!.gen << c.generationShift) | slot) >>> 0;
  }
  private newCap(obj: CapObject): number {
    let slot = this.caps.findIndex((s) => s.obj === null);
    if (slot < 0) {
      slot = this.caps.length;
      if (slot > this.binding.capId.indexMask) return -1;
      this.caps.push({ gen: this.binding.capId.firstGeneration, obj });
    } else this.caps[slot]!.obj = obj;
    return slot;
  }
  private lookupCap(id: number): { slot: number; obj: CapObject } | null {
    const c = this.binding.capId;
    const slot = id & c.indexMask;
    const g = id >>> c.generationShift;
    const s = this.caps[slot];
    if (!s || !s.obj || s.gen !== g) return null;
    return { slot, obj: s.obj };
  }
  private releaseCap(slot: number): void {
    const s = this.caps[slot]!;
    s.obj = null;
    const maxGen = 2 ** (32 - this.binding.capId.generationShift) - 1;
    s.gen = s.gen >= maxGen ? this.binding.capId.firstGeneration : s.gen + 1;
  }

  // =====================================================================================
  // Ring
  // =====================================================================================

  private hdr(t: Thread, k: string): number {
    const f = this.binding.ring.header[k];
    return f ? Number(fieldRead(this.as.mem, t.ring, f)) : 0;
  }
  private setHdr(t: Thread, k: string, v: number): void {
    const f = this.binding.ring.header[k];
    if (f) fieldWrite(this.as.mem, t.ring, f, v >>> 0);
  }
  private cqCount(t: Thread): number {
    return (this.hdr(t, "cqTail") - this.hdr(t, "cqHead")) >>> 0;
  }
  private cqFull(t: Thread): boolean {
    return this.cqCount(t) >= this.binding.ring.cqEntries;
  }
  private writeCqe(t: Thread, c: Cqe): void {
    const b = this.binding;
    const tail = this.hdr(t, "cqTail");
    const at = t.ring + cqeOffset(b, tail);
    const mem = this.as.mem;
    mem.writeBytes(at, new Uint8Array(b.ring.cqeSize));
    const f = b.ring.cqe;
    if (f["userData"]) fieldWrite(mem, at, f["userData"], c.userData);
    if (f["result"]) fieldWrite(mem, at, f["result"], c.result);
    if (f["capId"] && c.capId !== undefined) fieldWrite(mem, at, f["capId"], c.capId);
    if (f["interfaceId"] && c.interfaceId !== undefined) fieldWrite(mem, at, f["interfaceId"], c.interfaceId);
    this.setHdr(t, "cqTail", tail + 1);
  }
  /** Post a completion to a thread's ring, holding it if the CQ is full (RINGX-2). */
  private post(t: Thread, c: Cqe): void {
    if (t.state === "exited") return;
    if (t.overflow.length > 0 || this.cqFull(t)) {
      t.overflow.push(c);
      this.setHdr(t, "cqOverflow", this.hdr(t, "cqOverflow") + 1);
      this.log(`t${t.id} cq-held ud=${hex(c.userData)} res=${c.result}`);
    } else this.writeCqe(t, c);
    this.maybeWake(t);
  }
  private flushOverflow(t: Thread): void {
    while (t.overflow.length > 0 && !this.cqFull(t)) this.writeCqe(t, t.overflow.shift()!);
  }
  private maybeWake(t: Thread): void {
    if (t.state === "blocked" && t.block && this.cqCount(t) >= t.block.minComplete) this.wakeCapEnter(t, "cqe");
  }
  private wakeCapEnter(t: Thread, why: string): void {
    const n = this.cqCount(t);
    t.state = "runnable";
    t.block = null;
    this.setRet(t, BigInt(n));
    this.log(`t${t.id} wake ${why} cap_enter -> ${n}`);
  }

  /**
   * Consume the thread's SQ (RINGX-1..4). Returns "done", "stop" (the thread or process
   * ended) or "yield" (lost-wake mutant: a continuation is pending in t.resume).
   * Public for tests that drive the ring without the CPU.
   */
  processRing(t: Thread | number): "done" | "stop" | "yield" {
    const th = typeof t === "number" ? this.threads.find((x) => x.id === t) : t;
    if (!th) throw new RangeError(`no thread ${String(t)}`);
    if (this.endState) return "stop";
    const b = this.binding;
    this.flushOverflow(th);
    for (;;) {
      if (th.state === "exited" || this.endState) return "stop";
      const head = this.hdr(th, "sqHead");
      const tail = this.hdr(th, "sqTail");
      const pending = (tail - head) >>> 0;
      if (pending === 0) return "done";
      if (pending > b.ring.sqEntries) {
        this.setHdr(th, "sqHead", tail);
        this.log(`t${th.id} ring corrupt head=${head} tail=${tail}`);
        this.post(th, { userData: 0n, result: b.transportErrors.ringCorrupt });
        return "done";
      }
      if (this.cqFull(th) || th.overflow.length > 0) return "done";
      const sqe = this.as.mem.readBytes(th.ring + sqeOffset(b, head), b.ring.sqeSize);
      this.setHdr(th, "sqHead", head + 1);
      const r = this.execSqe(th, sqe, head);
      if (r !== "done") return r;
    }
  }

  private execSqe(t: Thread, bytes: Uint8Array, index: number): "done" | "stop" | "yield" {
    const b = this.binding;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const C = b.ring.sqeCommon;
    const opcode = Number(fieldGet(dv, C["opcode"]));
    const userData = fieldGet(dv, C["userData"]);
    const capId = Number(fieldGet(dv, C["capId"]));
    const E = b.transportErrors;
    const done = (result: number, extra?: Partial<Cqe>, note = ""): "done" => {
      this.log(`t${t.id} sqe#${index} op=${opName} cap=${hex(capId)} ud=${hex(userData)} -> ${result}${note}`);
      this.post(t, { userData, result, ...extra });
      return "done";
    };
    const opName = (Object.keys(b.opcodes) as (keyof typeof b.opcodes)[]).find((k) => b.opcodes[k] === opcode);
    if (opName === undefined) return done(E.invalidOpcode);
    if (fieldGet(dv, C["flags"]) !== 0n || fieldGet(dv, C["reserved0"]) !== 0n) return done(E.invalidSqe);
    const V = b.ring.sqeViews[opName];
    if (opName === "call") {
      for (const k of ["xferCapCount", "pipelineDep", "pipelineField"]) if (fieldGet(dv, V[k]) !== 0n) return done(E.invalidSqe);
    }
    if (opName === "nop") return done(0);
    const cap = this.lookupCap(capId);
    if (!cap) return done(E.invalidCap);
    switch (opName) {
      case "release":
        this.releaseCap(cap.slot);
        return done(0);
      case "recv":
      case "return":
        return done(E.wrongInterface);
      case "park":
      case "unpark":
        return this.parkOp(t, opName, cap.obj, V, dv, userData, done);
      case "call":
        return this.callOp(t, cap, V, dv, userData, done);
    }
  }

  // ---- PARK / UNPARK (PARK-*, PARKX-*) ---------------------------------------------------

  private parkOp(
    t: Thread,
    op: "park" | "unpark",
    obj: CapObject,
    V: FieldTable,
    dv: DataView,
    userData: bigint,
    done: (r: number, extra?: Partial<Cqe>, note?: string) => "done",
  ): "done" | "yield" {
    const b = this.binding;
    const E = b.transportErrors;
    const R = b.park.results;
    if (obj.iface !== "ParkSpace") return done(E.wrongInterface);
    const addrBig = fieldGet(dv, V["addr"]);
    if (addrBig % BigInt(b.park.wordAlign) !== 0n) return done(E.invalidSqe);
    if (addrBig + BigInt(b.park.wordSize) > BigInt(b.layout.userAddressLimit)) return done(E.invalidBuffer);
    const addr = Number(addrBig);
    if (!this.as.accessible(addr, b.park.wordSize, PROT_READ)) return done(E.invalidBuffer);
    if (op === "unpark") {
      const count = Number(fieldGet(dv, V["count"]));
      const gen = this.as.generation(addr);
      const woken: Waiter[] = [];
      for (const w of this.waiters) {
        if (woken.length >= count) break;
        if (w.addr === addr && w.gen === gen) woken.push(w);
      }
      this.waiters = this.waiters.filter((w) => !woken.includes(w));
      for (const w of woken) {
        this.log(`t${w.thread.id} unparked addr=${hex(addr)} gen=${gen} by t${t.id}`);
        this.post(w.thread, { userData: w.userData, result: R.woken });
      }
      return done(woken.length, undefined, ` unpark addr=${hex(addr)} count=${count} woke=[${woken.map((w) => "t" + w.thread.id).join(",")}]`);
    }
    const expected = Number(fieldGet(dv, V["expected"]));
    const timeout = fieldGet(dv, V["timeoutNs"]);
    const value = this.as.mem.readU32(addr);
    if (value !== expected) return done(R.mismatch, undefined, ` park addr=${hex(addr)} value=${value} expected=${expected}`);
    if (timeout === 0n) return done(R.timedOut, undefined, ` park addr=${hex(addr)} poll`);
    const enqueue = () => {
      const gen = this.as.generation(addr);
      const deadline = timeout === b.park.timeoutForever ? null : this.vtime + timeout;
      this.waiters.push({ thread: t, addr, gen, userData, deadline, seq: this.seq++ });
      this.log(`t${t.id} parked addr=${hex(addr)} gen=${gen} ud=${hex(userData)} deadline=${deadline ?? "forever"}`);
    };
    if (this.mutant === "lost-wake") {
      // MUTANT lost-wake: the value check and the enqueue are split by a scheduling point;
      // an UNPARK that runs in between finds no waiter and the wake is lost.
      t.resume = enqueue;
      this.log(`t${t.id} park-check addr=${hex(addr)} (mutant: enqueue deferred)`);
      return "yield";
    }
    enqueue();
    return "done";
  }

  private drain(start: number, size: number, why: string): void {
    if (this.mutant === "no-drain") return; // MUTANT no-drain: waiters stay parked on a dead range.
    const end = start + size;
    const hit = this.waiters.filter((w) => w.addr >= start && w.addr < end);
    if (hit.length === 0) return;
    this.waiters = this.waiters.filter((w) => !hit.includes(w));
    for (const w of hit) {
      this.log(`t${w.thread.id} drained addr=${hex(w.addr)} gen=${w.gen} by ${why}`);
      this.post(w.thread, { userData: w.userData, result: this.binding.park.results.drained });
    }
  }

  // ---- CALL ------------------------------------------------------------------------------

  private callOp(
    t: Thread,
    cap: { slot: number; obj: CapObject },
    V: FieldTable,
    dv: DataView,
    userData: bigint,
    done: (r: number, extra?: Partial<Cqe>, note?: string) => "done",
  ): "done" | "stop" {
    const b = this.binding;
    const E = b.transportErrors;
    const addr = fieldGet(dv, V["addr"]);
    const len = fieldGet(dv, V["len"]);
    const methodId = Number(fieldGet(dv, V["methodId"]));
    const resultAddr = fieldGet(dv, V["resultAddr"]);
    const resultLen = fieldGet(dv, V["resultLen"]);
    const lim = BigInt(b.layout.userAddressLimit);
    if (addr + len > lim || resultAddr + resultLen > lim) return done(E.invalidBuffer);
    const pa = Number(addr), pl = Number(len), ra = Number(resultAddr), rl = Number(resultLen);
    if (!this.as.accessible(pa, pl, PROT_READ) || !this.as.accessible(ra, rl, PROT_WRITE)) return done(E.invalidBuffer);
    const iface = cap.obj.iface;
    const method = Object.entries(b.methods[iface] ?? {}).find(([, o]) => o === methodId)?.[0];
    const note = ` ${iface}.${method ?? `#${methodId}`}`;
    const writeResult = (bytes: Uint8Array): number | null => {
      if (bytes.length > rl) return null;
      this.as.mem.writeBytes(ra, bytes);
      return bytes.length;
    };
    const finish = (o: Outcome): "done" | "stop" => {
      if (o.kind === "stop") return "stop";
      if (o.kind === "async") {
        this.log(`t${t.id} call ud=${hex(userData)}${note} -> pending`);
        return "done";
      }
      if (o.kind === "exc") {
        const bytes = encodeException(b.exceptionTypes[o.type] ?? b.exceptionTypes["failed"] ?? 0, o.message);
        const n = writeResult(bytes);
        return done(n === null ? E.applicationExceptionTruncated : E.applicationException, undefined, `${note} exc=${o.type}`);
      }
      const n = writeResult(o.result);
      if (n === null) return done(E.resultTooSmall, undefined, note);
      const extra: Partial<Cqe> = {};
      if (o.capId !== undefined) extra.capId = o.capId;
      if (o.interfaceId !== undefined) extra.interfaceId = o.interfaceId;
      return done(n, extra, note);
    };
    if (method === undefined) return finish({ kind: "exc", type: "unimplemented", message: `${iface} has no method @${methodId}` });
    const params = pl === 0 ? new Uint8Array(0) : this.as.mem.readBytes(pa, pl);
    try {
      return finish(this.invoke(t, cap, iface, method, params, { userData, ra, rl }));
    } catch (e) {
      if (e instanceof BadMessage) return done(E.badMessage, undefined, note);
      if (e instanceof ResultTooSmall) return done(E.resultTooSmall, undefined, note);
      throw e;
    }
  }

  private invoke(
    t: Thread,
    cap: { slot: number; obj: CapObject },
    iface: InterfaceName,
    method: string,
    params: Uint8Array,
    call: { userData: bigint; ra: number; rl: number },
  ): Outcome {
    const b = this.binding;
    const ok = (result: Uint8Array, extra: { capId?: number; interfaceId?: bigint } = {}): Outcome => ({ kind: "ok", result, ...extra });
    const exc = (type: ExcName, message: string): Outcome => ({ kind: "exc", type, message });
    const vmErr = (e: VmError): Outcome => exc(e.kind, e.message);
    /** Fail with resultTooSmall before any effect when the result would not fit. */
    const need = (size: number) => {
      if (size > call.rl) throw new ResultTooSmall();
    };
    switch (`${iface}.${method}`) {
      case "Console.write": {
        const data = decodeParams(params, gen.Console_Write$Params, (p) => p.data.toUint8Array().slice());
        need(EMPTY.length);
        this.appendConsole(data);
        return ok(EMPTY);
      }
      case "Console.writeLine": {
        const text = decodeParams(params, gen.Console_WriteLine$Params, (p) => p.text);
        need(EMPTY.length);
        this.appendConsole(new TextEncoder().encode(text + "\n"));
        return ok(EMPTY);
      }
      case "VirtualMemory.map": {
        const p = decodeParams(params, gen.VirtualMemory_Map$Params, (x) => ({ hint: x.hint, size: x.size, prot: x.prot }));
        need(ADDR_RESULT_SIZE);
        const r = this.memOp(() => this.as.map(p.hint, p.size, p.prot));
        if (r instanceof VmError) return vmErr(r);
        this.log(`t${t.id} vm map ${hex(r)}+${hex(p.size)} prot=${p.prot}`);
        return ok(encodeResult(gen.VirtualMemory_Map$Results, (x) => (x.addr = r)));
      }
      case "VirtualMemory.reserve": {
        const p = decodeParams(params, gen.VirtualMemory_Reserve$Params, (x) => ({ hint: x.hint, size: x.size }));
        need(ADDR_RESULT_SIZE);
        const r = this.as.reserve(p.hint, p.size);
        if (r instanceof VmError) return vmErr(r);
        this.log(`t${t.id} vm reserve ${hex(r)}+${hex(p.size)}`);
        return ok(encodeResult(gen.VirtualMemory_Reserve$Results, (x) => (x.addr = r)));
      }
      case "VirtualMemory.unmap":
      case "VirtualMemory.decommit": {
        const p = decodeParams(params, gen.VirtualMemory_Unmap$Params, (x) => ({ addr: x.addr, size: x.size }));
        need(EMPTY.length);
        const r = method === "unmap" ? this.as.unmap(p.addr, p.size) : this.as.decommit(p.addr, p.size);
        if (r instanceof VmError) return vmErr(r);
        this.log(`t${t.id} vm ${method} ${hex(p.addr)}+${hex(p.size)}`);
        this.drain(Number(p.addr), Number(p.size), `${method} t${t.id}`);
        return ok(EMPTY);
      }
      case "VirtualMemory.protect":
      case "VirtualMemory.commit": {
        const p = decodeParams(params, gen.VirtualMemory_Protect$Params, (x) => ({ addr: x.addr, size: x.size, prot: x.prot }));
        need(EMPTY.length);
        const r = method === "protect" ? this.as.protect(p.addr, p.size, p.prot) : this.memOp(() => this.as.commit(p.addr, p.size, p.prot));
        if (r instanceof VmError) return vmErr(r);
        this.log(`t${t.id} vm ${method} ${hex(p.addr)}+${hex(p.size)} prot=${p.prot}`);
        return ok(EMPTY);
      }
      case "ThreadSpawner.spawn": {
        const p = decodeParams(params, gen.ThreadSpawner_Spawn$Params, (x) => ({ entry: x.entry, stackTop: x.stackTop, arg: x.arg, fsBase: x.fsBase }));
        need(SPAWN_RESULT_SIZE);
        const live = this.threads.filter((x) => x.state !== "exited" && x.ringSlot >= 0);
        if (live.length >= b.layout.maxThreads) return exc("overloaded", `thread limit ${b.layout.maxThreads} reached`);
        if (!canonical(p.fsBase)) return exc("invalidArgument", `fsBase ${hex(p.fsBase)} is not canonical`);
        const used = new Set(live.map((x) => x.ringSlot));
        let slot = 0;
        while (used.has(slot)) slot++;
        const ring = b.layout.threadRingBase + slot * b.pageSize;
        const handleSlot = this.newCap({ iface: "ThreadHandle" });
        if (handleSlot < 0) return exc("overloaded", "capability table full");
        this.memOp(() => this.initRing(ring));
        const nt = this.newThread(ring, slot);
        this.caps[handleSlot]!.obj = { iface: "ThreadHandle", thread: nt };
        const c = nt.cpu;
        c.rip = Number(BigInt.asIntN(64, p.entry));
        setReg64(c, this.regIndex("rsp"), p.stackTop);
        setReg64(c, this.regIndex(b.entry.ring), BigInt(ring));
        setReg64(c, this.regIndex(b.entry.threadArg), p.arg);
        c.fsBase = Number(BigInt.asIntN(64, p.fsBase));
        nt.savedFs = c.fsBase;
        this.log(`t${t.id} spawn t${nt.id} entry=${hex(p.entry)} ring=${hex(ring)} fs=${hex(p.fsBase)}`);
        return ok(encodeResult(gen.ThreadSpawner_Spawn$Results, (x) => (x.handleIndex = handleSlot)), {
          capId: this.capIdOf(handleSlot),
          interfaceId: b.interfaces.ThreadHandle,
        });
      }
      case "ThreadHandle.join": {
        decodeParams(params, gen.ThreadHandle_Join$Params, () => 0);
        need(JOIN_RESULT_SIZE);
        const target = cap.obj.thread!;
        if (target.state === "exited") return ok(encodeResult(gen.ThreadHandle_Join$Results, (x) => (x.exitValue = target.exitValue)));
        this.joiners.push({ thread: t, target, userData: call.userData, resultAddr: call.ra, resultLen: call.rl });
        return { kind: "async" };
      }
      case "ThreadControl.setFsBase": {
        const base = decodeParams(params, gen.ThreadControl_SetFsBase$Params, (x) => x.base);
        need(EMPTY.length);
        if (!canonical(base)) return exc("invalidArgument", `fsBase ${hex(base)} is not canonical`);
        t.cpu.fsBase = Number(BigInt.asIntN(64, base));
        t.savedFs = t.cpu.fsBase;
        this.log(`t${t.id} setFsBase ${hex(base)}`);
        return ok(EMPTY);
      }
      case "ThreadControl.getFsBase": {
        decodeParams(params, gen.ThreadControl_GetFsBase$Params, () => 0);
        need(FS_RESULT_SIZE);
        const v = BigInt.asUintN(64, BigInt(t.cpu.fsBase));
        return ok(encodeResult(gen.ThreadControl_GetFsBase$Results, (x) => (x.base = v)));
      }
      case "ThreadControl.exit": {
        const value = decodeParams(params, gen.ThreadControl_Exit$Params, (x) => x.value);
        this.exitThread(t, value);
        return { kind: "stop" };
      }
      case "Timer.now": {
        decodeParams(params, gen.Timer_Now$Params, () => 0);
        need(NOW_RESULT_SIZE);
        const v = this.vtime;
        return ok(encodeResult(gen.Timer_Now$Results, (x) => (x.ns = v)));
      }
      case "Timer.sleep": {
        const ns = decodeParams(params, gen.Timer_Sleep$Params, (x) => x.ns);
        need(EMPTY.length);
        if (ns === 0n) return ok(EMPTY);
        const deadline = this.vtime + ns;
        this.sleepers.push({ thread: t, deadline, userData: call.userData, resultAddr: call.ra, resultLen: call.rl, seq: this.seq++ });
        this.log(`t${t.id} sleep until ${deadline}`);
        return { kind: "async" };
      }
      default:
        return exc("unimplemented", `${iface}.${method} is not implemented`);
    }
  }

  /** Run a memory-allocating operation; the memory budget ends the process. */
  private memOp<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof MemoryBudgetExceeded) {
        this.finish({ kind: "budget", what: "memory" });
        throw new ProcessEnded();
      }
      throw e;
    }
  }

  private appendConsole(bytes: Uint8Array): void {
    this.consoleChunks.push(bytes);
    this.consoleLen += bytes.length;
  }

  /** Post the completion of an asynchronous CALL, writing its result message. */
  private completeCall(t: Thread, userData: bigint, ra: number, rl: number, result: Uint8Array): void {
    const E = this.binding.transportErrors;
    if (result.length > rl) return this.post(t, { userData, result: E.resultTooSmall });
    if (!this.as.accessible(ra, result.length, PROT_WRITE)) return this.post(t, { userData, result: E.invalidBuffer });
    this.as.mem.writeBytes(ra, result);
    this.post(t, { userData, result: result.length });
  }

  // =====================================================================================
  // Threads, exit
  // =====================================================================================

  private exitThread(t: Thread, value: bigint): void {
    t.state = "exited";
    t.block = null;
    t.resume = null;
    t.exitValue = value;
    // PARKX-9: no waiter, sleeper or join outlives the thread.
    this.waiters = this.waiters.filter((w) => w.thread !== t);
    this.sleepers = this.sleepers.filter((s) => s.thread !== t);
    this.joiners = this.joiners.filter((j) => j.thread !== t);
    this.log(`t${t.id} thread-exit ${hex(value)}`);
    const mine = this.joiners.filter((j) => j.target === t);
    this.joiners = this.joiners.filter((j) => j.target !== t);
    for (const j of mine) this.completeCall(j.thread, j.userData, j.resultAddr, j.resultLen, encodeResult(gen.ThreadHandle_Join$Results, (x) => (x.exitValue = value)));
    if (this.threads.every((x) => x.state === "exited")) this.finish({ kind: "exit", code: 0 });
  }

  private finish(e: EndState): void {
    if (this.endState) return;
    this.endState = e;
    for (const t of this.threads) if (t.state !== "exited") t.state = "exited";
    this.waiters = [];
    this.sleepers = [];
    this.joiners = [];
    const what =
      e.kind === "exit" ? `exit ${e.code}` : e.kind === "fault" ? `fault ${e.fault}${e.addr !== undefined ? " " + hex(e.addr) : ""}${e.access ? " " + e.access : ""} t${e.thread}` : e.kind === "budget" ? `budget ${e.what}` : e.kind;
    this.log(`end ${what}`);
  }

  // =====================================================================================
  // Syscalls
  // =====================================================================================

  private arg(t: Thread, i: number): bigint {
    return getReg64(t.cpu, this.regIndex(this.binding.syscall.argRegisters[i]!));
  }
  private setRet(t: Thread, v: bigint): void {
    setReg64(t.cpu, this.regIndex(this.binding.syscall.returnRegister), v);
  }

  private syscall(t: Thread): void {
    const b = this.binding;
    const nr = getReg64(t.cpu, this.regIndex(b.syscall.numberRegister));
    if (nr === BigInt(b.syscall.numbers.exit)) {
      const code = Number(BigInt.asIntN(32, this.arg(t, 0)));
      this.log(`t${t.id} syscall exit(${code})`);
      this.finish({ kind: "exit", code });
      return;
    }
    if (nr === BigInt(b.syscall.numbers.capEnter)) {
      const min = this.arg(t, 0);
      const timeout = this.arg(t, 1);
      this.log(`t${t.id} syscall cap_enter(${min}, ${timeout === b.syscall.capEnterWaitForever ? "forever" : timeout})`);
      if (min > BigInt(b.ring.cqEntries)) {
        this.setRet(t, BigInt(b.syscall.errors.invalid));
        return;
      }
      this.capEnter(t, Number(min), timeout);
      return;
    }
    this.log(`t${t.id} syscall ${nr} -> nosys`);
    this.setRet(t, BigInt(b.syscall.errors.noSys));
  }

  private capEnter(t: Thread, min: number, timeout: bigint): void {
    this.flushOverflow(t);
    const r = this.processRing(t);
    if (r === "stop") return;
    if (r === "yield") {
      const cont = t.resume!;
      t.resume = () => {
        cont();
        this.capEnter(t, min, timeout);
      };
      return;
    }
    const n = this.cqCount(t);
    if (n >= min || timeout === 0n) {
      this.setRet(t, BigInt(n));
      return;
    }
    t.state = "blocked";
    t.block = { minComplete: min, deadline: timeout === this.binding.syscall.capEnterWaitForever ? null : this.vtime + timeout, seq: this.seq++ };
    this.log(`t${t.id} block cap_enter min=${min} deadline=${t.block.deadline ?? "forever"}`);
  }

  // =====================================================================================
  // Scheduler
  // =====================================================================================

  /** Advance virtual time to the earliest deadline and fire everything due. False: none. */
  private advanceTime(): boolean {
    type Due = { deadline: bigint; seq: number; fire: () => void };
    const due: Due[] = [];
    for (const w of this.waiters)
      if (w.deadline !== null)
        due.push({
          deadline: w.deadline,
          seq: w.seq,
          fire: () => {
            this.waiters = this.waiters.filter((x) => x !== w);
            this.log(`t${w.thread.id} park-timeout addr=${hex(w.addr)}`);
            this.post(w.thread, { userData: w.userData, result: this.binding.park.results.timedOut });
          },
        });
    for (const s of this.sleepers)
      due.push({
        deadline: s.deadline,
        seq: s.seq,
        fire: () => {
          this.sleepers = this.sleepers.filter((x) => x !== s);
          this.log(`t${s.thread.id} sleep-done`);
          this.completeCall(s.thread, s.userData, s.resultAddr, s.resultLen, EMPTY);
        },
      });
    for (const t of this.threads)
      if (t.state === "blocked" && t.block && t.block.deadline !== null)
        due.push({
          deadline: t.block.deadline,
          seq: t.block.seq,
          fire: () => {
            if (t.state === "blocked") this.wakeCapEnter(t, "timeout");
          },
        });
    if (due.length === 0) return false;
    let min = due[0]!.deadline;
    for (const d of due) if (d.deadline < min) min = d.deadline;
    if (min > this.vtime) this.vtime = min;
    this.log(`time ${this.vtime}`);
    due
      .filter((d) => d.deadline <= this.vtime)
      .sort((a, c) => (a.deadline < c.deadline ? -1 : a.deadline > c.deadline ? 1 : a.seq - c.seq))
      .forEach((d) => d.fire());
    return true;
  }

  /**
   * Take one scheduling decision and run the chosen thread until its next scheduling point.
   * Returns false once the process has ended.
   */
  step(): boolean {
    if (this.endState) return false;
    try {
      this.stepInner();
    } catch (e) {
      if (!(e instanceof ProcessEnded)) throw e;
    }
    return this.endState === null;
  }

  /** Run to the end; returns the end state. */
  run(): EndState {
    while (this.step()) {
      /* loop */
    }
    return this.endState!;
  }

  private stepInner(): void {
    if (this.icount >= this.maxInsns) {
      this.finish({ kind: "budget", what: "instructions" });
      return;
    }
    let runnable = this.threads.filter((t) => t.state === "runnable");
    while (runnable.length === 0) {
      if (!this.advanceTime()) {
        this.finish({ kind: "hang" });
        return;
      }
      if (this.endState) return;
      runnable = this.threads.filter((t) => t.state === "runnable");
    }
    const d = this.sched.next(
      runnable.map((t) => t.id),
      this.lastRunId,
    );
    const t = runnable[d.index]!;
    const prev = this.current;
    if (prev !== t) {
      if (prev) prev.savedFs = prev.cpu.fsBase;
      // FSB-5: the incoming thread gets its own FS base back.
      // MUTANT fs-not-restored: it keeps the previous thread's FS base instead.
      t.cpu.fsBase = this.mutant === "fs-not-restored" && prev && prev.state !== "exited" ? prev.cpu.fsBase : t.savedFs;
      this.log(`switch t${prev ? prev.id : "-"}->t${t.id} q=${d.quantum} ${d.source}`);
      this.current = t;
    }
    this.lastRunId = t.id;
    if (t.resume) {
      const f = t.resume;
      t.resume = null;
      f();
      if (this.endState || t.state !== "runnable" || t.resume) return;
    }
    const left = this.maxInsns - this.icount;
    const budget = d.quantum === 0 ? left : Math.min(d.quantum, left);
    const c = t.cpu;
    // RDTSC reads virtual time plus the global instruction count (monotonic across threads).
    c.tsc = Number(this.vtime) + this.icount - c.icount;
    const before = c.icount;
    const stop = run(c, this.as.mem, budget);
    this.icount += c.icount - before;
    switch (stop.kind) {
      case "syscall":
        this.syscall(t);
        return;
      case "budget":
        if (this.icount >= this.maxInsns) this.finish({ kind: "budget", what: "instructions" });
        return;
      case "hlt":
        this.fault(t, { type: "#GP", reason: "hlt in user mode" });
        return;
      case "fault":
        this.fault(t, stop.fault);
        return;
    }
  }

  private fault(t: Thread, f: Fault): void {
    let e: EndState;
    switch (f.type) {
      case "#PF":
        e = { kind: "fault", fault: "#PF", addr: f.addr, access: f.access, thread: t.id };
        break;
      case "#UD":
        e = { kind: "fault", fault: "#UD", thread: t.id };
        break;
      case "#DE":
      case "#MF":
      case "#XM":
        e = { kind: "fault", fault: "#DE", thread: t.id };
        break;
      default:
        e = f.type === "#GP" && f.addr !== undefined ? { kind: "fault", fault: "#GP", addr: f.addr, thread: t.id } : { kind: "fault", fault: "#GP", thread: t.id };
    }
    this.log(`t${t.id} fault ${f.type} rip=${hex(t.cpu.rip)}${"reason" in f && f.reason ? " (" + f.reason + ")" : ""}`);
    this.finish(e);
  }

  // =====================================================================================
  // Test hooks: drive the kernel without the CPU
  // =====================================================================================

  /** Perform cap_enter(min, timeout) for thread `id` as if it had made the syscall. */
  enterFromTest(id: number, min: number, timeout: bigint): bigint {
    const t = this.threads.find((x) => x.id === id);
    if (!t) throw new RangeError(`no thread ${id}`);
    setReg64(t.cpu, this.regIndex(this.binding.syscall.numberRegister), BigInt(this.binding.syscall.numbers.capEnter));
    setReg64(t.cpu, this.regIndex(this.binding.syscall.argRegisters[0]!), BigInt(min));
    setReg64(t.cpu, this.regIndex(this.binding.syscall.argRegisters[1]!), timeout);
    try {
      this.syscall(t);
    } catch (e) {
      if (!(e instanceof ProcessEnded)) throw e;
    }
    return getReg64(t.cpu, this.regIndex(this.binding.syscall.returnRegister));
  }
}

class ResultTooSmall extends Error {}

function canonical(v: bigint): boolean {
  return v < CANON_LOW || (v >= CANON_HIGH && v <= U64);
}

const EMPTY = encodeResult(gen.Console_Write$Results);
const ADDR_RESULT_SIZE = encodeResult(gen.VirtualMemory_Map$Results).length;
const SPAWN_RESULT_SIZE = encodeResult(gen.ThreadSpawner_Spawn$Results).length;
const JOIN_RESULT_SIZE = encodeResult(gen.ThreadHandle_Join$Results).length;
const FS_RESULT_SIZE = encodeResult(gen.ThreadControl_GetFsBase$Results).length;
const NOW_RESULT_SIZE = encodeResult(gen.Timer_Now$Results).length;

export { INTERFACE_NAMES };
