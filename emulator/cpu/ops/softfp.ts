/**
 * Exact IEEE arithmetic for the non-default MXCSR modes (RC != nearest, FTZ, DAZ).
 * Operands are decomposed into sign * mant * 2^exp (mant a bigint), the exact result (with a
 * sticky bit for inexact quotients/roots) is rounded once to binary32/binary64 under the
 * requested rounding mode. The default mode uses the host's correctly rounded JS arithmetic.
 */
const f64 = new Float64Array(1), u32v = new Uint32Array(f64.buffer);

interface Fmt { p: number; emin: number; emax: number; }
export const F64: Fmt = { p: 53, emin: -1022, emax: 1023 };
export const F32: Fmt = { p: 24, emin: -126, emax: 127 };

/** Decompose a finite double into [negative, mant, exp] with value = mant * 2^exp. */
function decompose(x: number): [boolean, bigint, number] {
  f64[0] = x;
  const hi = u32v[1]!, lo = u32v[0]!;
  const neg = (hi >>> 31) === 1, e = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (e === 0) return [neg, m, -1074];
  m |= 1n << 52n;
  return [neg, m, e - 1075];
}
function bitLen(v: bigint): number { return v === 0n ? 0 : v.toString(2).length; }

/** Exception flag bits, in MXCSR and x87 FSW positions. */
export const FX_IE = 1, FX_DE = 2, FX_ZE = 4, FX_OE = 8, FX_UE = 16, FX_PE = 32;
/**
 * Flags raised by roundings since the caller last cleared `fx.f`, and whether the last rounding
 * increased the magnitude (x87 C1). Module state instead of a return tuple: no allocation.
 */
export const fx = { f: 0, up: false };
/**
 * Tininess is detected after rounding on x86 (SSE and x87): a result is tiny when rounding it
 * to the format's precision with an unbounded exponent gives a magnitude below 2^emin.
 */
function tinyAfterRounding(neg: boolean, m: bigint, e: number, sticky: boolean, rc: number, p: number, emin: number): boolean {
  const lead = e + bitLen(m) - 1;
  if (lead >= emin) return false;
  if (lead < emin - 1) return true;
  // lead === emin - 1: only a carry out of the p-bit rounding reaches 2^emin
  const sh = lead - p + 1 - e;
  let q: bigint, rem: boolean, above: boolean, half: boolean;
  if (sh <= 0) { q = m << BigInt(-sh); rem = sticky; above = sticky; half = false; }
  else {
    const S = BigInt(sh); q = m >> S;
    const r = m & ((1n << S) - 1n), h = 1n << (S - 1n);
    half = r === h && !sticky; above = r > h || (r === h && sticky); rem = r !== 0n || sticky;
  }
  if ((rc === 0 && (above || (half && (q & 1n) === 1n))) || (rc === 1 && neg && rem) || (rc === 2 && !neg && rem)) q += 1n;
  return bitLen(q) <= p;
}

/**
 * Round neg * (m * 2^e + sticky) to the format with rounding mode rc (0 RN, 1 RD, 2 RU, 3 RZ).
 * Raises PE, UE (tiny and inexact, or flushed by FTZ) and OE in `fx`.
 */
export function roundTo(neg: boolean, m: bigint, e: number, sticky: boolean, rc: number, fmt: Fmt, ftz: boolean): number {
  fx.up = false;
  if (m === 0n && !sticky) return neg ? -0 : 0;
  const len = bitLen(m);
  // exponent of the leading bit
  let lead = e + len - 1;
  const tiny = tinyAfterRounding(neg, m, e, sticky, rc, fmt.p, fmt.emin);
  if (ftz && tiny) { fx.f |= FX_UE | FX_PE; return neg ? -0 : 0; }
  // target lsb exponent: normal numbers keep p bits; subnormals are fixed at emin - p + 1
  let lsb = Math.max(lead - fmt.p + 1, fmt.emin - fmt.p + 1);
  let q: bigint, rem = false, half = false, above = false;
  const shift = lsb - e;
  if (shift <= 0) { q = m << BigInt(-shift); rem = sticky; half = false; above = sticky; }
  else {
    const S = BigInt(shift);
    q = m >> S;
    const r = m & ((1n << S) - 1n), h = 1n << (S - 1n);
    half = r === h && !sticky;
    above = r > h || (r === h && sticky);
    rem = r !== 0n || sticky;
  }
  const awayFromZero = (rc === 0 && (above || (half && (q & 1n) === 1n))) || (rc === 1 && neg && rem) || (rc === 2 && !neg && rem);
  if (awayFromZero) q += 1n;
  fx.up = awayFromZero;
  if (rem) fx.f |= tiny ? FX_PE | FX_UE : FX_PE;
  if (bitLen(q) > fmt.p) { q >>= 1n; lsb += 1; }
  lead = lsb + bitLen(q) - 1;
  if (lead > fmt.emax) {
    fx.f |= FX_OE | FX_PE;
    const toInf = rc === 0 || (rc === 1 && neg) || (rc === 2 && !neg);
    fx.up = toInf;
    const max = fmt === F64 ? Number.MAX_VALUE : 3.4028234663852886e38;
    return neg ? (toInf ? -Infinity : -max) : (toInf ? Infinity : max);
  }
  const v = Number(q) * 2 ** lsb; // exact: q < 2^p and the scale stays in range
  return neg ? -v : v;
}

