/**
 * Generate the target-side ABI files from spec/binding.ts (and the capnp-es code it uses):
 *
 *   targets/rt/c/capos_abi.h     C header: constants, field accessors, syscall wrappers
 *   targets/rt/rust/capos_abi.rs the same for the `#![no_core]` Rust runtime
 *   targets/capos.ld             the linker script (image base, stack limit, TLS symbols)
 *
 * Usage: npx tsx targets/gen-abi.ts [OUTDIR]   (default: targets/)
 * The outputs are committed; targets/gen-abi.test.ts checks that regeneration reproduces
 * them byte for byte. No number is typed here: every value comes from the binding, and the
 * Cap'n Proto struct layouts (params/results data words, field offsets) are measured by
 * writing fields through the capnp-es generated classes and looking where the bytes land.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as $ from "capnp-es";
import type { Binding, Field, FieldTable, GpRegister, InterfaceName } from "../spec/binding.js";
import { DEFAULT_BINDING, FIELD_SIZE, INTERFACE_NAMES, OPCODE_NAMES, TRANSPORT_ERROR_NAMES } from "../spec/binding.js";
import * as schema from "../spec/schema/gen/capos.js";
import { SCHEMA_CLIENTS } from "../spec/schema/clients.js";
import * as agent from "../spec/agent-protocol.js";

const targetsDir = dirname(fileURLToPath(import.meta.url));

/** camelCase -> SNAKE_CASE */
export function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1_$2")
    .toUpperCase();
}
const lower = (n: string) => snake(n).toLowerCase();
const hex = (v: number | bigint) => "0x" + v.toString(16);

// ---------------------------------------------------------------------------------------------
// Cap'n Proto struct layouts, measured through capnp-es

export interface CapnpField {
  readonly name: string;
  /** "data": byte offset in the data section; "pointer": pointer index. */
  readonly kind: "data" | "pointer";
  readonly offset: number;
  readonly type: "u8" | "u16" | "u32" | "u64" | "ptr";
}
export interface CapnpStruct {
  readonly dataWords: number;
  readonly pointerWords: number;
  readonly fields: readonly CapnpField[];
}
export interface MethodLayout {
  readonly iface: InterfaceName;
  readonly method: string;
  readonly ordinal: number;
  readonly params: CapnpStruct;
  readonly results: CapnpStruct;
}

type StructClass = (new (...a: never[]) => $.Struct) & { _capnp: { size: $.ObjectSize } };

function structStart(buf: Uint8Array): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const segCount = dv.getUint32(0, true) + 1;
  const tableBytes = Math.ceil((4 * (segCount + 1)) / 8) * 8;
  const ptr = dv.getUint32(tableBytes, true);
  return tableBytes + 8 + ((ptr | 0) >> 2) * 8;
}

function measureStruct(cls: StructClass): CapnpStruct {
  const size = cls._capnp.size;
  const names = Object.getOwnPropertyNames(cls.prototype).filter((n) => {
    const d = Object.getOwnPropertyDescriptor(cls.prototype, n);
    return !n.startsWith("_") && d?.get !== undefined && d.set !== undefined;
  });
  const fields: CapnpField[] = [];
  for (const name of names) {
    const blank = new $.Message(undefined, false);
    blank.initRoot(cls as never);
    const before = new Uint8Array(blank.toArrayBuffer());
    const msg = new $.Message(undefined, false);
    const root = msg.initRoot(cls as never) as unknown as Record<string, unknown>;
    const cur = root[name];
    let kind: CapnpField["kind"] = "data";
    if (typeof cur === "bigint") root[name] = (1n << 64n) - 1n;
    else if (typeof cur === "number") root[name] = 0xffff_ffff;
    else {
      kind = "pointer";
      const init = (root as Record<string, unknown>)[`_init${name[0]!.toUpperCase()}${name.slice(1)}`];
      if (typeof init === "function") (init as (n: number) => unknown).call(root, 1);
      else root[name] = "x"; // Text
    }
    const after = new Uint8Array(msg.toArrayBuffer());
    const start = structStart(after);
    const changed: number[] = [];
    for (let i = start; i < before.length; i++) if (before[i] !== after[i]) changed.push(i - start);
    if (changed.length === 0) throw new Error(`field ${name} changed no byte`);
    const first = changed[0]!;
    if (kind === "pointer") {
      const index = Math.floor((first - size.dataByteLength) / 8);
      fields.push({ name, kind, offset: index, type: "ptr" });
    } else {
      const width = changed.length;
      const type = ({ 1: "u8", 2: "u16", 4: "u32", 8: "u64" } as const)[width as 1 | 2 | 4 | 8];
      if (!type) throw new Error(`field ${name}: odd width ${width}`);
      fields.push({ name, kind, offset: first, type });
    }
  }
  fields.sort((a, b) => (a.kind === b.kind ? a.offset - b.offset : a.kind === "data" ? -1 : 1));
  return { dataWords: size.dataByteLength / 8, pointerWords: size.pointerLength, fields };
}

