/**
 * ROL/ROR/RCL/RCR/SHL/SHR/SAR (C0/C1/D0-D3) and SHLD/SHRD (0F A4/A5/AC/AD).
 * Shift flags are computed eagerly; AF is left clear (architecturally undefined).
 */
import type { CpuState } from "../state.js";
import type { Handler, Insn } from "../insn.js";
import { getCF, materialize, szp, setArith } from "../flags.js";
import { def, byReg, IMM_B, IMM_NONE } from "../decode.js";
import { MASK, ea, readRMa, writeRMa, getReg, readG } from "../operands.js";

type CountSrc = (c: CpuState, d: Insn) => number;
const cntImm: CountSrc = (_c, d) => d.imm & 255;
const cntOne: CountSrc = () => 1;
const cntCL: CountSrc = (c) => c.lo[1]! & 255;

function toBig(lo: number, hi: number): bigint { return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0); }

function shiftOp(kind: number, count: CountSrc): Handler {
  return (c, d) => {
    const w = d.opsz;
    const cnt = count(c, d) & (w === 8 ? 63 : 31);
    const addr = d.mod === 3 ? 0 : ea(c, d);
    const a = readRMa(c, d, addr, w), ah = c.th;
    if (cnt === 0) {
      // no flag change; 32-bit register destinations are still written (zero-extended)
      if (w === 4 && d.mod === 3) writeRMa(c, d, addr, w, a, 0);
      return;
    }
    const bits = w * 8;
    let r = 0, rh = 0, cf = 0, of = 0;
    switch (kind) {
      case 0: case 1: { // ROL / ROR
        const n = cnt % bits;
        if (w === 8) {
          let l = a, h = ah;
          let k = kind === 0 ? n : (64 - n) % 64;
          if (k >= 32) { const t = l; l = h; h = t; k -= 32; }
          if (k) { const nh = (h << k) | (l >>> (32 - k)); l = (l << k) | (h >>> (32 - k)); h = nh; }
          r = l >>> 0; rh = h >>> 0;
        } else {
          const m = MASK[w]!;
          const k = kind === 0 ? n : (bits - n) % bits;
          r = k ? (((a << k) | (a >>> (bits - k))) & m) >>> 0 : a;
        }
        const msb = w === 8 ? rh >>> 31 : (r >>> (bits - 1)) & 1;
        if (kind === 0) { cf = r & 1; of = msb ^ cf; }
        else { cf = msb; of = msb ^ (w === 8 ? (rh >>> 30) & 1 : (r >>> (bits - 2)) & 1); }
        writeRMa(c, d, addr, w, r, rh);
        materialize(c);
        c.flags = (c.flags & ~0x801) | cf | (of << 11);
        return;
      }
      case 2: case 3: { // RCL / RCR through CF
        const n = w <= 2 ? cnt % (bits + 1) : cnt;
        const oldCf = getCF(c);
        if (n === 0) {
          // count is a multiple of (width+1): value unchanged, but OF is still recomputed (as on the host)
          const msb = (a >>> (bits - 1)) & 1;
          materialize(c);
          const ofz = kind === 2 ? msb ^ oldCf : msb ^ ((a >>> (bits - 2)) & 1);
          c.flags = (c.flags & ~0x800) | (ofz << 11);
          return;
        }
        const B = BigInt(bits);
        const mask = (1n << (B + 1n)) - 1n;
        let v = (BigInt(oldCf) << B) | (w === 8 ? toBig(a, ah) : BigInt(a));
        const N = BigInt(n);
        v = kind === 2 ? ((v << N) | (v >> (B + 1n - N))) & mask : ((v >> N) | (v << (B + 1n - N))) & mask;
        cf = Number(v >> B) & 1;
        const res = v & ((1n << B) - 1n);
        r = Number(res & 0xffffffffn); rh = Number(res >> 32n);
        const msb = Number(res >> (B - 1n)) & 1;
        of = kind === 2 ? msb ^ cf : msb ^ (Number(res >> (B - 2n)) & 1);
        writeRMa(c, d, addr, w, r, rh);
        materialize(c);
        c.flags = (c.flags & ~0x801) | cf | (of << 11);
        return;
      }
      case 4: case 6: { // SHL
        if (w === 8) {
          if (cnt < 32) { rh = ((ah << cnt) | (a >>> (32 - cnt))) >>> 0; r = (a << cnt) >>> 0; }
          else { rh = (a << (cnt - 32)) >>> 0; r = 0; }
          const pos = 64 - cnt;
          cf = pos >= 32 ? (ah >>> (pos - 32)) & 1 : (a >>> pos) & 1;
          of = (rh >>> 31) ^ cf;
        } else {
          r = cnt < 32 ? ((a << cnt) & MASK[w]!) >>> 0 : 0;
          cf = cnt <= bits ? (a >>> (bits - cnt)) & 1 : 0;
          if (bits === 32 && cnt === 32) cf = a & 1;
          of = ((r >>> (bits - 1)) & 1) ^ cf;
        }
        break;
      }
      case 5: { // SHR
        if (w === 8) {
          if (cnt < 32) { r = ((a >>> cnt) | (ah << (32 - cnt))) >>> 0; rh = ah >>> cnt; }
          else { r = ah >>> (cnt - 32); rh = 0; }
          const pos = cnt - 1;
          cf = pos >= 32 ? (ah >>> (pos - 32)) & 1 : (a >>> pos) & 1;
          of = ah >>> 31;
        } else {
          r = a >>> cnt;
          cf = (a >>> (cnt - 1)) & 1;
          of = (a >>> (bits - 1)) & 1;
        }
        break;
      }
      default: { // SAR
        if (w === 8) {
          if (cnt < 32) { r = ((a >>> cnt) | (ah << (32 - cnt))) >>> 0; rh = ((ah | 0) >> cnt) >>> 0; }
          else { r = ((ah | 0) >> (cnt - 32)) >>> 0; rh = ((ah | 0) >> 31) >>> 0; }
          const pos = cnt - 1;
          cf = pos >= 32 ? ((ah | 0) >> (pos - 32)) & 1 : (a >>> pos) & 1;
        } else {
          const sh = 32 - bits;
          const sa = (a << sh) >> sh;
          r = ((sa >> cnt) & MASK[w]!) >>> 0;
          cf = (sa >> (cnt - 1)) & 1;
        }
        of = 0;
      }
    }
    writeRMa(c, d, addr, w, r, rh);
    setArith(c, cf | szp(w, r, rh) | (of << 11));
  };
}

