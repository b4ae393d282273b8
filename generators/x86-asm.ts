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

function checkDisp32(d: number): void {
  if (!Number.isInteger(d) || d < -0x8000_0000 || d > 0x7fff_ffff) throw new RangeError(`displacement ${d} does not fit 32 bits`);
}

function checkInteger(v: number): void {
  // BigInt(v) refused non-integers when immediates went through bigints; keep refusing them
  if (!Number.isInteger(v)) throw new RangeError(`${v} is not an integer`);
}

/**
 * The bytes assembled so far, in a growable typed buffer: probes are assembled per generated
 * case, and a plain number array cost its pushes and then a conversion to bytes.
 */
export class CodeBytes {
  private buf = new Uint8Array(1024);
  /** Bytes written: the offset of the next one. */
  length = 0;
  /** Append one byte (stored modulo 256, as a Uint8Array stores it). */
  put(x: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = x;
  }
  /** Append raw bytes; returns the new length (as Array.prototype.push does). */
  push(...xs: number[]): number {
    for (const x of xs) this.put(x);
    return this.length;
  }
  /** A copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/**
 * Append-only code buffer with the instruction forms probe programs use. Bytes are written one
 * by one (no intermediate arrays, no bigints but for 64-bit immediates beyond 32 bits).
 */
export class Asm {
  readonly bytes = new CodeBytes();

  /** The low `n` (<= 4) bytes of an integer, little-endian (two's complement for negatives). */
  private le(v: number, n: number): void {
    v >>>= 0;
    for (let i = 0; i < n; i++, v >>>= 8) this.bytes.put(v & 0xff);
  }
  /** A REX prefix when one is needed. */
  private rex(w: boolean, reg: number, base: number): void {
    const byte = 0x40 | (w ? 8 : 0) | (reg >= 8 ? 4 : 0) | (base >= 8 ? 1 : 0);
    if (byte !== 0x40) this.bytes.put(byte);
  }
  /** ModRM (+SIB) bytes for [base + disp32] with register field `reg` (low 3 bits). */
  private memBaseDisp(reg: number, base: number, d: number): void {
    this.bytes.put(0x80 | ((reg & 7) << 3) | (base & 7));
    if ((base & 7) === 4) this.bytes.put(0x24); // rsp/r12 as base need a SIB byte
    this.le(d, 4);
  }
  /** REX, opcode and [base + disp32] operand of a memory form. */
  private memOp(w: boolean, reg: number, base: number, opcode: number, d: number): this {
    checkDisp32(d); // before any byte: a refused form leaves the buffer as it was
    this.rex(w, reg, base);
    this.bytes.put(opcode);
    this.memBaseDisp(reg, base, d);
    return this;
  }

  /** mov r64, imm64 */
  movImm64(dst: Reg64, imm: bigint): this {
    const r = REG_NUM[dst];
    this.bytes.put(0x48 | (r >= 8 ? 1 : 0));
    this.bytes.put(0xb8 + (r & 7));
    // Most immediates (zeroes, addresses, small numbers) fit 32 bits: comparisons allocate no
    // bigints, the general path allocates three.
    if (imm >= 0n && imm <= 0xffff_ffffn) {
      this.le(Number(imm), 4);
      this.le(0, 4);
      return this;
    }
    const v = BigInt.asUintN(64, imm);
    this.le(Number(v & 0xffff_ffffn), 4);
    this.le(Number(v >> 32n), 4);
    return this;
  }

  /** mov r32, imm32 (zero-extends into the 64-bit register) */
  movImm32(dst: Reg64, imm: number): this {
    const r = REG_NUM[dst];
    checkInteger(imm);
    if (r >= 8) this.bytes.put(0x41);
    this.bytes.put(0xb8 + (r & 7));
    this.le(imm, 4);
    return this;
  }

  /** mov r64, r64 */
  movReg(dst: Reg64, src: Reg64): this {
    const d = REG_NUM[dst];
    const s = REG_NUM[src];
    this.bytes.put(0x48 | (s >= 8 ? 4 : 0) | (d >= 8 ? 1 : 0));
    this.bytes.put(0x89);
    this.bytes.put(0xc0 | ((s & 7) << 3) | (d & 7));
    return this;
  }

  /** mov al, fs:[disp32]  (absolute FS-relative byte load, no base register) */
  movAlFs(d: number): this {
    checkDisp32(d);
    this.bytes.put(0x64);
    this.bytes.put(0x8a);
    this.bytes.put(0x04);
    this.bytes.put(0x25);
    this.le(d, 4);
    return this;
  }

  /** mov rax, fs:[disp32] */
  movRaxFs(d: number): this {
    checkDisp32(d);
    this.bytes.put(0x64);
    this.bytes.put(0x48);
    this.bytes.put(0x8b);
    this.bytes.put(0x04);
    this.bytes.put(0x25);
    this.le(d, 4);
    return this;
  }

