/**
 * Test helpers: build freestanding programs with the host gcc, run binaries natively and
 * under the Linux personality, compare.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir, arch } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runLinuxElf, LinuxResult } from "../process.js";

export const PROGRAMS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "programs");
export const CFLAGS = ["-O2", "-static", "-nostdlib", "-fno-builtin", "-fno-stack-protector", "-no-pie", "-fno-math-errno"];

/** Why host-dependent tests cannot run, or null. */
export function nativeSkipReason(): string | null {
  if (arch() !== "x64" || process.platform !== "linux") return `host is ${process.platform}/${arch()}, not linux/x86-64`;
  const r = spawnSync("gcc", ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return "gcc not found on PATH";
  return null;
}

let buildDir: string | null = null;
const built = new Map<string, string>();
/** Compile emulator/linux/test/programs/<name>.c; returns the binary path. */
export function buildProgram(name: string, flags: readonly string[] = CFLAGS): string {
  const hit = built.get(name);
  if (hit) return hit;
  buildDir ??= mkdtempSync(path.join(tmpdir(), "capos-emu-prog-"));
  const out = path.join(buildDir, name);
  const r = spawnSync("gcc", [...flags, "-o", out, path.join(PROGRAMS_DIR, `${name}.c`)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gcc failed for ${name}: ${r.stderr}`);
  built.set(name, out);
  return out;
}

/** Flags for programs linked against the host's static libc. */
export const LIBC_CFLAGS = ["-O2", "-static", "-no-pie"];
/** Why static-glibc programs cannot be built, or null. */
export function libcSkipReason(): string | null {
  const n = nativeSkipReason();
  if (n) return n;
  try { buildProgram("libc_printf", LIBC_CFLAGS); return null; } catch (e) { return `static libc not available: ${(e as Error).message.split("\n")[0]}`; }
}

export interface NativeResult { stdout: Buffer; stderr: Buffer; status: number | null; signal: NodeJS.Signals | null; }
export function runNative(bin: string, args: string[], stdin?: Uint8Array, cwd?: string): NativeResult {
  const r = spawnSync(bin, args, { input: stdin ?? new Uint8Array(0), cwd, maxBuffer: 1 << 28, env: { PATH: "/usr/bin:/bin", LANG: "C", HOME: "/" } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}
export function runEmu(bin: string, args: string[], stdin?: Uint8Array, maxInsns = 4e9): LinuxResult {
  return runLinuxElf(new Uint8Array(readFileSync(bin)), { argv: [bin, ...args], stdin, maxInsns });
}

export const BUSYBOX = "/bin/busybox";
export function busyboxSkipReason(): string | null {
  const n = nativeSkipReason();
  if (n && !n.startsWith("gcc")) return n;
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} not present (apt install busybox-static)`;
  return null;
}

/** Deterministic inputs (xorshift PRNG, fixed seed); sizes default to what the tests use. */
export function makeInputs(size: { lines?: number; nums?: number; binBytes?: number } = {}): Record<string, Uint8Array> {
  let s = 0x2545f491;
  const rnd = () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 0) / 4294967296; };
  const words: string[] = [];
  for (let i = 0; i < 300; i++) { let w = ""; const n = 2 + Math.floor(rnd() * 7); for (let k = 0; k < n; k++) w += String.fromCharCode(97 + Math.floor(rnd() * 26)); words.push(w); }
  const lines: string[] = [];
  for (let i = 0; i < (size.lines ?? 600); i++) { const n = 1 + Math.floor(rnd() * 9); const l: string[] = []; for (let k = 0; k < n; k++) l.push(words[Math.floor(rnd() * words.length)]!); lines.push(l.join(" ")); }
  const nums: string[] = [];
  for (let i = 0; i < (size.nums ?? 800); i++) nums.push(String(Math.floor(rnd() * 2e9) - 1e9));
  const bin = new Uint8Array(size.binBytes ?? 48 * 1024);
  for (let i = 0; i < bin.length; i++) bin[i] = Math.floor(rnd() * 256);
  const enc = new TextEncoder();
  return { "text.txt": enc.encode(lines.join("\n") + "\n"), "nums.txt": enc.encode(nums.join("\n") + "\n"), "rand.bin": bin };
}

/** A C toolchain and libc for whole-program tests of a real libc. */
export type Toolchain = "gcc-glibc" | "clang-glibc" | "gcc-musl" | "clang-musl";
export const TOOLCHAINS: readonly Toolchain[] = ["gcc-glibc", "clang-glibc", "gcc-musl", "clang-musl"];
const tcBuilt = new Map<string, string>();
const tcFailed = new Map<string, string>();
function run(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) return `${cmd} not found on PATH`;
  return r.status === 0 ? null : `${cmd} failed: ${(r.stderr || "").split("\n")[0]}`;
}
/**
 * Build programs/<name>.c statically with a toolchain (clang-musl: compiled by clang against
 * musl's headers, linked by musl-gcc). Returns the binary, or a reason the toolchain is missing.
 */
export function buildWithToolchain(name: string, tc: Toolchain, flags: readonly string[] = ["-O2", "-frounding-math"]): { bin: string } | { skip: string } {
  const key = `${tc}/${name}`;
  const hit = tcBuilt.get(key);
  if (hit) return { bin: hit };
  const failed = tcFailed.get(key);
  if (failed) return { skip: failed };
  const n = nativeSkipReason();
  if (n && !n.startsWith("gcc")) return { skip: n };
  buildDir ??= mkdtempSync(path.join(tmpdir(), "capos-emu-prog-"));
  const src = path.join(PROGRAMS_DIR, `${name}.c`), out = path.join(buildDir, `${name}-${tc}`);
  let why: string | null;
  switch (tc) {
    case "gcc-glibc": why = run("gcc", [...flags, "-static", "-o", out, src, "-lm"]); break;
    case "clang-glibc": why = run("clang", [...flags, "-static", "-o", out, src, "-lm"]); break;
    case "gcc-musl": why = run("musl-gcc", [...flags, "-static", "-o", out, src, "-lm"]); break;
    default: {
      const res = spawnSync("clang", ["-print-resource-dir"], { encoding: "utf8" });
      if (res.error || res.status !== 0) { why = "clang not found on PATH"; break; }
      const musl = "/usr/include/x86_64-linux-musl";
      if (!existsSync(musl)) { why = `${musl} missing (apt install musl-tools)`; break; }
      why = run("clang", [...flags, "-nostdinc", "-isystem", musl, "-isystem", path.join(res.stdout.trim(), "include"), "-c", "-o", `${out}.o`, src])
        ?? run("musl-gcc", ["-static", "-o", out, `${out}.o`, "-lm"]);
    }
  }
  if (why) { tcFailed.set(key, `${tc}: ${why}`); return { skip: `${tc}: ${why}` }; }
  tcBuilt.set(key, out);
  return { bin: out };
}
