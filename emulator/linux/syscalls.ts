/**
 * Linux x86-64 syscall dispatch for the test personality. Arguments in RDI, RSI, RDX, R10,
 * R8, R9; result (or -errno) in RAX. Unknown syscalls return -ENOSYS and are logged.
 */
import type { CpuState } from "../cpu/state.js";
import { getRegNum, setRegNum } from "../cpu/state.js";
import type { Memory } from "../cpu/memory.js";
import { PAGE, PROT_READ, PROT_WRITE, PROT_EXEC } from "../cpu/memory.js";
import { GuestFault } from "../cpu/fault.js";
import type { FdTable } from "./fds.js";

export interface SyscallContext {
  readonly cpu: CpuState;
  readonly mem: Memory;
  readonly fds: FdTable;
  brkStart: number;
  brkEnd: number;
  mmapNext: number;
  exitStatus: number | null;
  rngState: number;
  readonly unknown: number[];
  readonly opts: { readonly argv: readonly string[] };
  log(line: string): void;
  writeOut(fd: number, b: Uint8Array): void;
  mapOrBudget(addr: number, len: number, prot: number): boolean;
  nowNs(): bigint;
}

export const ENOENT = 2, EBADF = 9, ENOMEM = 12, EACCES = 13, EFAULT = 14, EINVAL = 22, ENOTTY = 25,
  ESPIPE = 29, ENOSYS = 38, ENOTDIR = 20, EPERM = 1, ECHILD = 10;

const dec = new TextDecoder();
const pageUp = (v: number) => Math.ceil(v / PAGE) * PAGE;

function cstring(ctx: SyscallContext, a: number): string {
  return dec.decode(ctx.mem.readCString(a, 4096));
}
function writeStat(ctx: SyscallContext, a: number, mode: number, size: number, mtime: number, ino: number): void {
  const b = new Uint8Array(144), dv = new DataView(b.buffer);
  dv.setBigUint64(0, 0x801n, true);
  dv.setBigUint64(8, BigInt(ino), true);
  dv.setBigUint64(16, 1n, true);
  dv.setUint32(24, mode, true);
  dv.setBigInt64(48, BigInt(size), true);
  dv.setBigInt64(56, 4096n, true);
  dv.setBigInt64(64, BigInt(Math.ceil(size / 512)), true);
  for (const o of [72, 88, 104]) dv.setBigInt64(o, BigInt(mtime), true);
  ctx.mem.writeBytes(a, b);
}
const S_IFIFO = 0o010000, S_IFREG = 0o100000, S_IFDIR = 0o040000;

function fstatFd(ctx: SyscallContext, fd: number, a: number): number {
  const f = ctx.fds.get(fd);
  if (!f) return -EBADF;
  if (f.kind === "file") writeStat(ctx, a, S_IFREG | 0o644, f.size, f.mtimeSec, 1000 + fd);
  else writeStat(ctx, a, S_IFIFO | 0o600, 0, 0, 10 + fd);
  return 0;
}
function statPath(ctx: SyscallContext, path: string, a: number): number {
  const st = ctx.fds.statHost(path);
  if (!st) return -ENOENT;
  writeStat(ctx, a, st.dir ? S_IFDIR | 0o755 : S_IFREG | 0o644, st.size, st.mtimeSec, 2000);
  return 0;
}

function read(ctx: SyscallContext, fd: number, buf: number, n: number): number {
  const f = ctx.fds.get(fd);
  if (!f || f.kind === "stdout" || f.kind === "stderr") return -EBADF;
  const k = Math.max(0, Math.min(n, f.data.length - f.pos));
  if (k > 0) ctx.mem.writeBytes(buf, f.data.subarray(f.pos, f.pos + k));
  f.pos += k;
  return k;
}
function write(ctx: SyscallContext, fd: number, buf: number, n: number): number {
  const f = ctx.fds.get(fd);
  if (!f || (f.kind !== "stdout" && f.kind !== "stderr")) return -EBADF;
  ctx.writeOut(f.kind === "stdout" ? 1 : 2, ctx.mem.readBytes(buf, n));
  return n;
}
function iov(ctx: SyscallContext, fd: number, v: number, cnt: number, isWrite: boolean): number {
  let total = 0;
  for (let i = 0; i < cnt; i++) {
    const base = Number(ctx.mem.readU64(v + i * 16)), len = Number(ctx.mem.readU64(v + i * 16 + 8));
    const r = isWrite ? write(ctx, fd, base, len) : read(ctx, fd, base, len);
    if (r < 0) return total > 0 ? total : r;
    total += r;
    if (r < len) break;
  }
  return total;
}

