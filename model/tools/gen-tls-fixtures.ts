/**
 * Regenerate model/fixtures/tls/*.json: TLS offsets computed by REAL linkers.
 *
 * For each case a C file declares random `__thread` variables (sizes, alignments up to 4096,
 * non-zero `.tdata` initial values, `.tbss` variables) and a code blob of
 * `movq $vK@tpoff, %rax` instructions. The linker resolves each R_X86_64_TPOFF32 into the
 * instruction's imm32, so the fixture records the TP offset the linker itself chose, read
 * back out of the code bytes, together with PT_TLS, the `.tdata` image and each symbol's
 * st_value (its offset in the TLS segment). The model test then compares `tpOffsetOf` with
 * the linker's numbers without needing the toolchains.
 *
 * Usage: npx tsx model/tools/gen-tls-fixtures.ts [outDir]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type Toolchain = "gcc-bfd" | "clang-lld";

export interface TlsVarSpec {
  readonly size: number;
  readonly align: number;
  /** Initial bytes (length = size) for `.tdata`, absent for `.tbss`. */
  readonly init?: readonly number[];
}

export interface TlsCaseSpec {
  readonly name: string;
  readonly toolchain: Toolchain;
  readonly vars: readonly TlsVarSpec[];
  /** Place the TLS sections at an address that is 0x80 past a page start (linker script). */
  readonly misplace?: boolean;
}

export interface TlsFixture {
  readonly name: string;
  readonly toolchain: Toolchain;
  readonly misplace: boolean;
  readonly ptTls: { vaddr: number; filesz: number; memsz: number; align: number };
  /** The `.tdata` image (p_filesz bytes) as hex. */
  readonly image: string;
  readonly vars: readonly {
    name: string;
    size: number;
    align: number;
    tbss: boolean;
    init?: string;
    /** Symbol value: offset of the variable from p_vaddr. */
    stValue: number;
    /** TP offset resolved by the linker into `movq $v@tpoff, %rax`. */
    tpoff: number;
  }[];
}

/** xorshift32, so the fixture set is reproducible from its seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const SIZES = [1, 2, 3, 4, 8, 12, 16, 24, 40, 64, 100];
const ALIGNS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096];

export function randomCase(seed: number, toolchain: Toolchain, misplace = false): TlsCaseSpec {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const n = 1 + Math.floor(r() * 6);
  const vars: TlsVarSpec[] = [];
  for (let i = 0; i < n; i++) {
    const size = pick(SIZES);
    // 4096 rarely: it dominates the block.
    let align = pick(ALIGNS);
    if (align === 4096 && r() < 0.7) align = 64;
    const tbss = r() < 0.35;
    vars.push(tbss ? { size, align } : { size, align, init: Array.from({ length: size }, () => 1 + Math.floor(r() * 255)) });
  }
  return { name: `${toolchain}-${misplace ? "misplaced-" : ""}${seed}`, toolchain, vars, misplace };
}

export function cSource(spec: TlsCaseSpec): string {
  const lines = spec.vars.map((v, i) => {
    const attr = `__attribute__((aligned(${v.align})))`;
    return v.init
      ? `__thread unsigned char v${i}[${v.size}] ${attr} = { ${v.init.join(", ")} };`
      : `__thread unsigned char v${i}[${v.size}] ${attr};`;
  });
  const movs = spec.vars.map((_, i) => `movq $v${i}@tpoff, %rax\\n`).join("");
  lines.push(`__asm__(".section .text.tpoff,\\"ax\\"\\n.globl tpoff_code\\ntpoff_code:\\n${movs}.text\\n");`);
  lines.push("void _start(void) { for (;;) ; }");
  return lines.join("\n") + "\n";
}

const MISPLACE_SCRIPT = `SECTIONS {
  . = 0x200000;
  .text : { *(.text*) }
  . = ALIGN(0x1000) + 0x80;
  .tdata : { *(.tdata .tdata.*) }
  .tbss : { *(.tbss .tbss.*) }
  .data : { *(.data*) }
  .bss : { *(.bss*) }
}
`;

export function hasTool(cmd: string): boolean {
  try {
    execFileSync(cmd, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

interface Phdr {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

function readPhdrs(elf: Buffer): Phdr[] {
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  const out: Phdr[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    out.push({
      type: elf.readUInt32LE(p),
      offset: Number(elf.readBigUInt64LE(p + 8)),
      vaddr: Number(elf.readBigUInt64LE(p + 16)),
      filesz: Number(elf.readBigUInt64LE(p + 32)),
      memsz: Number(elf.readBigUInt64LE(p + 40)),
      align: Number(elf.readBigUInt64LE(p + 48)),
    });
  }
  return out;
}

/** Symbol name -> st_value, from `readelf -sW`. */
function readSymbols(path: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of execFileSync("readelf", ["-sW", path], { encoding: "utf8" }).split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 8 && /^\d+:$/.test(f[0]!)) out.set(f[7]!, parseInt(f[1]!, 16));
  }
  return out;
}