/** funnel32/funnel64's result (unsigned halves) and the carry out (the last bit shifted out of dst). */
let fnLo = 0, fnHi = 0, fnCf = 0;
/** SHLD/SHRD r/m32, r32 by n in 1..31. */
function funnel32(a: number, b: number, n: number, right: boolean): void {
  if (right) { fnLo = ((a >>> n) | (b << (32 - n))) >>> 0; fnCf = (a >>> (n - 1)) & 1; }
  else { fnLo = ((a << n) | (b >>> (32 - n))) >>> 0; fnCf = (a >>> (32 - n)) & 1; }
  fnHi = 0;
}
/** SHLD/SHRD r/m64, r64 by n in 1..63: dst = (al, ah), src = (bl, bh), unsigned halves. */
function funnel64(al: number, ah: number, bl: number, bh: number, n: number, right: boolean): void {
  // the 128-bit words, most significant first: dst:src (left, take the top 64) or src:dst (right, the bottom 64)
  if (!right) {
    if (n < 32) { fnHi = ((ah << n) | (al >>> (32 - n))) >>> 0; fnLo = ((al << n) | (bh >>> (32 - n))) >>> 0; fnCf = (ah >>> (32 - n)) & 1; }
    else if (n === 32) { fnHi = al; fnLo = bh; fnCf = ah & 1; }
    else { const m = n - 32; fnHi = ((al << m) | (bh >>> (32 - m))) >>> 0; fnLo = ((bh << m) | (bl >>> (32 - m))) >>> 0; fnCf = (al >>> (32 - m)) & 1; }
  } else if (n < 32) { fnLo = ((al >>> n) | (ah << (32 - n))) >>> 0; fnHi = ((ah >>> n) | (bl << (32 - n))) >>> 0; fnCf = (al >>> (n - 1)) & 1; }
  else if (n === 32) { fnLo = ah; fnHi = bl; fnCf = al >>> 31; }
  else { const m = n - 32; fnLo = ((ah >>> m) | (bl << (32 - m))) >>> 0; fnHi = ((bl >>> m) | (bh << (32 - m))) >>> 0; fnCf = (ah >>> (m - 1)) & 1; }
}

