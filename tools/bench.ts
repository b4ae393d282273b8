/**
 * `npm run bench`: guest MIPS of the emulator on CPU-bound freestanding programs and process
 * start-to-exit time, each compared with native and qemu-x86_64 measured in the same run.
 * Instruction counts come from the emulator's exact counter (same binary, same path natively).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";
import { buildProgram, nativeSkipReason } from "../emulator/linux/test/harness.js";
import { runLinuxElf } from "../emulator/linux/process.js";

interface Row { name: string; insns: number; emu: number; native: number; qemu: number | null; ok: boolean }

function timeSpawn(cmd: string, args: string[], runs = 3): { t: number; out: Buffer } {
  const ts: number[] = [];
  let out = Buffer.alloc(0);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { maxBuffer: 1 << 28 });
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
    out = r.stdout;
  }
  ts.sort((a, b) => a - b);
  return { t: ts[Math.floor(ts.length / 2)]!, out };
}
function timeEmu(bin: string, args: string[], runs = 1): { t: number; insns: number; out: Buffer } {
  const elf = new Uint8Array(readFileSync(bin));
  const ts: number[] = [];
  let insns = 0, out = Buffer.alloc(0);
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = runLinuxElf(elf, { argv: [bin, ...args], maxInsns: 1e11, allowHostFiles: true });
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
    insns = r.insns; out = Buffer.from(r.stdout);
  }
  ts.sort((a, b) => a - b);
  return { t: ts[Math.floor(ts.length / 2)]!, insns, out };
}

const why = nativeSkipReason();
if (why) { console.log(`bench needs the host toolchain: ${why}`); process.exit(0); }
const qemu = ["/usr/bin/qemu-x86_64", "/usr/local/bin/qemu-x86_64"].find(existsSync) ?? null;
if (!qemu) console.log("qemu-x86_64 not found: qemu columns are empty");

const cases: { name: string; prog: string; args: string[] }[] = [
  { name: "loop (xorshift/imul)", prog: "loop", args: ["6000000"] },
  { name: "sha256", prog: "sha256", args: ["24"] },
  { name: "sort (quicksort)", prog: "sort", args: ["8"] },
  { name: "interp (bytecode)", prog: "interp", args: [] },
  { name: "nbody (SSE2 double)", prog: "nbody", args: ["120000"] },
];
const rows: Row[] = [];
for (const c of cases) {
  const bin = buildProgram(c.prog);
  timeEmu(bin, c.args.map((a) => (/^\d+$/.test(a) ? String(Math.max(1, Math.floor(Number(a) / 20))) : a))); // warm-up
  const e = timeEmu(bin, c.args);
  const n = timeSpawn(bin, c.args);
  const q = qemu ? timeSpawn(qemu, [bin, ...c.args]) : null;
  rows.push({ name: c.name, insns: e.insns, emu: e.t, native: n.t, qemu: q?.t ?? null, ok: e.out.equals(n.out) });
}
const f = (x: number, d = 2) => x.toFixed(d);
console.log("\nCPU-bound guest programs (MIPS = emulator-counted instructions / wall time)");
console.log("| program | guest insns | emu s | emu MIPS | native s | native MIPS | qemu s | qemu MIPS | emu/native | emu/qemu | output |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(`| ${r.name} | ${r.insns.toExponential(2)} | ${f(r.emu)} | ${f(r.insns / r.emu / 1e6, 1)} | ${f(r.native, 3)} | ${f(r.insns / r.native / 1e6, 0)} | ${r.qemu === null ? "-" : f(r.qemu, 3)} | ${r.qemu === null ? "-" : f(r.insns / r.qemu / 1e6, 0)} | ${f(r.emu / r.native, 0)}x | ${r.qemu === null ? "-" : f(r.emu / r.qemu, 0) + "x"} | ${r.ok ? "same" : "DIFFERENT"} |`);
}

// process start-to-exit
console.log("\nProcess start-to-exit (median of 5; emulator = in-process ELF load + run)");
console.log("| program | guest insns | emu ms | native ms | qemu ms | emu/native | emu/qemu |");
console.log("|---|---|---|---|---|---|---|");
const starts: { name: string; bin: string; args: string[] }[] = [{ name: "freestanding hello (selfmod)", bin: buildProgram("selfmod"), args: [] }];
if (existsSync("/bin/busybox")) starts.push({ name: "busybox true", bin: "/bin/busybox", args: ["true"] }, { name: "busybox echo hi", bin: "/bin/busybox", args: ["echo", "hi"] });
for (const s of starts) {
  timeEmu(s.bin, s.args);
  const e = timeEmu(s.bin, s.args, 5), n = timeSpawn(s.bin, s.args, 5), q = qemu ? timeSpawn(qemu, [s.bin, ...s.args], 5) : null;
  console.log(`| ${s.name} | ${e.insns} | ${f(e.t * 1e3)} | ${f(n.t * 1e3)} | ${q ? f(q.t * 1e3) : "-"} | ${f(e.t / n.t, 1)}x | ${q ? f(e.t / q.t, 1) + "x" : "-"} |`);
}