function mmap(ctx: SyscallContext, addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
  if (len <= 0) return -EINVAL;
  const size = pageUp(len);
  const MAP_FIXED = 0x10, MAP_ANON = 0x20, MAP_FIXED_NOREPLACE = 0x100000;
  let at: number;
  if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0) {
    if (addr % PAGE) return -EINVAL;
    at = addr;
  } else {
    // top-down allocation below the previous mapping, skipping mapped pages
    at = ctx.mmapNext - size;
    for (;;) {
      let clash = false;
      for (let p = at; p < at + size; p += PAGE) if (ctx.mem.isMapped(p)) { clash = true; at = p - size; break; }
      if (!clash) break;
      at = Math.floor(at / PAGE) * PAGE;
    }
    ctx.mmapNext = at;
  }
  const p = (prot & 1 ? PROT_READ : 0) | (prot & 2 ? PROT_WRITE : 0) | (prot & 4 ? PROT_EXEC : 0);
  if (!ctx.mapOrBudget(at, size, p)) return -ENOMEM;
  if (!(flags & MAP_ANON) && fd >= 0) {
    const f = ctx.fds.get(fd);
    if (!f || f.kind !== "file") { ctx.mem.unmap(at, size); return -EBADF; }
    const chunk = f.data.subarray(Math.min(off, f.data.length), Math.min(off + len, f.data.length));
    ctx.mem.writeBytes(at, chunk);
  }
  return at;
}

function brk(ctx: SyscallContext, want: number): number {
  if (want === 0 || want < ctx.brkStart) return ctx.brkEnd;
  const cur = pageUp(ctx.brkEnd), next = pageUp(want);
  if (next > cur) { if (!ctx.mapOrBudget(cur, next - cur, PROT_READ | PROT_WRITE)) return ctx.brkEnd; }
  else if (next < cur) ctx.mem.unmap(next, cur - next);
  ctx.brkEnd = want;
  return want;
}

function uname(ctx: SyscallContext, a: number): number {
  const fields = ["Linux", "capos-conform", "6.1.0", "#1 SMP capos-conform", "x86_64", "(none)"];
  const b = new Uint8Array(65 * 6);
  fields.forEach((s, i) => b.set(new TextEncoder().encode(s), i * 65));
  ctx.mem.writeBytes(a, b);
  return 0;
}
function nextRand(ctx: SyscallContext): number {
  let x = ctx.rngState;
  x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
  ctx.rngState = x | 0;
  return x & 255;
}
function timespec(ctx: SyscallContext, a: number, usec: boolean): void {
  const ns = ctx.nowNs();
  ctx.mem.writeU64(a, ns / 1_000_000_000n);
  ctx.mem.writeU64(a + 8, usec ? (ns % 1_000_000_000n) / 1000n : ns % 1_000_000_000n);
}

/** Service the syscall the CPU stopped at. */
export function dispatchSyscall(ctx: SyscallContext): void {
  const c = ctx.cpu;
  const nr = c.lo[0]! >>> 0;
  const a0 = getRegNum(c, 7), a1 = getRegNum(c, 6), a2 = getRegNum(c, 2), a3 = getRegNum(c, 10), a4 = getRegNum(c, 8), a5 = getRegNum(c, 9);
  let r: number;
  try {
    r = syscall(ctx, nr, a0, a1, a2, a3, a4, a5);
  } catch (e) {
    if (e instanceof GuestFault) r = -EFAULT; else throw e;
  }
  setRegNum(c, 0, r);
}

