/**
 * `fc.record(model).map(f)` with one arbitrary layer fewer. Inside fast-check a record is a
 * tuple of its values plus a boolean (whether the object gets a null prototype) mapped to an
 * object; mapping that again costs a second map layer, its Value and context per generated
 * record. Here the tuple (boolean included) is mapped once, so every case draws the same
 * randomness, generates the same values and shrinks along the same tree as the record would;
 * `f` gets the values as a plain object (it never sees the null prototype, which is the one
 * thing the record's object would differ in, and which these mappers never pass on).
 */
import fc from "fast-check";

export function recordMap<T extends object, R>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }, f: (values: T) => R): fc.Arbitrary<R> {
  const keys = Object.keys(model) as (keyof T)[];
  const arbs = keys.map((k) => model[k] as fc.Arbitrary<unknown>);
  return fc.tuple(...arbs, fc.boolean()).map((values) => {
    const o = {} as T;
    for (let i = 0; i < keys.length; i++) o[keys[i]!] = values[i] as T[keyof T];
    return f(o);
  });
}