/** A nonzero value below the format's smallest normal (a denormal operand). */
export function isDenormal(x: number, fmt: Fmt): boolean { return x !== 0 && Math.abs(x) < 2 ** fmt.emin; }
function daz(x: number, fmt: Fmt): number {
  if (x !== 0 && Math.abs(x) < 2 ** fmt.emin) return x < 0 ? -0 : 0;
  return x;
}

/**
 * a op b (op: 0 add, 1 mul, 2 sub, 4 div, 6 sqrt of b) for finite/infinite/NaN-free inputs
 * already screened by the caller, under rc/ftz/daz. Returns NaN for invalid operations.
 */
export function arithMode(op: number, a: number, b: number, fmt: Fmt, rc: number, ftz: boolean, dazOn: boolean): number {
  if (op === 6) a = 0; // SQRT has one operand
  if (dazOn) { a = daz(a, fmt); b = daz(b, fmt); }
  else if (isDenormal(a, fmt) || isDenormal(b, fmt)) fx.f |= FX_DE;
  if (!isFinite(a) || !isFinite(b)) {
    // infinities (NaNs were screened by the caller): results are exact or NaN
    let r: number;
    switch (op) { case 0: r = a + b; break; case 1: r = a * b; break; case 2: r = a - b; break; case 4: r = a / b; break; default: r = Math.sqrt(b); }
    if (r !== r) fx.f = (fx.f & ~FX_DE) | FX_IE;
    else if (op === 4 && b === 0 && isFinite(a)) fx.f |= FX_ZE;
    return fmt === F32 ? Math.fround(r) : r;
  }
  if (op === 2) { b = -b; op = 0; }
  switch (op) {
    case 0: {
      if (a === 0 && b === 0) {
        const na = Object.is(a, -0), nb = Object.is(b, -0);
        return na && nb ? -0 : !na && !nb ? 0 : rc === 1 ? -0 : 0;
      }
      const [sa, ma, ea] = decompose(a), [sb, mb, eb] = decompose(b);
      const e = Math.min(ea, eb);
      const A = (ma << BigInt(ea - e)) * (sa ? -1n : 1n), B = (mb << BigInt(eb - e)) * (sb ? -1n : 1n);
      const s = A + B;
      if (s === 0n) return rc === 1 ? -0 : 0;
      return roundTo(s < 0n, s < 0n ? -s : s, e, false, rc, fmt, ftz);
    }
    case 1: {
      const neg = (a < 0 || Object.is(a, -0)) !== (b < 0 || Object.is(b, -0));
      if (a === 0 || b === 0) return neg ? -0 : 0;
      const [, ma, ea] = decompose(a), [, mb, eb] = decompose(b);
      return roundTo(neg, ma * mb, ea + eb, false, rc, fmt, ftz);
    }
    case 4: {
      const neg = (a < 0 || Object.is(a, -0)) !== (b < 0 || Object.is(b, -0));
      if (b === 0) { fx.f = (fx.f & ~FX_DE) | (a === 0 ? FX_IE : FX_ZE); return a === 0 ? NaN : neg ? -Infinity : Infinity; }
      if (a === 0) return neg ? -0 : 0;
      const [, ma, ea] = decompose(a), [, mb, eb] = decompose(b);
      const K = 160;
      const num = ma << BigInt(K);
      const q = num / mb, r = num % mb;
      return roundTo(neg, q, ea - eb - K, r !== 0n, rc, fmt, ftz);
    }
    default: {
      if (b === 0) return b;
      if (b < 0) { fx.f = (fx.f & ~FX_DE) | FX_IE; return NaN; }
      let [, m, e] = decompose(b);
      if (e % 2 !== 0) { m <<= 1n; e -= 1; }
      const K = 220; // even
      const n = m << BigInt(K);
      let x = 1n << BigInt((bitLen(n) >> 1) + 1); // over-estimate: Newton then decreases monotonically
      for (;;) { const y = (x + n / x) >> 1n; if (y >= x) break; x = y; }
      while (x * x > n) x -= 1n;
      while ((x + 1n) * (x + 1n) <= n) x += 1n;
      return roundTo(false, x, (e - K) / 2, x * x !== n, rc, fmt, ftz);
    }
  }
}

/** Integer (bigint) to float under a rounding mode. */
export function intToFloat(v: bigint, fmt: Fmt, rc: number): number {
  fx.up = false;
  if (v === 0n) return 0;
  return roundTo(v < 0n, v < 0n ? -v : v, 0, false, rc, fmt, false);
}
/** Round a double to binary32 under a rounding mode. */
export function toF32(x: number, rc: number, ftz: boolean): number {
  fx.up = false;
  if (!isFinite(x) || x === 0) return Math.fround(x);
  const [neg, m, e] = decompose(x);
  return roundTo(neg, m, e, false, rc, F32, ftz);
}
