/**
 * How the host's x87 transcendentals round, measured against the exact value (x87-math.ts, 256
 * bits): the evidence behind the "known transcendental deviations" of the FP oracle (issue 16).
 *   npx tsx emulator/cpu/test/x87-accuracy.ts [--n N] [--seed S] [--only NAME] [--rc R] [--exp LO,HI]
 *   npx tsx emulator/cpu/test/x87-accuracy.ts --local NAME X0 [--n N]
 * The first form runs N random in-domain operands per instruction natively (64-bit precision,
 * rounding control R: 0 nearest (default), 1 down, 2 up, 3 toward zero; --exp draws the operand's
 * binary exponent from LO..HI instead) and prints, per instruction: the results that are not the
 * correctly rounded one, how far past the rounding boundary their exact value lay (in ulps), and
 * (to nearest) how many mismatches the best "double rounding" model leaves (the exact value
 * rounded to 65..72 bits, to nearest or toward zero, then to 64 bits): a model that explains the
 * host leaves 0.
 * The second form runs N consecutive operands from X0 (one ulp apart) and asks whether one
 * constant internal error explains every result: an interval [lo, hi] with lo <= hi means yes (the
 * hardware's error is smooth there, a polynomial's), lo > hi means the error changes from one
 * operand to the next (rounding inside the microcode).
 * Exit status 0 when it ran, 2 on bad arguments or when the host cannot run x87 code.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir, arch } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as B from "../ops/x87-math.js";

const BIAS = 16383;
interface Ext { neg: boolean; e: number; m: bigint } // value = (-1)^neg * m * 2^(e - BIAS - 63)
const OPS = ["FSIN", "FCOS", "FPTAN", "FSINCOS", "F2XM1", "FYL2X", "FYL2XP1", "FPATAN"] as const;
type Op = (typeof OPS)[number];

function fail(msg: string): never { console.error(`x87-accuracy: ${msg}`); process.exit(2); }
function arg(name: string): string | undefined { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : undefined; }
function num(name: string, dflt: number): number {
  const v = arg(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`--${name} needs a positive integer, got "${v}"`);
  return n;
}

// ---- host ---------------------------------------------------------------------------------------
function buildRunner(): string {
  if (arch() !== "x64" || process.platform !== "linux") fail(`host is ${process.platform}/${arch()}, not linux/x86-64`);
  const out = path.join(mkdtempSync(path.join(tmpdir(), "capos-x87acc-")), "x87t");
  const src = path.join(path.dirname(fileURLToPath(import.meta.url)), "native", "x87-transcendental.c");
  const r = spawnSync("gcc", ["-O1", "-o", out, src], { encoding: "utf8" });
  if (r.error || r.status !== 0) fail(`building ${src} failed: ${r.error?.message ?? r.stderr}`);
  return out;
}
function put(b: Buffer, o: number, x: Ext): void { b.writeBigUInt64LE(x.m, o); b.writeUInt16LE(x.e | (x.neg ? 0x8000 : 0), o + 8); }
function get(b: Buffer, o: number): Ext { const se = b.readUInt16LE(o + 8); return { neg: (se & 0x8000) !== 0, e: se & 0x7fff, m: b.readBigUInt64LE(o) }; }
/** Host results: the instruction's result (FPTAN: the tangent; FSINCOS: [cos, sin]). */
function runHost(runner: string, op: Op, xs: [Ext, Ext | null][], rc = 0): Ext[][] {
  const code = OPS.indexOf(op), inp = Buffer.alloc(23 * xs.length);
  xs.forEach(([x, y], i) => { inp.writeUInt8(code, 23 * i); inp.writeUInt16LE(0x037f | (rc << 10), 23 * i + 1); put(inp, 23 * i + 3, x); if (y) put(inp, 23 * i + 13, y); });
  const r = spawnSync(runner, [], { input: inp, maxBuffer: 1 << 28 });
  if (r.status !== 0 || r.stdout.length !== 22 * xs.length) fail(`native runner failed (status ${r.status} ${r.signal ?? ""})`);
  return xs.map((_, i) => {
    const r0 = get(r.stdout, 22 * i), r1 = get(r.stdout, 22 * i + 10);
    return op === "FPTAN" ? [r1] : op === "FSINCOS" ? [r0, r1] : [r0];
  });
}

