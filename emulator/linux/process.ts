/**
 * Linux-user personality (test-only): loads a static ELF into a fresh address space, builds the
 * initial stack, and runs the CPU, servicing syscalls until the guest exits or a budget ends.
 * Nothing here is part of capOS; it exists to exercise the CPU on real programs.
 */
import { CpuState, setRegNum, getRegNum } from "../cpu/state.js";
import { Memory, MemoryBudgetExceeded, PROT_READ, PROT_WRITE, PROT_EXEC, PAGE } from "../cpu/memory.js";
import { run } from "../cpu/run.js";
import type { Fault, Stop } from "../cpu/fault.js";
import type { TraceRing } from "../cpu/trace.js";
import { parseElf, ElfError, ElfImage } from "./elf.js";
import { dispatchSyscall, SyscallContext } from "./syscalls.js";
import { FdTable } from "./fds.js";
import { cpuid } from "../cpu/ops/system.js";

export const STACK_TOP = 0x7ffffffff000;
export const STACK_SIZE = 2 * 1024 * 1024;
export const MMAP_TOP = 0x7f0000000000;

/** How a guest run ended. */
export type LinuxVerdict =
  | { kind: "exit"; status: number }
  | { kind: "fault"; fault: Fault; rip: bigint }
  | { kind: "insn-budget" }
  | { kind: "memory-budget"; maxPages: number }
  | { kind: "hlt" };

export interface LinuxResult {
  readonly verdict: LinuxVerdict;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  /** Instructions retired. */
  readonly insns: number;
  readonly unknownSyscalls: readonly number[];
}

export interface LinuxOptions {
  readonly argv: readonly string[];
  readonly env?: readonly string[];
  readonly stdin?: Uint8Array;
  /** Instruction budget for the whole run (default 2e9). */
  readonly maxInsns?: number;
  /** Mapped-page budget (default 262144 = 1 GiB). */
  readonly maxPages?: number;
  /** Whether the guest may open regular host files read-only; default false (no host files). */
  readonly allowHostFiles?: boolean;
  /** Streams for live output (CLI); output is always also collected. */
  readonly onStdout?: (b: Uint8Array) => void;
  readonly onStderr?: (b: Uint8Array) => void;
  /** Log of unknown syscalls etc. */
  readonly log?: (line: string) => void;
  readonly trace?: TraceRing;
}

export class LinuxProcess implements SyscallContext {
  readonly cpu = new CpuState();
  readonly mem: Memory;
  readonly fds: FdTable;
  brkStart = 0;
  brkEnd = 0;
  mmapNext = MMAP_TOP;
  exitStatus: number | null = null;
  memBudgetHit = false;
  rngState = 0x9e3779b9;
  readonly out: Uint8Array[] = [];
  readonly err: Uint8Array[] = [];
  readonly unknown: number[] = [];
  readonly image: ElfImage;

  constructor(elf: Uint8Array, readonly opts: LinuxOptions) {
    this.image = parseElf(elf);
    this.mem = new Memory(opts.maxPages ?? 1 << 18);
    // A guest reads host files only when the caller says so: a program under test has no
    // business reading the harness's machine.
    this.fds = new FdTable(opts.stdin ?? new Uint8Array(0), opts.allowHostFiles ?? false);
    try {
      this.load(elf);
    } catch (e) {
      // An image whose segments alone exceed the page budget is refused like any bad ELF.
      if (e instanceof MemoryBudgetExceeded) throw new ElfError(`image needs more than the budget of ${this.mem.maxPages} pages`);
      throw e;
    }
  }

  log(line: string): void { this.opts.log?.(line); }
  writeOut(fd: number, b: Uint8Array): void {
    const copy = b.slice();
    if (fd === 1) { this.out.push(copy); this.opts.onStdout?.(copy); }
    else { this.err.push(copy); this.opts.onStderr?.(copy); }
  }
  /** Map pages, turning a budget overflow into the memory-budget verdict. */
  mapOrBudget(addr: number, len: number, prot: number): boolean {
    try { this.mem.map(addr, len, prot); return true; } catch (e) {
      if (e instanceof MemoryBudgetExceeded) { this.memBudgetHit = true; return false; }
      throw e;
    }
  }