function shld(right: boolean, count: CountSrc): Handler {
  return (c, d) => {
    const w = d.opsz;
    const cnt = count(c, d) & (w === 8 ? 63 : 31);
    const addr = d.mod === 3 ? 0 : ea(c, d);
    const a = readRMa(c, d, addr, w), ah = c.th;
    if (cnt === 0) { if (w === 4 && d.mod === 3) writeRMa(c, d, addr, w, a, 0); return; }
    const b = readG(c, d, w), bh = c.th;
    if (w !== 2) {
      // 32 and 64 bits in int32 halves: a funnel shift of dst:src (left) or src:dst (right). A
      // BigInt form of this was 3.5% of busybox sort -n's interpreter time for 0.14% of its instructions
      if (w === 4) funnel32(a, b, cnt, right); else funnel64(a, ah, b, bh, cnt, right);
      const r = fnLo, rh = fnHi;
      writeRMa(c, d, addr, w, r, rh);
      setArith(c, fnCf | szp(w, r, rh) | ((w === 8 ? (rh ^ ah) >>> 31 : (r ^ a) >>> 31) << 11));
      return;
    }
    // 16 bits: counts above 16 behave like a shift of dst:src:dst on hardware
    const B = 16n, N = BigInt(cnt);
    const A = BigInt(a), S = BigInt(b);
    const m = (1n << B) - 1n;
    let res: bigint, cf: number;
    if (!right) {
      const wide = (A << (2n * B)) | (S << B) | A;
      const total = 3n * B;
      res = (wide >> (total - B - N)) & m;
      cf = Number((wide >> (total - N)) & 1n);
    } else {
      const wide = (A << (2n * B)) | (S << B) | A;
      res = (wide >> N) & m;
      cf = Number((wide >> (N - 1n)) & 1n);
    }
    const r = Number(res);
    const msbR = Number(res >> (B - 1n)) & 1, msbA = Number(A >> (B - 1n)) & 1;
    writeRMa(c, d, addr, w, r, 0);
    setArith(c, cf | szp(w, r, 0) | ((msbR ^ msbA) << 11));
  };
}

export function registerShift(): void {
  const g = (src: CountSrc) => byReg([0, 1, 2, 3, 4, 5, 6, 7].map((k) => shiftOp(k, src)));
  def(0, 0xc0, { modrm: true, imm: IMM_B, byteOp: true, pick: true, h: g(cntImm) });
  def(0, 0xc1, { modrm: true, imm: IMM_B, pick: true, h: g(cntImm) });
  def(0, 0xd0, { modrm: true, imm: IMM_NONE, byteOp: true, pick: true, h: g(cntOne) });
  def(0, 0xd1, { modrm: true, imm: IMM_NONE, pick: true, h: g(cntOne) });
  def(0, 0xd2, { modrm: true, imm: IMM_NONE, byteOp: true, pick: true, h: g(cntCL) });
  def(0, 0xd3, { modrm: true, imm: IMM_NONE, pick: true, h: g(cntCL) });
  def(1, 0xa4, { modrm: true, imm: IMM_B, h: shld(false, cntImm) });
  def(1, 0xa5, { modrm: true, imm: IMM_NONE, h: shld(false, cntCL) });
  def(1, 0xac, { modrm: true, imm: IMM_B, h: shld(true, cntImm) });
  def(1, 0xad, { modrm: true, imm: IMM_NONE, h: shld(true, cntCL) });
}

export { getReg };