function syscall(ctx: SyscallContext, nr: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number): number {
  const i32 = (v: number) => v | 0;
  switch (nr) {
    case 0: return read(ctx, i32(a0), a1, a2);
    case 1: return write(ctx, i32(a0), a1, a2);
    case 2: return openPath(ctx, cstring(ctx, a0), a1);
    case 257: return i32(a0) === -100 || cstring(ctx, a1).startsWith("/") ? openPath(ctx, cstring(ctx, a1), a2) : -EBADF;
    case 3: return ctx.fds.fds.delete(i32(a0)) ? 0 : -EBADF;
    case 4: case 6: return statPath(ctx, cstring(ctx, a0), a1);
    case 5: return fstatFd(ctx, i32(a0), a1);
    case 262: { // newfstatat
      const path = cstring(ctx, a1);
      if (path === "" && (a3 & 0x1000)) return fstatFd(ctx, i32(a0), a2);
      return statPath(ctx, path, a2);
    }
    case 8: { // lseek
      const f = ctx.fds.get(i32(a0));
      if (!f) return -EBADF;
      if (f.kind !== "file") return -ESPIPE;
      const base = a2 === 0 ? 0 : a2 === 1 ? f.pos : a2 === 2 ? f.data.length : NaN;
      if (Number.isNaN(base) || base + a1 < 0) return -EINVAL;
      f.pos = base + a1;
      return f.pos;
    }
    case 17: { // pread64
      const f = ctx.fds.get(i32(a0));
      if (!f || f.kind !== "file") return -EBADF;
      const k = Math.max(0, Math.min(a2, f.data.length - a3));
      if (k > 0) ctx.mem.writeBytes(a1, f.data.subarray(a3, a3 + k));
      return k;
    }
    case 19: return iov(ctx, i32(a0), a1, a2, false);
    case 20: return iov(ctx, i32(a0), a1, a2, true);
    case 9: return mmap(ctx, a0, a1, a2, a3, i32(a4), a5);
    case 10: {
      const p = (a2 & 1 ? PROT_READ : 0) | (a2 & 2 ? PROT_WRITE : 0) | (a2 & 4 ? PROT_EXEC : 0);
      return ctx.mem.protect(a0, pageUp(a1), p) ? 0 : -ENOMEM;
    }
    case 11: if (a0 % PAGE) return -EINVAL; ctx.mem.unmap(a0, pageUp(a1)); return 0;
    case 12: return brk(ctx, a0);
    case 25: return -ENOMEM; // mremap
    case 28: return 0; // madvise
    case 13: case 14: case 131: return 0; // rt_sigaction, rt_sigprocmask, sigaltstack
    case 16: return -ENOTTY; // ioctl
    case 21: return ctx.fds.statHost(cstring(ctx, a0)) ? 0 : -ENOENT; // access
    case 24: return 0; // sched_yield
    case 32: case 33: case 292: { // dup, dup2, dup3 (descriptions are shared objects, as on Linux)
      const f = ctx.fds.get(i32(a0));
      if (!f) return -EBADF;
      const to = nr === 32 ? ctx.fds.lowestFree(0) : i32(a1);
      if (to < 0) return -EBADF;
      ctx.fds.fds.set(to, f);
      return to;
    }
    case 39: return 1000; // getpid
    case 110: return 1; // getppid
    case 186: return 1000; // gettid
    case 60: case 231: ctx.exitStatus = a0 & 255; return 0;
    case 63: return uname(ctx, a0);
    case 72: return 0; // fcntl
    case 79: { // getcwd
      const s = new TextEncoder().encode(process.cwd() + "\0");
      if (s.length > a1) return -34;
      ctx.mem.writeBytes(a0, s);
      return s.length;
    }
    case 89: case 267: return -ENOENT; // readlink, readlinkat
    case 96: timespec(ctx, a0, true); return 0;
    case 201: { const s = Number(ctx.nowNs() / 1_000_000_000n); if (a0) ctx.mem.writeU64(a0, BigInt(s)); return s; }
    case 228: timespec(ctx, a1, false); return 0;
    case 97: case 302: { // getrlimit, prlimit64
      const res = nr === 97 ? a0 : a1, out = nr === 97 ? a1 : a3;
      if (out) {
        const cur = res === 3 ? 8n << 20n : 0xffffffffffffffffn;
        ctx.mem.writeU64(out, cur); ctx.mem.writeU64(out + 8, 0xffffffffffffffffn);
      }
      return 0;
    }
    case 102: case 104: case 107: case 108: return 0; // getuid, getgid, geteuid, getegid
    case 95: return 0o022; // umask
    case 157: return a0 === 16 ? (ctx.mem.writeBytes(a1, new TextEncoder().encode("busybox\0")), 0) : -EINVAL; // prctl
    case 158: { // arch_prctl
      switch (a0) {
        case 0x1002: ctx.cpu.fsBase = a1; return 0;
        case 0x1001: ctx.cpu.gsBase = a1; return 0;
        case 0x1003: ctx.mem.writeU64(a1, BigInt(ctx.cpu.fsBase)); return 0;
        case 0x1004: ctx.mem.writeU64(a1, BigInt(ctx.cpu.gsBase)); return 0;
      }
      return -EINVAL;
    }
    case 202: return 0; // futex (single thread: wake = 0, wait would deadlock -> 0)
    case 218: return 1000; // set_tid_address
    case 273: return 0; // set_robust_list
    case 334: return -ENOSYS; // rseq
    case 318: { // getrandom
      const b = new Uint8Array(a1);
      for (let i = 0; i < b.length; i++) b[i] = nextRand(ctx);
      ctx.mem.writeBytes(a0, b);
      return a1;
    }
    case 35: case 230: return 0; // nanosleep
    case 61: return -ECHILD; // wait4
    case 62: return 0; // kill
    case 99: return -ENOSYS; // sysinfo
  }
  ctx.unknown.push(nr);
  ctx.log(`unknown syscall ${nr} -> ENOSYS`);
  void EACCES; void ENOTDIR;
  return -ENOSYS;
}

function openPath(ctx: SyscallContext, path: string, flags: number): number {
  const acc = flags & 3;
  if (acc !== 0) return -EACCES; // read-only personality
  return ctx.fds.openHost(path);
}
