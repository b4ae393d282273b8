/**
 * What a region's code knows about the lazy-flag record (flags.ts): a producer's kind and width,
 * conditions and the carry as JS expressions over the recorded operands when the producer is
 * known (condExpr, cfExpr), a check of the record's kind where it is only hinted (guarded), and
 * the generic evaluator's call where nothing is known (CF_ANY, cfOf). Apart from jit.ts because
 * the emitters and the region builder both read it and it depends on neither.
 */
import type { CpuState } from "./state.js";
import { FOP_ADD, FOP_SUB, FOP_LOGIC, FOP_INC, FOP_DEC } from "./state.js";
import { getCF } from "./flags.js";

/**
 * The carry flag of the lazy-flag record a region holds in its locals: written to CpuState as
 * the region's write-back does (the operands as uint32), then read by flags.ts's own getCF. One
 * short call in the generated code where the record's producer is not known (the inline
 * evaluation of every kind was ~600 characters per INC/DEC).
 */
export function cfOf(c: CpuState, op: number, w: number, a: number, ah: number, b: number, bh: number, r: number, rh: number, fc: number): number {
  c.fop = op; c.fw = w; c.fa = a >>> 0; c.fah = ah >>> 0; c.fb = b >>> 0; c.fbh = bh >>> 0; c.fr = r >>> 0; c.frh = rh >>> 0; c.fc = fc;
  return getCF(c);
}

/** A recorded flag operand as uint32, and two operands' bit equality (either may be int32 or uint32). */
const U = (v: string) => `(${v} >>> 0)`;
const EQ = (a: string, b: string) => `((${a} ^ ${b}) === 0)`;

/**
 * A condition as a JS expression over the recorded operands of a known lazy producer, or
 * null when only the generic evaluator can decide it.
 */
export function condExpr(p: Producer, cc: number): string | null {
  const w8 = p.w === 8;
  const zf = w8 ? `((c.fr | c.frh) === 0)` : `(c.fr === 0)`;
  const sf = w8 ? `(c.frh >>> 31 === 1)` : `(((c.fr >>> ${p.w * 8 - 1}) & 1) === 1)`;
  /** A narrow operand as a signed int32 (sign-extended from its width). */
  const sx = (v: string) => (p.w === 4 ? `(${v} | 0)` : `((${v} << ${32 - p.w * 8}) >> ${32 - p.w * 8})`);
  let e: string | null = null;
  const base = cc & ~1;
  if (p.fop === FOP_SUB) {
    // the recorded operands may be int32 or uint32 (the region's own producers record int32,
    // the interpreter's uint32): compare as unsigned, test equality on the bits
    const lt = w8 ? `(${U("c.fah")} < ${U("c.fbh")} || (${EQ("c.fah", "c.fbh")} && ${U("c.fa")} < ${U("c.fb")}))` : `(${U("c.fa")} < ${U("c.fb")})`;
    const le = w8 ? `(${U("c.fah")} < ${U("c.fbh")} || (${EQ("c.fah", "c.fbh")} && ${U("c.fa")} <= ${U("c.fb")}))` : `(${U("c.fa")} <= ${U("c.fb")})`;
    const slt = w8 ? `((c.fah | 0) < (c.fbh | 0) || (${EQ("c.fah", "c.fbh")} && ${U("c.fa")} < ${U("c.fb")}))` : `(${sx("c.fa")} < ${sx("c.fb")})`;
    const sle = w8 ? `((c.fah | 0) < (c.fbh | 0) || (${EQ("c.fah", "c.fbh")} && ${U("c.fa")} <= ${U("c.fb")}))` : `(${sx("c.fa")} <= ${sx("c.fb")})`;
    switch (base) { case 2: e = lt; break; case 4: e = zf; break; case 6: e = le; break; case 8: e = sf; break; case 12: e = slt; break; case 14: e = sle; break; }
  } else if (p.fop === FOP_LOGIC) {
    switch (base) { case 0: e = "false"; break; case 2: e = "false"; break; case 4: e = zf; break; case 6: e = zf; break; case 8: e = sf; break; case 12: e = sf; break; case 14: e = `(${zf} || ${sf})`; break; }
  } else if (p.fop === FOP_ADD || p.fop === FOP_INC || p.fop === FOP_DEC) {
    switch (base) { case 4: e = zf; break; case 8: e = sf; break; }
  }
  if (e === null) return null;
  return cc & 1 ? `!${e}` : e;
}

/**
 * The carry flag as 0/1 (what INC/DEC keep): from the known producer when there is one, else
 * from the recorded producer kind, the rare kinds through the generic evaluator.
 */
export function cfExpr(p: Producer): string {
  const ltu = (a: string, b: string, w8: boolean) => w8 ? `(${U(`c.${a}h`)} < ${U(`c.${b}h`)} || (${EQ(`c.${a}h`, `c.${b}h`)} && ${U(`c.${a}`)} < ${U(`c.${b}`)}))` : `(${U(`c.${a}`)} < ${U(`c.${b}`)})`;
  if (p.fop === FOP_SUB) return `(${ltu("fa", "fb", p.w === 8)} ? 1 : 0)`;
  if (p.fop === FOP_ADD) return `(${ltu("fr", "fa", p.w === 8)} ? 1 : 0)`;
  if (p.fop === FOP_LOGIC) return "0";
  if (p.fop === FOP_INC || p.fop === FOP_DEC) return "c.fc";
  return CF_ANY;
}
/** The carry of whatever producer the record holds: the flags.ts evaluator, given the record (see cfOf). */
export const CF_ANY = "cfL(c, c.fop, c.fw, c.fa, c.fah, c.fb, c.fbh, c.fr, c.frh, c.fc)";
/**
 * `specific` (an expression valid for the hinted producer) when the record holds a producer of
 * the hint's kind and width, else `generic`; just `generic` without a hint.
 */
export function guarded(hint: Producer | null, specific: string | null, generic: string): string {
  if (hint === null || specific === null || specific === generic) return generic;
  return `(c.fop === ${hint.fop} && c.fw === ${hint.w} ? ${specific} : ${generic})`;
}
/** A lazy-flag producer as the region compiler knows it: its kind (FOP_*) and width. */
export type Producer = { fop: number; w: number };