/** Compile and link one case in `dir`, and read the linker's TLS numbers back. */
export function buildCase(spec: TlsCaseSpec, dir: string): TlsFixture {
  const src = join(dir, `${spec.name}.c`);
  const out = join(dir, `${spec.name}.elf`);
  writeFileSync(src, cSource(spec));
  const common = ["-O2", "-ffreestanding", "-nostdlib", "-static", "-fno-pic", "-ftls-model=local-exec", "-fno-stack-protector"];
  const script: string[] = [];
  if (spec.misplace) {
    const ld = join(dir, `${spec.name}.ld`);
    writeFileSync(ld, MISPLACE_SCRIPT);
    script.push(`-Wl,-T,${ld}`);
  }
  if (spec.toolchain === "gcc-bfd") execFileSync("gcc", [...common, "-no-pie", "-fuse-ld=bfd", ...script, src, "-o", out]);
  else execFileSync("clang", ["--target=x86_64-unknown-none-elf", ...common, "-fuse-ld=lld", ...script, src, "-o", out]);
  const elf = readFileSync(out);
  const phdrs = readPhdrs(elf);
  const tls = phdrs.find((p) => p.type === 7);
  if (!tls) throw new Error(`${spec.name}: no PT_TLS`);
  const syms = readSymbols(out);
  const code = syms.get("tpoff_code");
  if (code === undefined) throw new Error(`${spec.name}: no tpoff_code`);
  const load = phdrs.find((p) => p.type === 1 && code >= p.vaddr && code < p.vaddr + p.filesz);
  if (!load) throw new Error(`${spec.name}: tpoff_code not in a PT_LOAD`);
  const codeOff = load.offset + (code - load.vaddr);
  return {
    name: spec.name,
    toolchain: spec.toolchain,
    misplace: spec.misplace ?? false,
    ptTls: { vaddr: tls.vaddr, filesz: tls.filesz, memsz: tls.memsz, align: tls.align },
    image: elf.subarray(tls.offset, tls.offset + tls.filesz).toString("hex"),
    vars: spec.vars.map((v, i) => {
      const at = codeOff + i * 7;
      // 48 c7 c0 imm32: movq $imm32 (sign-extended), %rax.
      if (elf[at] !== 0x48 || elf[at + 1] !== 0xc7 || elf[at + 2] !== 0xc0) throw new Error(`${spec.name}: unexpected code at v${i}`);
      const stValue = syms.get(`v${i}`);
      if (stValue === undefined) throw new Error(`${spec.name}: no symbol v${i}`);
      return {
        name: `v${i}`,
        size: v.size,
        align: v.align,
        tbss: v.init === undefined,
        ...(v.init ? { init: Buffer.from(v.init).toString("hex") } : {}),
        stValue,
        tpoff: elf.readInt32LE(at + 3),
      };
    }),
  };
}

/** The committed fixture set: seeds per toolchain, plus misplaced-p_vaddr cases. */
export function fixtureSpecs(): TlsCaseSpec[] {
  const specs: TlsCaseSpec[] = [];
  for (const tc of ["gcc-bfd", "clang-lld"] as const) {
    for (let seed = 1; seed <= 12; seed++) specs.push(randomCase(seed * 7919 + (tc === "gcc-bfd" ? 0 : 1), tc));
    // .tdata aligned 16 and a .tbss variable aligned 256: lld keeps .tdata at page + 0x80, so
    // p_vaddr % p_align == 0x80 (TLSV2-5); GNU ld realigns the first TLS section instead.
    const mis: TlsVarSpec[] = [
      { size: 4, align: 16, init: [0x11, 0x22, 0x33, 0x44] },
      { size: 24, align: 16, init: Array.from({ length: 24 }, (_, i) => i + 1) },
      { size: 8, align: 256 },
      { size: 2, align: 4 },
    ];
    specs.push({ name: `${tc}-misplaced-a`, toolchain: tc, vars: mis, misplace: true });
    specs.push({ ...randomCase(4242, tc, true), vars: [...randomCase(4242, tc, true).vars.map((v) => ({ ...v, align: Math.min(v.align, 16) })), { size: 16, align: 128 }] });
  }
  return specs;
}

function main(): void {
  const outDir = process.argv[2] ?? fileURLToPath(new URL("../fixtures/tls/", import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "tls-fixtures-"));
  try {
    for (const spec of fixtureSpecs()) {
      const fx = buildCase(spec, work);
      writeFileSync(join(outDir, `${spec.name}.json`), JSON.stringify(fx, null, 1) + "\n");
      console.log(`${spec.name}: PT_TLS vaddr 0x${fx.ptTls.vaddr.toString(16)} memsz 0x${fx.ptTls.memsz.toString(16)} align 0x${fx.ptTls.align.toString(16)}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
