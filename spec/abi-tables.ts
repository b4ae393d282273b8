/**
 * Renders the number tables of spec/ABI.md from a binding, each row with its source or its
 * PROVISIONAL mark. ABI.md holds the rendered tables between `<!-- BEGIN name -->` and
 * `<!-- END name -->` markers; `npm run gen:abi-doc` rewrites them and a test checks the
 * committed document is current, so the document can never disagree with the binding.
 */
import type { Binding, FieldTable } from "./binding.js";
import { FIELD_SIZE } from "./binding.js";

/** Where a number comes from: a manual page, or a PROVISIONAL choice (with its clause). */
type Provenance = { readonly source: string } | { readonly provisional: string };

const M = {
  RING: "[RING](https://cap-os.dev/architecture/capability-ring.md)",
  ABIPOL: "[ABIPOL](https://cap-os.dev/abi-evolution-policy.md)",
  RSQE: "[RSQE](https://cap-os.dev/proposals/rejected-capnp-ring-sqe-proposal.md)",
  PROC: "[PROC](https://cap-os.dev/architecture/process-model.md)",
  PROCH: "[PROC](https://cap-os.dev/architecture/process-model.html)",
  SDK: "[SDK](https://docs.rs/capos/0.1.0/capos/syscall/index.html)",
  CAPMODEL: "[CAPMODEL](https://capos-93z.pages.dev/capability-model.html)",
  PARK: "[PARK](https://cap-os.dev/architecture/park.md)",
  MEM: "[MEM](https://cap-os.dev/architecture/memory.md)",
  SEED: "[LLVM](https://cap-os.dev/research/llvm-target.html)",
  ERR: "[ERR](https://cap-os.dev/architecture/error-handling.md)",
  HW: "Intel SDM vol. 2 SYSCALL (hardware)",
};

const src = (source: string): Provenance => ({ source });
const prov = (provisional: string): Provenance => ({ provisional });

function cell(p: Provenance): string {
  return "source" in p ? p.source : `**PROVISIONAL** (${p.provisional})`;
}

const hex = (n: number | bigint) => "0x" + n.toString(16);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function fieldRows(t: FieldTable, p: Provenance): string[][] {
  return Object.entries(t)
    .sort((a, b) => a[1].offset - b[1].offset)
    .map(([name, f]) => [`\`${name}\``, String(f.offset), f.type, String(FIELD_SIZE[f.type]), cell(p)]);
}

const FIELD_HEADER = ["field", "offset", "type", "bytes", "source"];