// ---- exact values ---------------------------------------------------------------------------------
function big(x: Ext): B.Big { return B.big(x.neg ? -x.m : x.m, x.e - BIAS - 63); }
const LN2 = B.LN2, ONE: B.Big = { m: 1n, e: 0 };
/** The exact results (FSIN/FCOS/FSINCOS/FPTAN reduce with the 66-bit pi, as hardware does). */
function exact(op: Op, x: Ext, y: Ext | null): B.Big[] {
  const X = big(x);
  switch (op) {
    case "FSIN": case "FCOS": case "FPTAN": case "FSINCOS": {
      const [s, c] = B.sinCosB(X);
      return op === "FSIN" ? [s] : op === "FCOS" ? [c] : op === "FPTAN" ? [B.div(s, c)] : [c, s];
    }
    case "F2XM1": return [B.expm1B(B.mul(X, LN2))];
    case "FYL2X": return [B.mul(big(y!), B.div(B.lnB(X), LN2))];
    case "FYL2XP1": return [B.mul(big(y!), B.div(B.ln1pB(X), LN2))];
    case "FPATAN": { // atan2(y, x) for x > 0
      const ay = B.big(y!.m, y!.e - BIAS - 63), ax = B.big(x.m, x.e - BIAS - 63);
      const halfPi: B.Big = { m: B.PI_B.m, e: B.PI_B.e - 1 };
      const r = B.cmpAbs(ay, ax) <= 0 ? B.atanB(B.div(ay, ax)) : B.sub(halfPi, B.atanB(B.div(ax, ay)));
      return [y!.neg ? B.neg(r) : r];
    }
  }
}
const FRAC = 40n;
/** (|v| - |h|) / ulp(h) in units of 2^-40 ulp (h normal). */
function position(v: B.Big, h: Ext): bigint {
  const a = v.m < 0n ? -v.m : v.m, sh = v.e - (h.e - BIAS - 63) + Number(FRAC);
  return (sh >= 0 ? a << BigInt(sh) : a >> BigInt(-sh)) - (h.m << FRAC);
}
const HALF = 1n << (FRAC - 1n), UNIT = 1n << FRAC;
/** Would "round the exact value to n bits (nearest-even or toward zero), then to 64 to nearest-even" give h? */
function doubleRounds(d: bigint, h: Ext, n: number, trunc: boolean): boolean {
  const g = FRAC - BigInt(n - 64); // the intermediate grid, in 2^-40 ulp units: 2^g
  const G = 1n << g, fl = ((d % G) + G) % G, base = d - fl;
  // toward zero on magnitudes is the floor (d is |v| - |h|); to nearest-even on the grid otherwise
  const q = !trunc && (fl > G / 2n || (fl === G / 2n && ((base >> g) & 1n) === 1n)) ? base + G : base;
  // round q (relative to h, in 2^-40 ulp) to an integer number of ulps, nearest-even on h's parity
  const f = ((q % UNIT) + UNIT) % UNIT, k = (q - f) / UNIT;
  const odd = ((h.m + k) & 1n) === 1n;
  const r = f > HALF || (f === HALF && odd) ? k + 1n : k;
  return r === 0n;
}