export function methodLayouts(b: Binding): MethodLayout[] {
  const out: MethodLayout[] = [];
  for (const iface of INTERFACE_NAMES) {
    for (const m of SCHEMA_CLIENTS[iface].methods) {
      const method = m.methodName ?? `method${m.methodId}`;
      const ordinal = b.methods[iface][method];
      if (ordinal === undefined) throw new Error(`binding has no ordinal for ${iface}.${method}`);
      out.push({
        iface,
        method,
        ordinal,
        params: measureStruct(m.ParamsClass as StructClass),
        results: measureStruct(m.ResultsClass as StructClass),
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// C header

const C_TYPE: Record<string, string> = { u8: "uint8_t", u16: "uint16_t", u32: "uint32_t", u64: "uint64_t", i32: "int32_t" };
const RS_TYPE: Record<string, string> = { u8: "u8", u16: "u16", u32: "u32", u64: "u64", i32: "i32" };

function cConst(name: string, v: number | bigint, comment?: string): string {
  let lit: string;
  if (typeof v === "bigint") lit = `${hex(v)}ULL`;
  else if (v < 0) lit = `(${v})`;
  else lit = v > 0xffff_ffff ? `${hex(v)}ULL` : v >= 4096 ? hex(v) : String(v);
  return `#define ${name} ${lit}${comment ? ` /* ${comment} */` : ""}`;
}

function cFieldTable(prefix: string, fn: string, table: FieldTable, base: string): string[] {
  const lines: string[] = [];
  for (const [name, f] of Object.entries(table)) {
    const t = C_TYPE[f.type]!;
    const N = `${prefix}_${snake(name)}`;
    lines.push(cConst(N, f.offset, f.type));
    if (name === "name" && f.type === "u8") continue; // byte array, read directly
    if (name.startsWith("reserved")) continue;
    lines.push(
      `static inline ${t} ${fn}_get_${lower(name)}(const volatile void *${base}) { return *(const volatile ${t} *)((const volatile uint8_t *)${base} + ${N}); }`,
      `static inline void ${fn}_set_${lower(name)}(volatile void *${base}, ${t} v) { *(volatile ${t} *)((volatile uint8_t *)${base} + ${N}) = v; }`,
    );
  }
  return lines;
}

function cSyscalls(b: Binding): string[] {
  const s = b.syscall;
  const lines: string[] = [];
  const clob = [...s.clobbered.map((r) => `"${r}"`), `"memory"`].join(", ");
  lines.push(`#define CAPOS_SYSCALL_CLOBBERS ${clob}`);
  for (let n = 0; n <= s.argRegisters.length; n++) {
    const params = ["uint64_t nr", ...Array.from({ length: n }, (_, i) => `uint64_t a${i}`)].join(", ");
    const body: string[] = [];
    body.push(`  register uint64_t r_nr __asm__("${s.numberRegister}") = nr;`);
    for (let i = 0; i < n; i++) body.push(`  register uint64_t r_a${i} __asm__("${s.argRegisters[i]}") = a${i};`);
    const ins = Array.from({ length: n }, (_, i) => `"r"(r_a${i})`);
    if (s.returnRegister === s.numberRegister) {
      body.push(`  __asm__ volatile("syscall" : "+r"(r_nr) : ${ins.join(", ")} : CAPOS_SYSCALL_CLOBBERS);`);
      body.push(`  return (int64_t)r_nr;`);
    } else {
      body.push(`  register uint64_t r_ret __asm__("${s.returnRegister}");`);
      body.push(`  __asm__ volatile("syscall" : "=r"(r_ret) : "r"(r_nr)${ins.map((x) => ", " + x).join("")} : CAPOS_SYSCALL_CLOBBERS);`);
      body.push(`  return (int64_t)r_ret;`);
    }
    lines.push(`static inline int64_t capos_syscall${n}(${params}) {`, ...body, `}`);
  }
  return lines;
}

function cStructAccessors(l: MethodLayout, which: "params" | "results"): string[] {
  const st = l[which];
  const P = `CAPOS_${snake(l.iface)}_${snake(l.method)}_${which.toUpperCase()}`;
  const fn = `capos_${lower(l.iface)}_${lower(l.method)}_${which}`;
  const lines = [cConst(`${P}_DATA_WORDS`, st.dataWords), cConst(`${P}_PTR_WORDS`, st.pointerWords)];
  for (const f of st.fields) {
    const N = `${P}_${snake(f.name)}`;
    if (f.kind === "pointer") {
      lines.push(cConst(`${N}_PTR`, f.offset, "pointer index"));
      continue;
    }
    const t = C_TYPE[f.type]!;
    lines.push(cConst(N, f.offset, `${f.type}, byte offset in the data section`));
    if (which === "params") lines.push(`static inline void ${fn}_set_${lower(f.name)}(void *data, ${t} v) { *(${t} *)((uint8_t *)data + ${N}) = v; }`);
    else
      lines.push(
        `static inline ${t} ${fn}_get_${lower(f.name)}(const void *data, uint32_t dataWords) { return (${N} + sizeof(${t}) <= dataWords * 8u) ? *(const ${t} *)((const uint8_t *)data + ${N}) : 0; }`,
      );
  }
  return lines;
}

export function generateC(b: Binding): string {
  const L: string[] = [];
  L.push(
    `/* GENERATED by targets/gen-abi.ts from spec/binding.ts (binding "${b.id}", ABI ${b.abiVersion}). Do not edit. */`,
    `#ifndef CAPOS_ABI_H`,
    `#define CAPOS_ABI_H`,
    `#include <stdint.h>`,
    `#include <stddef.h>`,
    ``,
    `#define CAPOS_ABI_VERSION "${b.abiVersion}"`,
    cConst("CAPOS_PAGE_SIZE", b.pageSize),
    ``,
    `/* syscalls */`,
    cConst("CAPOS_SYS_EXIT", b.syscall.numbers.exit),
    cConst("CAPOS_SYS_CAP_ENTER", b.syscall.numbers.capEnter),
    cConst("CAPOS_ERR_NO_SYS", b.syscall.errors.noSys),
    cConst("CAPOS_ERR_INVALID", b.syscall.errors.invalid),
    cConst("CAPOS_CAP_ENTER_WAIT_FOREVER", b.syscall.capEnterWaitForever),
    ``,
    `/* entry registers (for assembly): ring, pid, capset, spawned-thread arg */`,
    `#define CAPOS_ENTRY_RING_REG "%${b.entry.ring}"`,
    `#define CAPOS_ENTRY_PID_REG "%${b.entry.pid}"`,
    `#define CAPOS_ENTRY_CAPSET_REG "%${b.entry.capSet}"`,
    `#define CAPOS_ENTRY_THREAD_ARG_REG "%${b.entry.threadArg}"`,
    ``,
    `/* layout */`,
  );
  for (const [k, v] of Object.entries(b.layout)) L.push(cConst(`CAPOS_LAYOUT_${snake(k)}`, v));
  L.push(``, `/* ring */`);
  L.push(
    cConst("CAPOS_RING_HEADER_SIZE", b.ring.headerSize),
    cConst("CAPOS_RING_SQ_OFFSET", b.ring.sqOffset),
    cConst("CAPOS_RING_SQ_ENTRIES", b.ring.sqEntries),
    cConst("CAPOS_RING_CQ_OFFSET", b.ring.cqOffset),
    cConst("CAPOS_RING_CQ_ENTRIES", b.ring.cqEntries),
    cConst("CAPOS_SQE_SIZE", b.ring.sqeSize),
    cConst("CAPOS_CQE_SIZE", b.ring.cqeSize),
  );
  L.push(...cFieldTable("CAPOS_RING_HDR", "capos_ring_hdr", b.ring.header, "ring"));
  L.push(...cFieldTable("CAPOS_SQE", "capos_sqe", b.ring.sqeCommon, "sqe"));
  for (const op of OPCODE_NAMES) L.push(...cFieldTable(`CAPOS_SQE_${snake(op)}`, `capos_sqe_${lower(op)}`, b.ring.sqeViews[op], "sqe"));
  L.push(...cFieldTable("CAPOS_CQE", "capos_cqe", b.ring.cqe, "cqe"));
  L.push(``, `/* opcodes */`);
  for (const op of OPCODE_NAMES) L.push(cConst(`CAPOS_OP_${snake(op)}`, b.opcodes[op]));
  L.push(``, `/* transport errors (CQE result) */`);
  for (const e of TRANSPORT_ERROR_NAMES) L.push(cConst(`CAPOS_TERR_${snake(e)}`, b.transportErrors[e]));
  L.push(``, `/* park */`);
  L.push(cConst("CAPOS_PARK_WORD_SIZE", b.park.wordSize), cConst("CAPOS_PARK_WORD_ALIGN", b.park.wordAlign));
  for (const [k, v] of Object.entries(b.park.results)) L.push(cConst(`CAPOS_PARK_${snake(k)}`, v));
  L.push(cConst("CAPOS_PARK_TIMEOUT_FOREVER", b.park.timeoutForever), cConst("CAPOS_UNPARK_ALL", b.park.unparkAll));
  L.push(``, `/* virtual memory */`);
  for (const [k, v] of Object.entries(b.vm.prot)) L.push(cConst(`CAPOS_PROT_${snake(k)}`, v));
  L.push(cConst("CAPOS_VM_RESERVED_PAGE_QUOTA", b.vm.reservedPageQuota), cConst("CAPOS_VM_COMMITTED_PAGE_QUOTA", b.vm.committedPageQuota));
  L.push(``, `/* cap ids */`);
  L.push(
    cConst("CAPOS_CAPID_GENERATION_SHIFT", b.capId.generationShift),
    cConst("CAPOS_CAPID_INDEX_MASK", b.capId.indexMask),
    cConst("CAPOS_CAPID_FIRST_GENERATION", b.capId.firstGeneration),
  );
  L.push(``, `/* CapSet page */`);
  L.push(
    cConst("CAPOS_CAPSET_MAGIC", b.capSet.magic),
    cConst("CAPOS_CAPSET_VERSION", b.capSet.version),
    cConst("CAPOS_CAPSET_HEADER_SIZE", b.capSet.headerSize),
    cConst("CAPOS_CAPSET_ENTRY_SIZE", b.capSet.entrySize),
    cConst("CAPOS_CAPSET_NAME_LENGTH", b.capSet.nameLength),
  );
  L.push(...cFieldTable("CAPOS_CAPSET_HDR", "capos_capset_hdr", b.capSet.header, "cs"));
  L.push(...cFieldTable("CAPOS_CAPSET_ENTRY", "capos_capset_entry", b.capSet.entry, "e"));
  L.push(``, `/* interface ids */`);
  for (const i of INTERFACE_NAMES) L.push(cConst(`CAPOS_IID_${snake(i)}`, b.interfaces[i]));
  L.push(``, `/* default grants, CapSet slot order */`);
  b.defaultGrants.forEach((g, i) => L.push(cConst(`CAPOS_GRANT_SLOT_${snake(g)}`, i)));
  L.push(cConst("CAPOS_GRANT_COUNT", b.defaultGrants.length));
  L.push(``, `/* exception types */`);
  for (const [k, v] of Object.entries(b.exceptionTypes)) L.push(cConst(`CAPOS_EXC_${snake(k)}`, v));
  const exc = measureStruct(schema.CapException as unknown as StructClass);
  L.push(``, `/* CapException (result buffer of an applicationException CQE) */`, cConst("CAPOS_CAP_EXCEPTION_DATA_WORDS", exc.dataWords));
  for (const f of exc.fields) L.push(cConst(`CAPOS_CAP_EXCEPTION_${snake(f.name)}${f.kind === "pointer" ? "_PTR" : ""}`, f.offset, f.type));
  L.push(``, `/* methods: ordinals and params/results struct layouts */`);
  for (const l of methodLayouts(b)) {
    L.push(cConst(`CAPOS_METHOD_${snake(l.iface)}_${snake(l.method)}`, l.ordinal));
    L.push(...cStructAccessors(l, "params"), ...cStructAccessors(l, "results"));
  }
  L.push(``, `/* syscall wrappers: registers and clobbers per the binding */`, ...cSyscalls(b));
  L.push(
    `static inline int64_t capos_cap_enter(uint64_t min_complete, uint64_t timeout_ns) { return capos_syscall2(CAPOS_SYS_CAP_ENTER, min_complete, timeout_ns); }`,
    `static inline __attribute__((noreturn)) void capos_exit(uint64_t status) { capos_syscall1(CAPOS_SYS_EXIT, status); for (;;) __asm__ volatile("ud2"); }`,
  );
  L.push(``, `#endif /* CAPOS_ABI_H */`, ``);
  return L.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Rust module (for #![no_core]: uses crate::minicore for operators, volatile access and asm!)

function rsConst(name: string, v: number | bigint, type: string): string {
  const lit = typeof v === "bigint" || v > 0xffff || v < -0xffff ? (v < 0 ? `-${hex(-BigInt(v))}` : hex(v)) : String(v);
  return `pub const ${name}: ${type} = ${lit};`;
}

function rsFieldTable(prefix: string, fn: string, table: FieldTable): string[] {
  const lines: string[] = [];
  for (const [name, f] of Object.entries(table) as [string, Field][]) {
    const t = RS_TYPE[f.type]!;
    const N = `${prefix}_${snake(name)}`;
    lines.push(rsConst(N, f.offset, "usize"));
    if ((name === "name" && f.type === "u8") || name.startsWith("reserved")) continue;
    lines.push(
      `#[inline(always)] pub unsafe fn ${fn}_get_${lower(name)}(base: usize) -> ${t} { unsafe { vload((base + ${N}) as *const ${t}) } }`,
      `#[inline(always)] pub unsafe fn ${fn}_set_${lower(name)}(base: usize, v: ${t}) { unsafe { vstore((base + ${N}) as *mut ${t}, v) } }`,
    );
  }
  return lines;
}

function rsStructAccessors(l: MethodLayout, which: "params" | "results"): string[] {
  const st = l[which];
  const P = `${snake(l.iface)}_${snake(l.method)}_${which.toUpperCase()}`;
  const fn = `${lower(l.iface)}_${lower(l.method)}_${which}`;
  const lines = [rsConst(`${P}_DATA_WORDS`, st.dataWords, "u32"), rsConst(`${P}_PTR_WORDS`, st.pointerWords, "u32")];
  for (const f of st.fields) {
    const N = `${P}_${snake(f.name)}`;
    if (f.kind === "pointer") {
      lines.push(rsConst(`${N}_PTR`, f.offset, "usize"));
      continue;
    }
    const t = RS_TYPE[f.type]!;
    lines.push(rsConst(N, f.offset, "usize"));
    if (which === "params") lines.push(`#[inline(always)] pub unsafe fn ${fn}_set_${lower(f.name)}(data: usize, v: ${t}) { unsafe { vstore((data + ${N}) as *mut ${t}, v) } }`);
    else
      lines.push(
        `#[inline(always)] pub unsafe fn ${fn}_get_${lower(f.name)}(data: usize, data_words: u32) -> ${t} { if ((${N} + ${FIELD_SIZE[f.type as keyof typeof FIELD_SIZE]}) as u32) <= data_words * 8 { unsafe { vload((data + ${N}) as *const ${t}) } } else { 0 } }`,
      );
  }
  return lines;
}

function rsSyscalls(b: Binding): string[] {
  const s = b.syscall;
  const lines: string[] = [];
  for (let n = 0; n <= s.argRegisters.length; n++) {
    const params = ["nr: u64", ...Array.from({ length: n }, (_, i) => `a${i}: u64`)].join(", ");
    const ops: string[] = [];
    if (s.returnRegister === s.numberRegister) ops.push(`inlateout("${s.numberRegister}") nr => ret`);
    else ops.push(`in("${s.numberRegister}") nr`, `lateout("${s.returnRegister}") ret`);
    for (let i = 0; i < n; i++) ops.push(`in("${s.argRegisters[i]}") a${i}`);
    for (const r of s.clobbered) ops.push(`out("${r}") _`);
    lines.push(
      `#[inline(always)] pub unsafe fn syscall${n}(${params}) -> i64 {`,
      `    let ret: u64;`,
      `    unsafe { asm!("syscall", ${ops.join(", ")}, options(nostack)); }`,
      `    ret as i64`,
      `}`,
    );
  }
  return lines;
}

export function generateRust(b: Binding): string {
  const L: string[] = [];
  const reg = (r: GpRegister) => `"${r}"`;
  L.push(
    `// GENERATED by targets/gen-abi.ts from spec/binding.ts (binding "${b.id}", ABI ${b.abiVersion}). Do not edit.`,
    `#![allow(dead_code, non_upper_case_globals, clippy::all)]`,
    `use crate::minicore::*;`,
    ``,
    `pub const ABI_VERSION: &str = "${b.abiVersion}";`,
    rsConst("PAGE_SIZE", b.pageSize, "usize"),
    rsConst("SYS_EXIT", b.syscall.numbers.exit, "u64"),
    rsConst("SYS_CAP_ENTER", b.syscall.numbers.capEnter, "u64"),
    rsConst("ERR_NO_SYS", b.syscall.errors.noSys, "i64"),
    rsConst("ERR_INVALID", b.syscall.errors.invalid, "i64"),
    rsConst("CAP_ENTER_WAIT_FOREVER", b.syscall.capEnterWaitForever, "u64"),
    `pub const ENTRY_RING_REG: &str = ${reg(b.entry.ring)};`,
    `pub const ENTRY_PID_REG: &str = ${reg(b.entry.pid)};`,
    `pub const ENTRY_CAPSET_REG: &str = ${reg(b.entry.capSet)};`,
    `pub const ENTRY_THREAD_ARG_REG: &str = ${reg(b.entry.threadArg)};`,
    `/// For global_asm!/asm! templates: \`_start\` receives ring, pid, capset in these registers.`,
    `#[macro_export] macro_rules! capos_entry_regs { ($m:ident) => { $m! { "${b.entry.ring}", "${b.entry.pid}", "${b.entry.capSet}", "${b.entry.threadArg}" } }; }`,
  );
  for (const [k, v] of Object.entries(b.layout)) L.push(rsConst(`LAYOUT_${snake(k)}`, v, "usize"));
  L.push(
    rsConst("RING_HEADER_SIZE", b.ring.headerSize, "usize"),
    rsConst("RING_SQ_OFFSET", b.ring.sqOffset, "usize"),
    rsConst("RING_SQ_ENTRIES", b.ring.sqEntries, "u32"),
    rsConst("RING_CQ_OFFSET", b.ring.cqOffset, "usize"),
    rsConst("RING_CQ_ENTRIES", b.ring.cqEntries, "u32"),
    rsConst("SQE_SIZE", b.ring.sqeSize, "usize"),
    rsConst("CQE_SIZE", b.ring.cqeSize, "usize"),
  );
  L.push(...rsFieldTable("RING_HDR", "ring_hdr", b.ring.header));
  L.push(...rsFieldTable("SQE", "sqe", b.ring.sqeCommon));
  for (const op of OPCODE_NAMES) L.push(...rsFieldTable(`SQE_${snake(op)}`, `sqe_${lower(op)}`, b.ring.sqeViews[op]));
  L.push(...rsFieldTable("CQE", "cqe", b.ring.cqe));
  for (const op of OPCODE_NAMES) L.push(rsConst(`OP_${snake(op)}`, b.opcodes[op], "u8"));
  for (const e of TRANSPORT_ERROR_NAMES) L.push(rsConst(`TERR_${snake(e)}`, b.transportErrors[e], "i32"));
  L.push(rsConst("PARK_WORD_SIZE", b.park.wordSize, "usize"), rsConst("PARK_WORD_ALIGN", b.park.wordAlign, "usize"));
  for (const [k, v] of Object.entries(b.park.results)) L.push(rsConst(`PARK_${snake(k)}`, v, "i32"));
  L.push(rsConst("PARK_TIMEOUT_FOREVER", b.park.timeoutForever, "u64"), rsConst("UNPARK_ALL", b.park.unparkAll, "u32"));
  for (const [k, v] of Object.entries(b.vm.prot)) L.push(rsConst(`PROT_${snake(k)}`, v, "u32"));
  L.push(rsConst("VM_RESERVED_PAGE_QUOTA", b.vm.reservedPageQuota, "u64"), rsConst("VM_COMMITTED_PAGE_QUOTA", b.vm.committedPageQuota, "u64"));
  L.push(
    rsConst("CAPID_GENERATION_SHIFT", b.capId.generationShift, "u32"),
    rsConst("CAPID_INDEX_MASK", b.capId.indexMask, "u32"),
    rsConst("CAPID_FIRST_GENERATION", b.capId.firstGeneration, "u32"),
  );
  L.push(
    rsConst("CAPSET_MAGIC", b.capSet.magic, "u32"),
    rsConst("CAPSET_VERSION", b.capSet.version, "u16"),
    rsConst("CAPSET_HEADER_SIZE", b.capSet.headerSize, "usize"),
    rsConst("CAPSET_ENTRY_SIZE", b.capSet.entrySize, "usize"),
    rsConst("CAPSET_NAME_LENGTH", b.capSet.nameLength, "usize"),
  );
  L.push(...rsFieldTable("CAPSET_HDR", "capset_hdr", b.capSet.header));
  L.push(...rsFieldTable("CAPSET_ENTRY", "capset_entry", b.capSet.entry));
  for (const i of INTERFACE_NAMES) L.push(rsConst(`IID_${snake(i)}`, b.interfaces[i], "u64"));
  b.defaultGrants.forEach((g, i) => L.push(rsConst(`GRANT_SLOT_${snake(g)}`, i, "u32")));
  L.push(rsConst("GRANT_COUNT", b.defaultGrants.length, "u32"));
  for (const [k, v] of Object.entries(b.exceptionTypes)) L.push(rsConst(`EXC_${snake(k)}`, v, "u16"));
  const exc = measureStruct(schema.CapException as unknown as StructClass);
  L.push(rsConst("CAP_EXCEPTION_DATA_WORDS", exc.dataWords, "u32"));
  for (const f of exc.fields) L.push(rsConst(`CAP_EXCEPTION_${snake(f.name)}${f.kind === "pointer" ? "_PTR" : ""}`, f.offset, "usize"));
  for (const l of methodLayouts(b)) {
    L.push(rsConst(`METHOD_${snake(l.iface)}_${snake(l.method)}`, l.ordinal, "u16"));
    L.push(...rsStructAccessors(l, "params"), ...rsStructAccessors(l, "results"));
  }
  L.push(...rsSyscalls(b));
  L.push(
    `#[inline(always)] pub unsafe fn cap_enter(min_complete: u64, timeout_ns: u64) -> i64 { unsafe { syscall2(SYS_CAP_ENTER, min_complete, timeout_ns) } }`,
    `#[inline(always)] pub unsafe fn exit(status: u64) -> ! { unsafe { syscall1(SYS_EXIT, status); asm!("ud2", options(noreturn)) } }`,
    ``,
  );
  return L.join("\n");
}

// ---------------------------------------------------------------------------------------------
// Linker script

/** Name of the agent's op-script section and symbol (patched in place by the harness). */
export const SCRIPT_SECTION = agent.SCRIPT_SECTION;
export const SCRIPT_SYMBOL = agent.SCRIPT_SYMBOL;

/** C header for the agent: the op-script format and op kinds of spec/agent-protocol.ts. */
export function generateAgentHeader(b: Binding): string {
  const L: string[] = [
    `/* GENERATED by targets/gen-abi.ts from spec/agent-protocol.ts. Do not edit. */`,
    `#ifndef CAPOS_AGENT_H`,
    `#define CAPOS_AGENT_H`,
    `#define AGENT_SCRIPT_SECTION "${agent.SCRIPT_SECTION}"`,
    `#define AGENT_SCRIPT_SYMBOL ${agent.SCRIPT_SYMBOL}`,
    cConst("AGENT_SCRIPT_MAGIC", agent.SCRIPT_MAGIC),
    cConst("AGENT_SCRIPT_VERSION", agent.SCRIPT_VERSION),
    cConst("AGENT_SCRIPT_HEADER_SIZE", agent.SCRIPT_HEADER_SIZE),
    cConst("AGENT_SCRIPT_THREAD_ENTRY_SIZE", agent.SCRIPT_THREAD_ENTRY_SIZE),
    cConst("AGENT_SCRIPT_OP_SIZE", agent.SCRIPT_OP_SIZE),
    cConst("AGENT_SCRIPT_CAPACITY", agent.SCRIPT_CAPACITY),
    cConst("AGENT_SCRIPT_REGISTERS", agent.SCRIPT_REGISTERS),
    cConst("AGENT_BAD_SCRIPT_EXIT", agent.AGENT_BAD_SCRIPT_EXIT),
    cConst("AGENT_MAX_THREADS", agent.AGENT_MAX_THREADS),
    cConst("AGENT_TLS_VARS", agent.AGENT_TLS_VARS),
  ];
  agent.AGENT_TLS_INITIAL.forEach((v, i) => L.push(cConst(`AGENT_TLS_INITIAL_${i}`, v)));
  for (const [name, kind] of Object.entries(agent.OP)) L.push(cConst(`AGENT_OP_${name}`, kind));
  L.push(cConst("AGENT_BATCH_ANOMALY_SHIFT", agent.BATCH_ANOMALY_SHIFT));
  L.push(`#define AGENT_PAGE_SIZE ${hex(b.pageSize)}`, `#endif`, ``);
  return L.join("\n");
}

/** Rust module for the agent (rt/rust/capos_agent.rs): the same constants as capos_agent.h. */
export function generateAgentRust(b: Binding): string {
  const L: string[] = [
    `// GENERATED by targets/gen-abi.ts from spec/agent-protocol.ts. Do not edit.`,
    `#![allow(dead_code)]`,
    `pub const AGENT_SCRIPT_SECTION: &str = "${agent.SCRIPT_SECTION}";`,
    `pub const AGENT_SCRIPT_SYMBOL: &str = "${agent.SCRIPT_SYMBOL}";`,
    `/// For global_asm!: the script slot's section, symbol and capacity as string literals.`,
    `#[macro_export] macro_rules! capos_agent_script { ($m:ident) => { $m! { "${agent.SCRIPT_SECTION}", "${agent.SCRIPT_SYMBOL}", "${hex(agent.SCRIPT_CAPACITY)}" } }; }`,
    rsConst("AGENT_SCRIPT_MAGIC", agent.SCRIPT_MAGIC, "u32"),
    rsConst("AGENT_SCRIPT_VERSION", agent.SCRIPT_VERSION, "u16"),
    rsConst("AGENT_SCRIPT_HEADER_SIZE", agent.SCRIPT_HEADER_SIZE, "u32"),
    rsConst("AGENT_SCRIPT_THREAD_ENTRY_SIZE", agent.SCRIPT_THREAD_ENTRY_SIZE, "u32"),
    rsConst("AGENT_SCRIPT_OP_SIZE", agent.SCRIPT_OP_SIZE, "u32"),
    rsConst("AGENT_SCRIPT_CAPACITY", agent.SCRIPT_CAPACITY, "u64"),
    rsConst("AGENT_SCRIPT_REGISTERS", agent.SCRIPT_REGISTERS, "u8"),
    rsConst("AGENT_BAD_SCRIPT_EXIT", agent.AGENT_BAD_SCRIPT_EXIT, "u64"),
    rsConst("AGENT_MAX_THREADS", agent.AGENT_MAX_THREADS, "usize"),
    rsConst("AGENT_TLS_VARS", agent.AGENT_TLS_VARS, "usize"),
  ];
  agent.AGENT_TLS_INITIAL.forEach((v, i) => L.push(rsConst(`AGENT_TLS_INITIAL_${i}`, v, "u64")));
  for (const [name, kind] of Object.entries(agent.OP)) L.push(rsConst(`AGENT_OP_${name}`, kind, "u8"));
  L.push(rsConst("AGENT_BATCH_ANOMALY_SHIFT", agent.BATCH_ANOMALY_SHIFT, "u32"));
  L.push(rsConst("AGENT_PAGE_SIZE", b.pageSize, "usize"), ``);
  return L.join("\n");
}

export function generateLinkerScript(b: Binding): string {
  const l = b.layout;
  return `/* GENERATED by targets/gen-abi.ts from spec/binding.ts (binding "${b.id}", ABI ${b.abiVersion}). Do not edit.
 * Static capOS user image: text PT_LOAD (R-X, with ELF and program headers), data PT_LOAD (RW),
 * PT_TLS (.tdata/.tbss inside the data PT_LOAD). Load base = layout.imageBase; the image must end
 * below layout.userStackBase. TLS image symbols for runtimes that build TLS blocks for new threads:
 * __tls_image_start, __tls_filesz, __tls_memsz, __tls_align (absolute).
 */
ENTRY(_start)

PHDRS
{
  text PT_LOAD FILEHDR PHDRS FLAGS(5);
  data PT_LOAD FLAGS(6);
  tls PT_TLS;
}

SECTIONS
{
  . = ${hex(l.imageBase)} + SIZEOF_HEADERS;
  .text : { *(.text.start) *(.text .text.*) } :text
  .rodata : { *(.rodata .rodata.*) } :text

  . = ALIGN(${hex(b.pageSize)});
  .data : { *(.data .data.*) } :data
  ${SCRIPT_SECTION} : ALIGN(${hex(b.pageSize)}) { KEEP(*(${SCRIPT_SECTION})) } :data
  . = ALIGN(${hex(b.pageSize)});
  .tdata : { *(.tdata .tdata.*) } :data :tls
  .tbss : { *(.tbss .tbss.*) *(.tcommon) } :data :tls
  .bss : ALIGN(${hex(b.pageSize)}) { *(.bss .bss.*) *(COMMON) } :data
  . = ALIGN(${hex(b.pageSize)});
  __image_end = .;

  __tls_image_start = ABSOLUTE(ADDR(.tdata));
  __tls_filesz = ABSOLUTE(SIZEOF(.tdata));
  __tls_memsz = ABSOLUTE(ADDR(.tbss) + SIZEOF(.tbss) - ADDR(.tdata));
  __tls_align = ABSOLUTE(MAX(ALIGNOF(.tdata), ALIGNOF(.tbss)));

  /DISCARD/ : { *(.comment) *(.note .note.*) *(.eh_frame .eh_frame_hdr) *(.hash .gnu.hash .dynsym .dynstr .interp .dynamic) }
}

ASSERT(__image_end <= ${hex(l.userStackBase)}, "capOS image must end below layout.userStackBase")
ASSERT(__tls_align <= ${hex(b.pageSize)}, "PT_TLS alignment must not exceed the page size")
`;
}

export function generateAll(b: Binding = DEFAULT_BINDING): Record<string, string> {
  return {
    "rt/c/capos_abi.h": generateC(b),
    "rt/rust/capos_abi.rs": generateRust(b),
    "rt/c/capos_agent.h": generateAgentHeader(b),
    "rt/rust/capos_agent.rs": generateAgentRust(b),
    "capos.ld": generateLinkerScript(b),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? targetsDir);
  for (const [rel, text] of Object.entries(generateAll())) {
    mkdirSync(dirname(join(out, rel)), { recursive: true });
    writeFileSync(join(out, rel), text);
    console.log(`generated ${join(out, rel)}`);
  }
}
