/**
 * A tiny x86-64 encoder for the handful of instruction forms generated probe programs need.
 *
 * Generated ELF images (tls-probe images with random PT_TLS layouts) need real machine code
 * that reads through %fs and talks to the ring. This emits exactly the forms listed, with
 * encodings from the Intel SDM; tests check them against iced-x86's disassembly.
 */

export type Reg64 = "rax" | "rcx" | "rdx" | "rbx" | "rsp" | "rbp" | "rsi" | "rdi" | "r8" | "r9" | "r10" | "r11" | "r12" | "r13" | "r14" | "r15";

const REG_NUM: Readonly<Record<Reg64, number>> = {
  rax: 0, rcx: 1, rdx: 2, rbx: 3, rsp: 4, rbp: 5, rsi: 6, rdi: 7,
  r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15,
};

/** The low `bytes` bytes of `value`, little-endian (two's complement for negatives). */
function le(value: bigint, bytes: number): number[] {
  if (bytes <= 4) return le32(Number(BigInt.asUintN(32, value)), bytes);
  const v = BigInt.asUintN(64, value);
  return [...le32(Number(v & 0xffff_ffffn), 4), ...le32(Number(v >> 32n), bytes - 4)];
}

/** The low `bytes` (<= 4) bytes of an integer, little-endian; numbers, not bigints (probes are built per case). */
function le32(value: number, bytes: number): number[] {
  const out: number[] = [];
  for (let i = 0, v = value >>> 0; i < bytes; i++, v >>>= 8) out.push(v & 0xff);
  return out;
}

/** le32 for a number that must be an integer (BigInt() would throw otherwise, as before). */
function leInt(value: number, bytes: number): number[] {
  if (!Number.isInteger(value)) throw new RangeError(`${value} is not an integer`);
  return le32(value, bytes);
}

function disp32(d: number): number[] {
  if (!Number.isInteger(d) || d < -0x8000_0000 || d > 0x7fff_ffff) throw new RangeError(`displacement ${d} does not fit 32 bits`);
  return le32(d, 4);
}

/** ModRM (+SIB) bytes for [base + disp32] with register field `reg` (low 3 bits). */
function memBaseDisp(reg: number, base: number, d: number): number[] {
  const modrm = 0x80 | ((reg & 7) << 3) | (base & 7);
  const sib = (base & 7) === 4 ? [0x24] : []; // rsp/r12 as base need a SIB byte
  return [modrm, ...sib, ...disp32(d)];
}

function rex(w: boolean, reg: number, base: number): number[] {
  const byte = 0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (base >= 8 ? 1 : 0);
  return byte === 0x40 ? [] : [byte];
}

/** Append-only code buffer with the instruction forms probe programs use. */
export class Asm {
  readonly bytes: number[] = [];

  private emit(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }

  /** mov r64, imm64 */
  movImm64(dst: Reg64, imm: bigint): this {
    const r = REG_NUM[dst];
    return this.emit(0x48 | (r >= 8 ? 1 : 0), 0xb8 + (r & 7), ...le(imm, 8));
  }

  /** mov r32, imm32 (zero-extends into the 64-bit register) */
  movImm32(dst: Reg64, imm: number): this {
    const r = REG_NUM[dst];
    return this.emit(...(r >= 8 ? [0x41] : []), 0xb8 + (r & 7), ...leInt(imm, 4));
  }

  /** mov r64, r64 */
  movReg(dst: Reg64, src: Reg64): this {
    const d = REG_NUM[dst];
    const s = REG_NUM[src];
    return this.emit(0x48 | (s >= 8 ? 4 : 0) | (d >= 8 ? 1 : 0), 0x89, 0xc0 | ((s & 7) << 3) | (d & 7));
  }

  /** mov al, fs:[disp32]  (absolute FS-relative byte load, no base register) */
  movAlFs(d: number): this {
    return this.emit(0x64, 0x8a, 0x04, 0x25, ...disp32(d));
  }

  /** mov rax, fs:[disp32] */
  movRaxFs(d: number): this {
    return this.emit(0x64, 0x48, 0x8b, 0x04, 0x25, ...disp32(d));
  }

  /** mov byte [base + disp32], al */
  storeAl(base: Reg64, d: number): this {
    const b = REG_NUM[base];
    return this.emit(...rex(false, 0, b), 0x88, ...memBaseDisp(0, b, d));
  }

  /** mov qword [base + disp32], src */
  storeQ(base: Reg64, d: number, src: Reg64): this {
    const b = REG_NUM[base];
    const s = REG_NUM[src];
    return this.emit(...rex(true, s, b), 0x89, ...memBaseDisp(s, b, d));
  }

  /** mov dword [base + disp32], src32 (the low half of src) */
  storeD(base: Reg64, d: number, src: Reg64): this {
    const b = REG_NUM[base];
    const s = REG_NUM[src];
    return this.emit(...rex(false, s, b), 0x89, ...memBaseDisp(s, b, d));
  }

  /** shr r64, imm8 */
  shrImm(dst: Reg64, n: number): this {
    const r = REG_NUM[dst];
    return this.emit(0x48 | (r >= 8 ? 1 : 0), 0xc1, 0xe8 | (r & 7), n & 0x3f);
  }

  /** mov dword [base + disp32], imm32 */
  storeImm32(base: Reg64, d: number, imm: number): this {
    const b = REG_NUM[base];
    return this.emit(...rex(false, 0, b), 0xc7, ...memBaseDisp(0, b, d), ...leInt(imm, 4));
  }

  /** mov word [base + disp32], imm16 */
  storeImm16(base: Reg64, d: number, imm: number): this {
    const b = REG_NUM[base];
    return this.emit(0x66, ...rex(false, 0, b), 0xc7, ...memBaseDisp(0, b, d), ...leInt(imm, 2));
  }

  /** mov byte [base + disp32], imm8 */
  storeImm8(base: Reg64, d: number, imm: number): this {
    const b = REG_NUM[base];
    return this.emit(...rex(false, 0, b), 0xc6, ...memBaseDisp(0, b, d), imm & 0xff);
  }

  /** mov dst, qword [base + disp32] */
  loadQ(dst: Reg64, base: Reg64, d: number): this {
    const b = REG_NUM[base];
    const r = REG_NUM[dst];
    return this.emit(...rex(true, r, b), 0x8b, ...memBaseDisp(r, b, d));
  }

  /** add dword [base + disp32], imm8 (sign-extended) */
  addMem32Imm8(base: Reg64, d: number, imm: number): this {
    const b = REG_NUM[base];
    return this.emit(...rex(false, 0, b), 0x83, ...memBaseDisp(0, b, d), imm & 0xff);
  }

  /** The offset of the next instruction, as a jump or call target. */
  label(): number {
    return this.bytes.length;
  }

  /** jmp rel32 to the code offset `target` (a label). */
  jmp(target: number): this {
    return this.emit(0xe9, ...disp32(target - (this.bytes.length + 5)));
  }

  /** call rel32 to the code offset `target` (a label): pushes the return address. */
  call(target: number): this {
    return this.emit(0xe8, ...disp32(target - (this.bytes.length + 5)));
  }

  syscall(): this {
    return this.emit(0x0f, 0x05);
  }

  /** jmp to itself: a guest that gets here spins until its budget ends. */
  hang(): this {
    return this.emit(0xeb, 0xfe);
  }

  code(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}