// ---- operands -------------------------------------------------------------------------------------
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}
function randExt(r: () => number, emin: number, emax: number, neg?: boolean): Ext {
  const e = BIAS + emin + Math.floor(r() * (emax - emin + 1));
  const m = (1n << 63n) | (BigInt(Math.floor(r() * 2 ** 31)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
  return { neg: neg ?? r() < 0.5, e, m };
}
const Y1: Ext = { neg: false, e: BIAS, m: 1n << 63n };
/** In-domain operands: trig |x| < 64; F2XM1 |x| < 1; FYL2X x in [2^-8, 2^9), y = 1; FYL2XP1 |x| < 1/8, y = 1; FPATAN x > 0. */
function operands(op: Op, r: () => number, exp?: [number, number]): [Ext, Ext | null] {
  if (exp) return [randExt(r, exp[0], exp[1], op === "FYL2X" ? false : undefined), op === "FYL2X" || op === "FYL2XP1" || op === "FPATAN" ? Y1 : null];
  switch (op) {
    case "F2XM1": return [randExt(r, -10, -1), null];
    case "FYL2X": return [randExt(r, -8, 8, false), Y1];
    case "FYL2XP1": return [randExt(r, -10, -4), Y1];
    case "FPATAN": return [randExt(r, -4, 4, false), randExt(r, -4, 4)];
    default: return [randExt(r, -4, 5), null];
  }
}

// ---- reports --------------------------------------------------------------------------------------
function fmt(d: bigint): string { return (Number(d) / 2 ** Number(FRAC)).toFixed(4); }
/** Distance past the boundary of the correct rounding (2^-40 ulp units; > 0: the host's is not the correct one). */
function pastBoundary(d: bigint, h: Ext, rc: number): bigint {
  if (rc === 0) return (d < 0n ? -d : d) - HALF;
  const up = (rc === 2 && !h.neg) || (rc === 1 && h.neg); // on magnitudes
  // up: correct iff -1 < d <= 0; down / toward zero: correct iff 0 <= d < 1
  if (up) return d > 0n ? d : -d - UNIT + 1n;
  return d < 0n ? -d : d - UNIT + 1n;
}
function survey(runner: string, ops: Op[], n: number, seed: number, rc: number, exp?: [number, number]): void {
  console.log(`x87-accuracy: seed ${seed}, ${n} operands per instruction, rounding ${["to nearest", "down", "up", "toward zero"][rc]}, 64-bit precision${exp ? `, exponents ${exp[0]}..${exp[1]}` : ""}`);
  console.log("instruction  results  not-correctly-rounded  past-boundary(ulp: median/max)  best double-rounding model (mismatches left)");
  for (const op of ops) {
    const r = rng(seed ^ (OPS.indexOf(op) * 0x9e3779b1));
    const xs = Array.from({ length: n }, () => operands(op, r, exp));
    const host = runHost(runner, op, xs, rc);
    const pts: [bigint, Ext][] = [];
    xs.forEach(([x, y], i) => exact(op, x, y).forEach((v, k) => pts.push([position(v, host[i]![k]!), host[i]![k]!])));
    const past = pts.map(([d, h]) => pastBoundary(d, h, rc)).filter((p) => p > 0n).sort((a, b) => (a < b ? -1 : 1));
    let best = { left: Infinity, n: 0, trunc: false };
    if (rc === 0) for (let bits = 65; bits <= 72; bits++) for (const trunc of [false, true]) {
      const left = pts.filter(([d, h]) => !doubleRounds(d, h, bits, trunc)).length;
      if (left < best.left) best = { left, n: bits, trunc };
    }
    const med = past.length ? fmt(past[past.length >> 1]!) : "-", max = past.length ? fmt(past[past.length - 1]!) : "-";
    const model = rc === 0 ? `${best.n} bits ${best.trunc ? "toward zero" : "nearest"}: ${best.left}` : "-";
    console.log(`${op.padEnd(12)} ${String(pts.length).padStart(7)}  ${String(past.length).padStart(6)} (${(100 * past.length / pts.length).toFixed(2)}%)        ${med} / ${max}              ${model}`);
  }
}
function local(runner: string, op: Op, x0: number, n: number): void {
  if (!Number.isFinite(x0) || x0 === 0) fail(`--local needs a finite non-zero X0`);
  const a = Math.abs(x0), e = Math.floor(Math.log2(a)), m0 = BigInt(Math.round(a * 2 ** (63 - e)));
  const xs: [Ext, Ext | null][] = Array.from({ length: n }, (_, i) => [{ neg: x0 < 0, e: BIAS + e, m: m0 + BigInt(i) }, op === "FYL2X" || op === "FYL2XP1" ? Y1 : op === "FPATAN" ? Y1 : null]);
  const host = runHost(runner, op, xs);
  let lo = -(1n << 62n), hi = 1n << 62n, mism = 0;
  xs.forEach(([x, y], i) => exact(op, x, y).forEach((v, k) => {
    const d = position(v, host[i]![k]!);
    if (d > HALF || -d > HALF) mism++;
    // host = round(exact + err) => err in [-d - 1/2, -d + 1/2]
    if (-d - HALF > lo) lo = -d - HALF;
    if (-d + HALF < hi) hi = -d + HALF;
  }));
  console.log(`x87-accuracy: ${op} at ${n} consecutive operands from ${x0}: ${mism} not correctly rounded; one constant internal error would lie in [${fmt(lo)}, ${fmt(hi)}] ulp: ${lo <= hi ? "consistent (smooth error)" : "inconsistent (the error varies between neighbours)"}`);
}

const only = arg("only"), loc = arg("local");
for (const name of [only, loc]) if (name !== undefined && !OPS.includes(name as Op)) fail(`unknown instruction "${name}" (one of ${OPS.join(", ")})`);
const runner = buildRunner();
if (loc) {
  const i = process.argv.indexOf("--local");
  local(runner, loc as Op, Number(process.argv[i + 2]), num("n", 2000));
} else {
  const rcArg = arg("rc"), rc = rcArg === undefined ? 0 : Number(rcArg);
  if (![0, 1, 2, 3].includes(rc)) fail(`--rc needs 0, 1, 2 or 3, got "${rcArg}"`);
  const e = arg("exp"), exp = e === undefined ? undefined : e.split(",").map(Number);
  if (exp && (exp.length !== 2 || !exp.every(Number.isSafeInteger) || exp[0]! > exp[1]! || exp[0]! < -16000 || exp[1]! > 62)) fail(`--exp needs LO,HI (integers, LO <= HI <= 62), got "${e}"`);
  survey(runner, only ? [only as Op] : [...OPS], num("n", 2000), num("seed", (Date.now() ^ (process.pid << 16)) >>> 0), rc, exp as [number, number] | undefined);
}
