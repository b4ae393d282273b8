/**
 * High-precision real arithmetic for the x87 transcendental instructions. A value is
 * M * 2^E with M a signed bigint of at most PREC bits (truncated, so results carry a relative
 * error below 2^-(PREC-8)). The callers round such a value once to the x87 format with a sticky
 * bit, which gives the correctly rounded result except in (astronomically rare) cases within
 * 2^-240 of a rounding boundary. Exact special cases (zeros, powers of two, infinities) are
 * handled by the callers before they get here.
 */
export interface Big { m: bigint; e: number }

const PREC = 256;
/** Series stop here at the latest (callers keep arguments where they converge long before). */
const MAX_TERMS = 3000;
function bitLen(v: bigint): number { return v === 0n ? 0 : (v < 0n ? -v : v).toString(2).length; }

export function norm(m: bigint, e: number): Big {
  const n = bitLen(m);
  if (n > PREC) { const s = n - PREC; return { m: m >> BigInt(s), e: e + s }; } // >> floors negatives: still within 1 unit
  return { m, e };
}
export function big(m: bigint, e = 0): Big { return norm(m, e); }
export function add(a: Big, b: Big): Big {
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  const la = a.e + bitLen(a.m), lb = b.e + bitLen(b.m);
  if (la - lb > PREC + 8) return a;
  if (lb - la > PREC + 8) return b;
  const e = Math.min(a.e, b.e);
  return norm((a.m << BigInt(a.e - e)) + (b.m << BigInt(b.e - e)), e);
}
export function neg(a: Big): Big { return { m: -a.m, e: a.e }; }
export function sub(a: Big, b: Big): Big { return add(a, neg(b)); }
export function mul(a: Big, b: Big): Big { return norm(a.m * b.m, a.e + b.e); }
export function div(a: Big, b: Big): Big {
  const sh = PREC + bitLen(b.m) - bitLen(a.m) + 2;
  return norm((a.m << BigInt(sh)) / b.m, a.e - b.e - sh);
}
function divInt(a: Big, k: number): Big { return div(a, { m: BigInt(k), e: 0 }); }
/** Leading-bit exponent (value in [2^l, 2^(l+1))), or -Infinity for zero. */
export function ilog2(a: Big): number { return a.m === 0n ? -Infinity : a.e + bitLen(a.m) - 1; }
function tiny(term: Big, sum: Big): boolean { return term.m === 0n || ilog2(term) < ilog2(sum) - PREC - 4; }
/**
 * The sum of a series whose first omitted term t is negligible: one unit in the direction of t,
 * 64 bits below the working precision, so that a result next to a representable value (cos of a tiny x
 * is just below 1, sin just below x) rounds on the correct side.
 */
function nudge(sum: Big, t: Big): Big {
  if (t.m === 0n) return sum;
  const sh = PREC + 64 - bitLen(sum.m);
  return { m: (sum.m << BigInt(sh)) + (t.m > 0n ? 1n : -1n), e: sum.e - sh };
}
export function sqrtB(a: Big): Big {
  let m = a.m, e = a.e;
  const sh = 2 * PREC - bitLen(m);
  if (sh > 0) { m <<= BigInt(sh); e -= sh; }
  if (e % 2 !== 0) { m <<= 1n; e -= 1; }
  let x = 1n << BigInt((bitLen(m) >> 1) + 1);
  for (;;) { const y = (x + m / x) >> 1n; if (y >= x) break; x = y; }
  return norm(x, e / 2);
}
export function cmpAbs(a: Big, b: Big): number {
  const A = a.m < 0n ? -a.m : a.m, B = b.m < 0n ? -b.m : b.m;
  const e = Math.min(a.e, b.e);
  const x = A << BigInt(a.e - e), y = B << BigInt(b.e - e);
  return x === y ? 0 : x > y ? 1 : -1;
}

const ONE: Big = { m: 1n, e: 0 };

/** atan(z) by its Taylor series; |z| <= 0.2. */
function atanSeries(z: Big): Big {
  const z2 = mul(z, z);
  let p = z, sum = z;
  for (let k = 1; k < MAX_TERMS; k++) {
    p = neg(mul(p, z2));
    const t = divInt(p, 2 * k + 1);
    if (tiny(t, sum)) return nudge(sum, t);
    sum = add(sum, t);
  }
  return sum;
}
/** atan(z) for any finite z >= 0 (argument halving twice, then the series). */
export function atanB(z: Big): Big {
  let red = z, mulBy = 1;
  for (let i = 0; i < 3; i++) { red = div(red, add(ONE, sqrtB(add(ONE, mul(red, red))))); mulBy *= 2; }
  const r = atanSeries(red);
  return { m: r.m * BigInt(mulBy), e: r.e };
}
/** ln((1+z)/(1-z)) = 2 atanh(z), |z| small. */
function lnAtanh(z: Big): Big {
  const z2 = mul(z, z);
  let p = z, sum = z;
  for (let k = 1; k < MAX_TERMS; k++) {
    p = mul(p, z2);
    const t = divInt(p, 2 * k + 1);
    if (tiny(t, sum)) { sum = nudge(sum, t); break; }
    sum = add(sum, t);
  }
  return { m: sum.m, e: sum.e + 1 };
}
/** exp(t) - 1 by the Taylor series, |t| <= 1. */
export function expm1B(t: Big): Big {
  let p = t, sum = t;
  for (let k = 2; k < MAX_TERMS; k++) {
    p = divInt(mul(p, t), k);
    if (tiny(p, sum)) return nudge(sum, p);
    sum = add(sum, p);
  }
  return sum;
}

