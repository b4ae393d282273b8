/**
 * MXCSR sticky exception flags (IE 1, DE 2, ZE 4, OE 8, UE 16, PE 32) for SSE arithmetic in the
 * default mode (round to nearest, no FTZ/DAZ), where the result itself comes from the host's
 * correctly rounded JS arithmetic. Exactness is decided by error-free transformations (TwoSum,
 * Dekker's product) when the operands are in a safe range, and otherwise by the exact bigint path
 * of softfp.ts. Once PE is already set, a normal finite result needs no exactness test at all, so
 * the usual cost is two comparisons.
 */
import { arithMode, fx, F32, F64, FX_DE, FX_IE, FX_OE, FX_PE, FX_UE, FX_ZE } from "./softfp.js";

export const MIN_NORMAL64 = 2.2250738585072014e-308, MIN_NORMAL32 = 1.1754943508222875e-38;
const ADD = 0, MUL = 1, SUB = 2, DIV = 4, SQRT = 6;

export function isSNaN64(hi: number, lo: number): boolean {
  return (hi & 0x7ff80000) === 0x7ff00000 && ((hi & 0x7ffff) | lo) !== 0;
}
export function isSNaN32(v: number): boolean {
  return (v & 0x7fc00000) === 0x7f800000 && (v & 0x3fffff) !== 0;
}
/** Nonzero and below the smallest normal of the format. */
export function denormal(v: number, single: boolean): boolean {
  return v !== 0 && (v < 0 ? -v : v) < (single ? MIN_NORMAL32 : MIN_NORMAL64);
}

const SPLIT = 134217729; // 2^27 + 1
/** Error of the double product a*b = p (Dekker); valid when no intermediate over/underflows. */
function productError(a: number, b: number, p: number): number {
  let t = SPLIT * a; const ah = t - (t - a), al = a - ah;
  t = SPLIT * b; const bh = t - (t - b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
/** |x| inside the range where Dekker's product is exact. */
function safe(x: number): boolean { const v = x < 0 ? -x : x; return v < 1e290 && (v > 1e-140 || v === 0); }

/**
 * True/false if the rounded result r of a op b (finite, normal) is exact, or null when the
 * cheap test does not apply.
 */
function exactCheap(op: number, a: number, b: number, r: number, single: boolean): boolean | null {
  switch (op) {
    case ADD: case SUB: {
      const bb0 = op === SUB ? -b : b, s = a + bb0;
      if (!isFinite(s)) return null;
      const bv = s - a, err = (a - (s - bv)) + (bb0 - bv);
      return err === 0 && (!single || r === s);
    }
    case MUL:
      if (single) return r === a * b; // a 24x24-bit product is exact in a double
      if (!safe(a) || !safe(b) || !safe(r) || (r < 0 ? -r : r) < 1e-270) return null;
      return productError(a, b, r) === 0;
    case DIV:
      if (single) return r * b === a;
      if (!safe(r) || !safe(b) || !safe(a) || (a < 0 ? -a : a) < 1e-270) return null;
      return r * b === a && productError(r, b, a) === 0;
    default:
      if (single) return r * r === b;
      if (!safe(r) || (b < 0 ? -b : b) < 1e-270) return null;
      return r * r === b && productError(r, r, b) === 0;
  }
}

/**
 * Flags for a op b = r (op: 0 add, 1 mul, 2 sub, 4 div, 6 sqrt(b)) computed in the default mode;
 * a and b are not NaN (callers handle NaN operands). peSet: PE is already sticky.
 */
export function defaultFlags(op: number, a: number, b: number, r: number, single: boolean, peSet: boolean): number {
  if (op === SQRT) a = 0;
  let f = denormal(a, single) || denormal(b, single) ? FX_DE : 0;
  if (r !== r) return FX_IE; // an invalid operation reports no denormal operand
  if (!isFinite(a) || !isFinite(b)) return f; // infinite operands give exact results
  if (op === DIV && b === 0) return FX_ZE; // and no denormal-operand report, as for invalid
  if (!isFinite(r)) return f | FX_OE | FX_PE;
  const ar = r < 0 ? -r : r;
  if (ar > (single ? MIN_NORMAL32 : MIN_NORMAL64)) {
    if (peSet) return f;
    const ex = exactCheap(op, a, b, r, single);
    if (ex !== null) return ex ? f : f | FX_PE;
  } else if (r === 0 && (op === ADD || op === SUB || a === 0 || (op === MUL && b === 0))) return f;
  fx.f = 0;
  arithMode(op, a, b, single ? F32 : F64, 0, false, false);
  return f | (fx.f & (FX_OE | FX_UE | FX_PE));
}