  /** mov byte [base + disp32], al */
  storeAl(base: Reg64, d: number): this {
    return this.memOp(false, 0, REG_NUM[base], 0x88, d);
  }

  /** mov qword [base + disp32], src */
  storeQ(base: Reg64, d: number, src: Reg64): this {
    return this.memOp(true, REG_NUM[src], REG_NUM[base], 0x89, d);
  }

  /** mov dword [base + disp32], src32 (the low half of src) */
  storeD(base: Reg64, d: number, src: Reg64): this {
    return this.memOp(false, REG_NUM[src], REG_NUM[base], 0x89, d);
  }

  /** shr r64, imm8 */
  shrImm(dst: Reg64, n: number): this {
    const r = REG_NUM[dst];
    this.bytes.put(0x48 | (r >= 8 ? 1 : 0));
    this.bytes.put(0xc1);
    this.bytes.put(0xe8 | (r & 7));
    this.bytes.put(n & 0x3f);
    return this;
  }

  /** mov dword [base + disp32], imm32 */
  storeImm32(base: Reg64, d: number, imm: number): this {
    checkDisp32(d);
    checkInteger(imm);
    this.memOp(false, 0, REG_NUM[base], 0xc7, d).le(imm, 4);
    return this;
  }

  /** mov word [base + disp32], imm16 */
  storeImm16(base: Reg64, d: number, imm: number): this {
    checkDisp32(d);
    checkInteger(imm);
    this.bytes.put(0x66);
    this.memOp(false, 0, REG_NUM[base], 0xc7, d).le(imm, 2);
    return this;
  }

  /** mov byte [base + disp32], imm8 */
  storeImm8(base: Reg64, d: number, imm: number): this {
    this.memOp(false, 0, REG_NUM[base], 0xc6, d).bytes.put(imm & 0xff);
    return this;
  }

  /** mov qword [base + disp32], imm32 (sign-extended to 64 bits): one instruction where movImm64 + storeQ take two */
  storeImmQ(base: Reg64, d: number, imm: number): this {
    checkDisp32(d);
    checkInteger(imm);
    if (imm < -0x8000_0000 || imm > 0x7fff_ffff) throw new RangeError(`${imm} does not fit a sign-extended imm32`);
    this.memOp(true, 0, REG_NUM[base], 0xc7, d).le(imm, 4);
    return this;
  }

  /** lea dst, [base + disp32] */
  leaQ(dst: Reg64, base: Reg64, d: number): this {
    return this.memOp(true, REG_NUM[dst], REG_NUM[base], 0x8d, d);
  }

  /** rep movsq: copy rcx qwords from [rsi] to [rdi] (upwards: DF is clear at entry and no generated code sets it) */
  repMovsq(): this {
    this.bytes.put(0xf3);
    this.bytes.put(0x48);
    this.bytes.put(0xa5);
    return this;
  }

  /** rep stosq: store rax to rcx qwords from [rdi] (upwards, as repMovsq) */
  repStosq(): this {
    this.bytes.put(0xf3);
    this.bytes.put(0x48);
    this.bytes.put(0xab);
    return this;
  }

  /** mov dst, qword [base + disp32] */
  loadQ(dst: Reg64, base: Reg64, d: number): this {
    return this.memOp(true, REG_NUM[dst], REG_NUM[base], 0x8b, d);
  }

  /** add dword [base + disp32], imm8 (sign-extended) */
  addMem32Imm8(base: Reg64, d: number, imm: number): this {
    this.memOp(false, 0, REG_NUM[base], 0x83, d).bytes.put(imm & 0xff);
    return this;
  }

  /** The offset of the next instruction, as a jump or call target. */
  label(): number {
    return this.bytes.length;
  }

  /** jmp rel32 to the code offset `target` (a label). */
  jmp(target: number): this {
    const d = target - (this.bytes.length + 5);
    checkDisp32(d);
    this.bytes.put(0xe9);
    this.le(d, 4);
    return this;
  }

  /** call rel32 to the code offset `target` (a label): pushes the return address. */
  call(target: number): this {
    const d = target - (this.bytes.length + 5);
    checkDisp32(d);
    this.bytes.put(0xe8);
    this.le(d, 4);
    return this;
  }

  syscall(): this {
    this.bytes.put(0x0f);
    this.bytes.put(0x05);
    return this;
  }

  /** jmp to itself: a guest that gets here spins until its budget ends. */
  hang(): this {
    this.bytes.put(0xeb);
    this.bytes.put(0xfe);
    return this;
  }

  code(): Uint8Array {
    return this.bytes.toBytes();
  }
}