  private load(elf: Uint8Array): void {
    const { mem, cpu, image } = this;
    let end = 0;
    for (const s of image.segments) {
      const start = Math.floor(s.vaddr / PAGE) * PAGE;
      const stop = Math.ceil((s.vaddr + s.memsz) / PAGE) * PAGE;
      const prot = (s.flags & 4 ? PROT_READ : 0) | (s.flags & 2 ? PROT_WRITE : 0) | (s.flags & 1 ? PROT_EXEC : 0);
      // overlapping pages from a previous segment keep their contents
      for (let p = start; p < stop; p += PAGE) if (!mem.isMapped(p)) mem.map(p, PAGE, prot); else mem.protect(p, PAGE, (mem.protAt(p) ?? 0) | prot);
      mem.writeBytes(s.vaddr, elf.subarray(s.offset, s.offset + s.filesz));
      end = Math.max(end, stop);
    }
    this.brkStart = this.brkEnd = end;
    // ---- stack
    mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE);
    const enc = new TextEncoder();
    let sp = STACK_TOP;
    const pushBytes = (b: Uint8Array): number => { sp -= b.length; mem.writeBytes(sp, b); return sp; };
    const cstr = (s: string) => { const b = enc.encode(s); const z = new Uint8Array(b.length + 1); z.set(b); return z; };
    const execfn = pushBytes(cstr(this.opts.argv[0] ?? "a.out"));
    const argvPtrs = this.opts.argv.map((a) => pushBytes(cstr(a)));
    const env = this.opts.env ?? ["PATH=/usr/bin:/bin", "LANG=C", "HOME=/"];
    const envPtrs = env.map((e) => pushBytes(cstr(e)));
    const platform = pushBytes(cstr("x86_64"));
    sp = Math.floor(sp / 16) * 16;
    const random = pushBytes(Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 255));
    const [, , , edx1] = cpuid(1, 0);
    const auxv: [number, number][] = [
      [3, image.phdrAddr], [4, 56], [5, image.phnum], [6, PAGE], [7, 0], [8, 0], [9, image.entry],
      [11, 0], [12, 0], [13, 0], [14, 0], [15, platform], [16, edx1], [17, 100], [23, 0], [25, random],
      [26, 0], [31, execfn], [0, 0],
    ];
    const words: number[] = [this.opts.argv.length, ...argvPtrs, 0, ...envPtrs, 0];
    for (const [k, v] of auxv) words.push(k, v);
    sp -= words.length * 8;
    sp = Math.floor(sp / 16) * 16;
    for (let i = 0; i < words.length; i++) mem.writeU64(sp + i * 8, BigInt(words[i]!));
    setRegNum(cpu, 4, sp);
    cpu.rip = image.entry;
    // RDX = 0 (no rtld fini), other registers zero as Linux does
  }

  /** Run until exit or a budget; can be called again after an insn-budget verdict. */
  run(maxInsns = this.opts.maxInsns ?? 2e9): LinuxResult {
    const { cpu, mem } = this;
    const start = cpu.icount;
    let verdict: LinuxVerdict | null = null;
    while (verdict === null) {
      const left = maxInsns - (cpu.icount - start);
      if (left <= 0) { verdict = { kind: "insn-budget" }; break; }
      const s: Stop = run(cpu, mem, Math.min(left, 50_000_000), this.opts.trace);
      switch (s.kind) {
        case "budget": break;
        case "hlt": verdict = { kind: "hlt" }; break;
        case "fault": verdict = { kind: "fault", fault: s.fault, rip: BigInt(cpu.rip) }; break;
        case "syscall":
          dispatchSyscall(this);
          if (this.memBudgetHit) verdict = { kind: "memory-budget", maxPages: mem.maxPages };
          else if (this.exitStatus !== null) verdict = { kind: "exit", status: this.exitStatus };
          break;
      }
    }
    return {
      verdict, stdout: concat(this.out), stderr: concat(this.err), insns: cpu.icount - start,
      unknownSyscalls: this.unknown.slice(),
    };
  }

  /** Virtual wall clock in nanoseconds: fixed epoch + 1 ns per retired instruction. */
  nowNs(): bigint { return 1_700_000_000_000_000_000n + BigInt(cpu_icount(this.cpu)); }
  reg(r: number): number { return getRegNum(this.cpu, r); }
}

function cpu_icount(c: CpuState): number { return c.icount; }

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Convenience: load and run a static ELF under the Linux personality. */
export function runLinuxElf(elf: Uint8Array, opts: LinuxOptions): LinuxResult {
  return new LinuxProcess(elf, opts).run();
}
