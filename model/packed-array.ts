/**
 * `xs.map(f)` whose result is always a packed array. V8's optimised Array.prototype.map makes
 * holey arrays where the interpreted one made packed ones: the model's states then carried
 * arrays of two hidden classes, and every search function optimised on the first deoptimised
 * (and was compiled again) when it met the second, passes after the warm-up.
 */
export function packedMap<T, U>(xs: readonly T[], f: (x: T, i: number) => U): U[] {
  const out: U[] = [];
  for (let i = 0; i < xs.length; i++) out.push(f(xs[i]!, i));
  return out;
}