/** Every generated block, by marker name. */
export function renderAbiTables(b: Binding): Record<string, string> {
  const L = b.layout;
  const provRing = prov("RINGX-*; field names from RSQE, offsets chosen");
  const blocks: Record<string, string> = {};

  blocks["syscalls"] = table(["item", "value", "source"], [
    ["syscalls that exist", "`exit`, `cap_enter`", cell(src("[OVERVIEW](https://cap-os.dev/overview.md)"))],
    ["instruction", "`syscall`", cell(src("[BOOT](https://cap-os.dev/architecture/boot-flow.md) (syscall MSRs)"))],
    ["number register", `\`${b.syscall.numberRegister}\``, cell(src("[LLVM](https://cap-os.dev/research/llvm-target.html) §2 (RAX = number, RDI.. = args)"))],
    ["argument registers", b.syscall.argRegisters.map((r) => `\`${r}\``).join(", "), cell(prov("SYSX-1; System V order with r10 for rcx, as Linux"))],
    ["return register", `\`${b.syscall.returnRegister}\``, cell(prov("SYSX-1"))],
    ["clobbered", b.syscall.clobbered.map((r) => `\`${r}\``).join(", "), cell(src(M.HW))],
    ["`exit` number", String(b.syscall.numbers.exit), cell(prov("SYSX-1; numbers not retrieved"))],
    ["`cap_enter` number", String(b.syscall.numbers.capEnter), cell(prov("SYSX-1; numbers not retrieved"))],
    ["unknown number returns", String(b.syscall.errors.noSys), cell(prov("SYSX-1; mirrors Linux -ENOSYS"))],
    ["invalid arguments return", String(b.syscall.errors.invalid), cell(prov("ENTERX-1; mirrors Linux -EINVAL"))],
    ["`CAP_ENTER_WAIT_FOREVER`", hex(b.syscall.capEnterWaitForever), cell(prov("ENTERX-1; the constant exists per " + M.SDK + ", its value was not retrieved"))],
  ]);

  blocks["entry"] = table(["item", "register / value", "source"], [
    ["ring page address", `\`${b.entry.ring}\``, cell(src(M.PROCH))],
    ["process id", `\`${b.entry.pid}\``, cell(src(M.PROCH))],
    ["CapSet page address (0 if none)", `\`${b.entry.capSet}\``, cell(src(M.PROCH))],
    ["spawned thread: its ring", `\`${b.entry.ring}\``, cell(prov("THRX-1, FSB-2"))],
    ["spawned thread: spawn argument", `\`${b.entry.threadArg}\``, cell(prov("FSB-2"))],
    ["initial RSP", `userStackBase + userStackSize = ${hex(L.userStackBase + L.userStackSize)}`, cell(prov("PROCX-1"))],
    ["other GPRs", "0", cell(prov("PROCX-1"))],
    ["FS base", "the initial thread pointer (TLSV2-7)", cell(prov("TLSV2-7, TLSV2-8"))],
  ]);

  blocks["layout"] = table(["name", "value", "source"], [
    ["page size", hex(b.pageSize), cell(src(M.RING + " (4 KiB ring page)"))],
    ["`imageBase` (linker script load base)", hex(L.imageBase), cell(src("[LLVM](https://cap-os.dev/research/llvm-target.html) §3 (\"loaded at a fixed address (0x200000)\")"))],
    ["`USER_STACK_BASE`", hex(L.userStackBase), cell(src(M.PROC))],
    ["user stack size (stack is [base, base+size))", hex(L.userStackSize), cell(prov("PROCX-1; images must fit below the base, so the stack lies above it"))],
    ["`RING_VADDR`", hex(L.ringVaddr), cell(prov("value not retrieved; high in the lower half, clear of images and the VM window"))],
    ["CapSet page", hex(L.capSetVaddr), cell(prov("PROCX-3; the page right above the ring"))],
    ["TLS area size (area ends at `RING_VADDR`)", hex(L.tlsAreaSize), cell(prov("TLSV2-7; \"below the ring page\" per " + M.PROC))],
    ["TCB size at the thread pointer", String(L.tcbSize), cell(prov("TLSV2-7; room for the self-pointer and a stack-protector word at 0x28 as glibc"))],
    ["minimum thread-pointer alignment", String(L.tpMinAlign), cell(prov("TLSV2-7; System V stack-like 16-byte alignment"))],
    ["spawned threads' ring pages start", hex(L.threadRingBase), cell(prov("THRX-1"))],
    ["maximum threads per process", String(L.maxThreads), cell(prov("THRX-1; bounds the thread ring window"))],
    ["VirtualMemory window start", hex(L.vmWindowBase), cell(prov("VMX-2"))],
    ["VirtualMemory window end", hex(L.vmWindowEnd), cell(prov("VMX-2"))],
    ["user address limit", hex(L.userAddressLimit), cell(src(M.MEM + " (lower half is user; canonical 47-bit)"))],
  ]);

  const r = b.ring;
  blocks["ring"] = table(["item", "value", "source"], [
    ["SQ entries", String(r.sqEntries), cell(src(M.RING))],
    ["CQ entries", String(r.cqEntries), cell(src(M.RING))],
    ["`sizeof(CapSqe)`", String(r.sqeSize), cell(src(M.ABIPOL))],
    ["`sizeof(CapCqe)`", String(r.cqeSize), cell(src(M.ABIPOL))],
    ["header size", String(r.headerSize), cell(provRing)],
    ["SQ array offset", String(r.sqOffset), cell(provRing)],
    ["CQ array offset", String(r.cqOffset), cell(provRing)],
  ]);
  blocks["ring-header"] = table(FIELD_HEADER, fieldRows(r.header, prov("RING-5, RING-6 name sq_head/sq_tail/cq_tail; offsets chosen")));
  const sqeRows = [
    ...fieldRows(r.sqeCommon, provRing).map((row) => ["all", ...row]),
    ...Object.entries(r.sqeViews).flatMap(([op, view]) => fieldRows(view, provRing).map((row) => [op, ...row])),
  ];
  blocks["sqe"] = table(["opcode", ...FIELD_HEADER], sqeRows);
  blocks["cqe"] = table(FIELD_HEADER, fieldRows(r.cqe, prov("user_data from " + M.RING + ", result i32 from " + M.ERR + "; capId/interfaceId carry a result cap per " + M.MEM)));

  blocks["opcodes"] = table(["opcode", "value", "source"], Object.entries(b.opcodes).map(([name, v]) => [
    `\`${name.toUpperCase()}\``, String(v), cell(prov("opcodes exist per " + M.RING + "/" + M.PARK + "; values not retrieved")),
  ]));
  blocks["errors"] = table(["transport error", "value", "source"], Object.entries(b.transportErrors).map(([name, v]) => [
    `\`${name}\``, String(v),
    cell(name.startsWith("applicationException")
      ? prov("the status exists per " + M.ERR + "; value not retrieved")
      : prov("error class per " + M.ERR + "; value not retrieved")),
  ]));
  blocks["park"] = table(["item", "value", "source"], [
    ["park word size (bytes)", String(b.park.wordSize), cell(src(M.PARK))],
    ["park word alignment", String(b.park.wordAlign), cell(prov("PARKX-5; natural alignment as Linux/Zircon"))],
    ...Object.entries(b.park.results).map(([name, v]) => [`PARK result \`${name}\``, String(v), cell(prov("PARKX-3/4/6; result encoding not retrieved"))]),
    ["PARK timeout forever", hex(b.park.timeoutForever), cell(prov("PARKX-3, GO-7"))],
    ["PARK timeout 0", "poll: never blocks", cell(prov("PARKX-3, GO-7"))],
    ["UNPARK count meaning all", hex(b.park.unparkAll), cell(prov("PARKX-2"))],
    ["UNPARK count 0", "wakes nobody", cell(prov("PARKX-1"))],
  ]);
  blocks["vm"] = table(["item", "value", "source"], [
    ["`VM_PROT_NONE`", String(b.vm.prot.none), cell(src(M.MEM + " (name); value " + "PROVISIONAL (VMX-6)"))],
    ["`VM_PROT_READ`", String(b.vm.prot.read), cell(prov("VMX-6; POSIX PROT_READ value"))],
    ["`VM_PROT_WRITE`", String(b.vm.prot.write), cell(prov("VMX-6; POSIX PROT_WRITE value"))],
    ["`VM_PROT_EXEC`", String(b.vm.prot.exec), cell(prov("VMX-6; POSIX PROT_EXEC value"))],
    ["reserved-page quota", String(b.vm.reservedPageQuota), cell(prov("VMX-5; the ledger exists per " + M.MEM + ", limits not retrieved"))],
    ["committed-page quota", String(b.vm.committedPageQuota), cell(prov("VMX-5"))],
  ]);
  blocks["capid"] = table(["item", "value", "source"], [
    ["generation shift", String(b.capId.generationShift), cell(prov("RINGX-7; generation-tagged ids per " + M.CAPMODEL))],
    ["slot index mask", hex(b.capId.indexMask), cell(prov("RINGX-7"))],
    ["first generation", String(b.capId.firstGeneration), cell(prov("RINGX-7; so that id 0 is never valid"))],
  ]);
  blocks["capset"] = [
    table(["item", "value", "source"], [
      ["magic", `${hex(b.capSet.magic)} ("CAPS")`, cell(prov("PROCX-3"))],
      ["version", String(b.capSet.version), cell(prov("PROCX-3"))],
      ["header size", String(b.capSet.headerSize), cell(prov("PROCX-3"))],
      ["entry size", String(b.capSet.entrySize), cell(prov("PROCX-3"))],
      ["name length (NUL padded)", String(b.capSet.nameLength), cell(prov("PROCX-3"))],
    ]),
    "",
    "Header:",
    "",
    table(FIELD_HEADER, fieldRows(b.capSet.header, prov("PROCX-3"))),
    "",
    "Entry:",
    "",
    table(FIELD_HEADER, fieldRows(b.capSet.entry, prov("PROCX-3"))),
  ].join("\n");
  blocks["interfaces"] = table(["interface", "Cap'n Proto id", "methods (ordinal)", "source"], Object.entries(b.interfaces).map(([name, id]) => {
    const methods = Object.entries(b.methods[name as keyof typeof b.methods]).map(([m, o]) => `${m} @${o}`).join(", ") || "(marker)";
    const p = name === "Console" ? src(M.CAPMODEL + " (methods); id PROVISIONAL")
      : name === "VirtualMemory" ? src(M.CAPMODEL + " (map/unmap/protect @0..2); reserve/commit/decommit ordinals and id PROVISIONAL")
      : name === "ParkSpace" ? src(M.PARK + " (marker interface); id PROVISIONAL")
      : prov("interface named by the manual; signatures and id not retrieved");
    return [`\`${name}\``, hex(id), methods, cell(p)];
  }));
  blocks["exceptions"] = table(["ExceptionType", "value", "source"], Object.entries(b.exceptionTypes).map(([name, v]) => [
    `\`${name}\``, String(v),
    cell(name === "invalidArgument" ? src(M.ERR + " (capOS-only variant); value PROVISIONAL") : prov("Cap'n Proto RPC exception kinds; enumerants not retrieved")),
  ]));
  blocks["grants"] = table(["CapSet slot", "interface", "source"], b.defaultGrants.map((g, i) => [String(i), `\`${g}\``, cell(prov("the suite's test process grants"))]));
  return blocks;
}

/** Replace every generated block of `doc` with its rendering; unknown markers are an error. */
export function applyAbiTables(doc: string, b: Binding): string {
  const blocks = renderAbiTables(b);
  const seen = new Set<string>();
  const out = doc.replace(/<!-- BEGIN ([a-z-]+) -->\n[\s\S]*?<!-- END \1 -->/g, (_m, name: string) => {
    const body = blocks[name];
    if (body === undefined) throw new Error(`ABI.md has a block "${name}" the renderer does not know`);
    seen.add(name);
    return `<!-- BEGIN ${name} -->\n${body}\n<!-- END ${name} -->`;
  });
  const missing = Object.keys(blocks).filter((n) => !seen.has(n));
  if (missing.length > 0) throw new Error(`ABI.md lacks generated blocks: ${missing.join(", ")}`);
  return out;
}
