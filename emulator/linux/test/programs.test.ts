/**
 * Whole-program differential tests: our freestanding C programs run natively and under the
 * emulator must give byte-identical stdout and the same exit status. Also budget verdicts
 * and malformed-ELF errors.
 */
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { buildProgram, nativeSkipReason, runNative, runEmu, libcSkipReason, LIBC_CFLAGS, TOOLCHAINS, buildWithToolchain } from "./harness.js";
import { LinuxProcess } from "../process.js";
import { ElfError, parseElf } from "../elf.js";

const cases: { name: string; args: string[] }[] = [
  { name: "loop", args: ["200000"] },
  { name: "sha256", args: ["1"] },
  { name: "sort", args: [] },
  { name: "interp", args: [] },
  { name: "nbody", args: [] },
  { name: "selfmod", args: [] },
  { name: "edge", args: ["x", "y"] },
];

describe("freestanding programs vs native", () => {
  for (const c of cases) {
    it(`${c.name} ${c.args.join(" ")}`, (ctx) => {
      const why = nativeSkipReason();
      if (why) ctx.skip(why);
      const bin = buildProgram(c.name);
      const nat = runNative(bin, c.args);
      const emu = runEmu(bin, c.args);
      expect(emu.verdict).toEqual({ kind: "exit", status: nat.status });
      expect(Buffer.from(emu.stdout).toString("latin1")).toBe(nat.stdout.toString("latin1"));
      console.log(`[insns] ${c.name}: ${emu.insns}`);
    });
  }
});

describe("static glibc program vs native", () => {
  it("libc_printf (long double printf via x87, strtod, qsort, malloc)", (ctx) => {
    const why = libcSkipReason();
    if (why) ctx.skip(why);
    const bin = buildProgram("libc_printf", LIBC_CFLAGS);
    const nat = runNative(bin, ["x"]);
    const emu = runEmu(bin, ["x"]);
    expect(emu.verdict).toEqual({ kind: "exit", status: nat.status });
    expect(Buffer.from(emu.stdout).toString("latin1")).toBe(nat.stdout.toString("latin1"));
    console.log(`[insns] libc_printf: ${emu.insns}`);
  });
});

/**
 * Byte-for-byte line comparison, except for one documented class: the host's FYL2X (reached by
 * logl) is not always correctly rounded, while the emulator's is. A `logl` line whose raw
 * 80-bit results are exactly one ulp apart is reported as known; every other difference fails.
 */
const HOST_ULP_FUNCTIONS = new Set(["logl"]);
function compareLdmath(nat: string, emu: string): { unexplained: string[]; known: string[] } {
  const a = nat.split("\n"), b = emu.split("\n"), unexplained: string[] = [], known: string[] = [];
  let x = "";
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const l = a[i] ?? "", m = b[i] ?? "";
    if (l.startsWith("x = ")) x = l.slice(4);
    if (l === m) continue;
    const pl = /^(\S+)\s+([0-9a-f]{20}) /.exec(l), pm = /^(\S+)\s+([0-9a-f]{20}) /.exec(m);
    const ord = (h: string): bigint => { const v = BigInt("0x" + h); const mag = v & ((1n << 79n) - 1n); return v >> 79n ? -mag : mag; };
    if (pl && pm && pl[1] === pm[1] && HOST_ULP_FUNCTIONS.has(pl[1]!) && (ord(pl[2]!) - ord(pm[2]!) === 1n || ord(pm[2]!) - ord(pl[2]!) === 1n)) known.push(`${pl[1]}(${x}) native ${pl[2]} emu ${pm[2]}`);
    else unexplained.push(`line ${i + 1}: native "${l}" emu "${m}"`);
  }
  return { unexplained, known };
}

describe("long double <math.h> and <fenv.h> under real libcs vs native", () => {
  for (const tc of TOOLCHAINS) {
    it(`ldmath (${tc})`, (ctx) => {
      const b = buildWithToolchain("ldmath", tc);
      if ("skip" in b) { ctx.skip(b.skip); return; }
      const nat = runNative(b.bin, []);
      expect(nat.status).toBe(0);
      const emu = runEmu(b.bin, []);
      expect(emu.verdict).toEqual({ kind: "exit", status: nat.status });
      const { unexplained, known } = compareLdmath(nat.stdout.toString("latin1"), Buffer.from(emu.stdout).toString("latin1"));
      if (known.length) console.log(`[ldmath ${tc}] known 1-ulp deviations of the host's x87 transcendentals: ${known.join("; ")}`);
      expect(unexplained).toEqual([]);
      console.log(`[insns] ldmath ${tc}: ${emu.insns}`);
    });
  }
});

describe("budgets", () => {
  it("an infinite loop ends with an insn-budget verdict after exactly the budget", (ctx) => {
    const why = nativeSkipReason();
    if (why) ctx.skip(why);
    const p = new LinuxProcess(new Uint8Array(readFileSync(buildProgram("infloop"))), { argv: ["infloop"] });
    const r = p.run(1_000_000);
    expect(r.verdict).toEqual({ kind: "insn-budget" });
    expect(r.insns).toBe(1_000_000);
  });
  it("unbounded allocation ends with a memory-budget verdict", (ctx) => {
    const why = nativeSkipReason();
    if (why) ctx.skip(why);
    const p = new LinuxProcess(new Uint8Array(readFileSync(buildProgram("alloc"))), { argv: ["alloc"], maxPages: 4096 });
    const r = p.run(50_000_000);
    expect(r.verdict).toEqual({ kind: "memory-budget", maxPages: 4096 });
    expect(p.mem.mappedPages).toBeLessThanOrEqual(4096);
  });
});

describe("malformed ELF", () => {
  const good = (() => { const b = new Uint8Array(64 + 56); b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); return b; })();
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["garbage", Uint8Array.from({ length: 200 }, (_, i) => (i * 73 + 5) & 255)],
    ["bad magic", Uint8Array.from([0x7f, 0x45, 0x4c, 0x47, ...new Array(60).fill(0)])],
    ["header only, wrong machine", good],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      let err: unknown;
      try { parseElf(bytes); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ElfError);
      expect((err as Error).message).not.toContain("\n");
    });
  }
  it("truncated real program", (ctx) => {
    const why = nativeSkipReason();
    if (why) ctx.skip(why);
    const full = new Uint8Array(readFileSync(buildProgram("loop")));
    for (const n of [10, 64, 100, 300, full.length >> 1]) {
      let err: unknown;
      try { new LinuxProcess(full.subarray(0, n), { argv: ["x"] }); } catch (e) { err = e; }
      expect(err, `truncated to ${n}`).toBeInstanceOf(ElfError);
      expect((err as Error).message).toMatch(/^[^\n]+$/);
    }
  });
});