// constants (computed once)
export const PI: Big = (() => {
  // Machin: pi = 16 atan(1/5) - 4 atan(1/239), with extra precision through scaling
  const W = 600n;
  const a = atanSeriesWide(5n), b = atanSeriesWide(239n), v = 16n * a - 4n * b;
  return { m: v, e: -Number(W) };
  function atanSeriesWide(n: bigint): bigint {
    const one = 1n << W;
    let p = one / n, sum = p;
    for (let k = 1n; p !== 0n; k++) { p = p / (n * n); sum += (k & 1n ? -p : p) / (2n * k + 1n); }
    return sum;
  }
})();
export const PI_B: Big = norm(PI.m, PI.e);
export const LN2: Big = (() => {
  // ln 2 = 2 atanh(1/3)
  return lnAtanh(div(ONE, { m: 3n, e: 0 }));
})();

/** ln(x) for x > 0. */
export function lnB(x: Big): Big {
  // x = f * 2^k with f in [sqrt(1/2), sqrt(2))
  let k = ilog2(x);
  let f: Big = { m: x.m, e: x.e - k };
  if (cmpAbs(f, { m: 0xb504f333f9de6484n, e: -63 }) > 0) { f = { m: f.m, e: f.e - 1 }; k += 1; }
  const z = div(sub(f, ONE), add(f, ONE));
  const lf = z.m === 0n ? { m: 0n, e: 0 } : lnAtanh(z);
  return add(mul({ m: BigInt(k), e: 0 }, LN2), lf);
}
/** ln(1 + x) for x > -1, precise for tiny x. */
export function ln1pB(x: Big): Big {
  if (cmpAbs(x, { m: 1n, e: -2 }) > 0) return lnB(add(ONE, x));
  return lnAtanh(div(x, add({ m: 2n, e: 0 }, x)));
}

/**
 * FSIN/FCOS/FSINCOS/FPTAN reduce their argument with pi rounded to 66 bits, as the x87 does
 * (Intel documents a 66-bit pi; the AMD host of the oracle agrees: with an exact pi, 41 of 3,000
 * generated cases differed, with this one none of the reduction-sized ones did).
 */
const REDUCE_PI_BITS = 66;
function roundBits(m: bigint, bits: number): bigint {
  const sh = BigInt(bitLen(m) - bits);
  return ((m >> sh) + ((m >> (sh - 1n)) & 1n)) << sh;
}
/** x mod pi/2 -> [r, quadrant] with |r| <= pi/4 (x exact, |x| < 2^64). */
export function reduceHalfPi(x: Big): [Big, number] {
  // exact fixed point with the wide pi
  const W = -PI.e; // PI = m * 2^-W
  const halfPi = REDUCE_PI_BITS ? roundBits(PI.m, REDUCE_PI_BITS) : PI.m; // value pi/2 = halfPi * 2^-(W+1)
  const scale = W + 1;
  // X = x * 2^scale as an exact bigint
  const X = x.e + scale >= 0 ? x.m << BigInt(x.e + scale) : x.m >> BigInt(-(x.e + scale));
  let k = X / halfPi;
  let r = X - k * halfPi;
  // bring r into [-pi/4, pi/4]
  if (r * 2n > halfPi) { r -= halfPi; k += 1n; } else if (r * 2n < -halfPi) { r += halfPi; k -= 1n; }
  return [norm(r, -scale), Number(((k % 4n) + 4n) % 4n)];
}
/** sin and cos of |r| <= pi/4 by their Taylor series. */
export function sinCosSmall(r: Big): [Big, Big] {
  const r2 = mul(r, r);
  let p = r, s = r;
  for (let k = 1; k < MAX_TERMS; k++) { p = neg(divInt(mul(p, r2), (2 * k) * (2 * k + 1))); if (tiny(p, s)) { s = nudge(s, p); break; } s = add(s, p); }
  let q = ONE, co = ONE;
  for (let k = 1; k < MAX_TERMS; k++) { q = neg(divInt(mul(q, r2), (2 * k - 1) * (2 * k))); if (tiny(q, co)) { co = nudge(co, q); break; } co = add(co, q); }
  return [s, co];
}
/** sin(x), cos(x) for finite |x| < 2^64. */
export function sinCosB(x: Big): [Big, Big] {
  // below pi/4 there is nothing to reduce (and a tiny x must keep its precision)
  const [r, q] = ilog2(x) < -1 ? [x, 0] : reduceHalfPi(x);
  if (r.m === 0n) return q === 0 ? [{ m: 0n, e: 0 }, ONE] : q === 1 ? [ONE, { m: 0n, e: 0 }] : q === 2 ? [{ m: 0n, e: 0 }, neg(ONE)] : [neg(ONE), { m: 0n, e: 0 }];
  const [s, c] = sinCosSmall(r);
  switch (q) {
    case 0: return [s, c];
    case 1: return [c, neg(s)];
    case 2: return [neg(s), neg(c)];
    default: return [neg(c), s];
  }
}
