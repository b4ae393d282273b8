/**
 * Argument parsers for commander options: each turns the text into a value or throws
 * commander's InvalidArgumentError, which commander prints as one line naming the option
 * (`error: option '--seed <n>' argument 'abc' is invalid. ...`) and the CLI exits with 2.
 */
import { InvalidArgumentError } from "commander";

/** A fast-check seed: a 32-bit signed integer. */
export function parseSeed(text: string): number {
  const n = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < -(2 ** 31) || n > 2 ** 31 - 1) throw new InvalidArgumentError("a seed is an integer from -2147483648 to 2147483647.");
  return n;
}

/** A count of at least 1 (cases, instructions, pages). */
export function parsePositiveInt(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of at least 1.");
  return n;
}

export function parseRegExp(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch (e) {
    throw new InvalidArgumentError(`not a regular expression: ${(e as Error).message}.`);
  }
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as 500ms, 30s, 2m, 1h; a bare number is seconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] ?? "s"]! : NaN;
  if (!(ms > 0)) throw new InvalidArgumentError("expected a duration such as 90s, 5m or 1h.");
  return ms;
}

/** One shard of a campaign, `i/n` with 1 <= i <= n. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!(index >= 1 && count >= index)) throw new InvalidArgumentError("expected i/n with 1 <= i <= n, e.g. 2/4.");
  return { index, count };
}

/** A fast-check replay path, e.g. 18:0:0:2. */
export function parseReplayPath(text: string): string {
  if (!/^\d+(:\d+)*$/.test(text)) throw new InvalidArgumentError("a replay path is numbers joined by ':', e.g. 18:0:2.");
  return text;
}

/** An index or offset: a whole number, 0 allowed. */
export function parseNonNegativeInt(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError("expected a whole number (0 or more).");
  return n;
}

/** A comma-separated list of indices, e.g. 3,17,250 (a torture replay's --only). */
export function parseIndexList(text: string): number[] {
  if (!/^\d+(,\d+)*$/.test(text)) throw new InvalidArgumentError("expected whole numbers joined by ',', e.g. 3,17,250.");
  return text.split(",").map(parseNonNegativeInt);
}

/** A 32-bit unsigned campaign seed, as the torture command prints it. */
export function parseUint32Seed(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n > 2 ** 32 - 1) throw new InvalidArgumentError("a campaign seed is an integer from 0 to 4294967295.");
  return n;
}

/** A positive scale factor, e.g. 0.25, 2 or 1e-3 (String() of a small number has an exponent). */
export function parsePositiveNumber(text: string): number {
  const n = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError("expected a number greater than 0, e.g. 0.25 or 2.");
  return n;
}

/** fast-check's fc.commands replayPath: base-64 counts, ':', base-64 changes. */
export function parseCommandsPath(text: string): string {
  if (!/^[A-Za-z0-9+/]*:[A-Za-z0-9+/]*$/.test(text)) throw new InvalidArgumentError("a commands path is fast-check's replayPath, e.g. BADBF:V.");
  return text;
}

/** An ELF hash as printed in repro lines. */
export function parseSha256(text: string): string {
  if (!/^[0-9a-f]{64}$/.test(text)) throw new InvalidArgumentError("expected 64 lower-case hex digits.");
  return text;
}
