/**
 * Target programs: generated ABI files, the Rust target spec, committed ELFs (hashes, layout,
 * TLS, agent script slot) and reproducible rebuilds with whatever toolchains are installed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BINDING } from "../spec/binding.js";
import { SCRIPT_CAPACITY, SCRIPT_SECTION, SCRIPT_SYMBOL, OP, decodeScript, encodeScript } from "../spec/agent-protocol.js";
import { generateAll, methodLayouts, snake } from "./gen-abi.js";
import { PF_R, PF_W, PF_X, PT_LOAD, PT_TLS, ET_EXEC, EM_X86_64, SHT_PROGBITS, parseElf, section, symbol, fileOffsetOf } from "./elf-reader.js";
import { findScriptSlot, patchAgentScript, readAgentScript } from "./agent-patch.js";
import { manifestEntries, type ManifestEntry } from "./manifest.js";

const T = dirname(fileURLToPath(import.meta.url));
const ROOT = join(T, "..");
const B = DEFAULT_BINDING;

const manifest = { elfs: manifestEntries() };
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const readElf = (dir: string, name: string) => new Uint8Array(readFileSync(join(dir, name)));

function has(cmd: string, args: string[] = ["--version"]): boolean {
  return spawnSync(cmd, args, { stdio: "ignore" }).status === 0;
}
const HAVE = {
  gcc: has("gcc") && has("ld.bfd"),
  clang: has("clang") && has("ld.lld"),
  rust: has("rustc", ["+nightly", "--version"]),
};
const TOOLCHAIN_OF: Record<string, keyof typeof HAVE> = { "gcc+ld.bfd": "gcc", "clang+lld": "clang", "rustc+rust-lld": "rust" };
const MISSING: Record<keyof typeof HAVE, string> = { gcc: "gcc/GNU ld not installed", clang: "clang/lld not installed", rust: "rustc nightly not installed" };

describe("gen-abi", () => {
  it("regenerating from spec/binding.ts reproduces the committed files byte for byte", () => {
    for (const [rel, text] of Object.entries(generateAll())) {
      expect(readFileSync(join(T, rel), "utf8"), rel).toBe(text);
    }
  });

  it("the C header carries the binding's numbers (spot checks against the binding)", () => {
    const h = readFileSync(join(T, "rt/c/capos_abi.h"), "utf8");
    expect(h).toContain(`#define CAPOS_SYS_EXIT ${B.syscall.numbers.exit}\n`);
    expect(h).toContain(`#define CAPOS_SYS_CAP_ENTER ${B.syscall.numbers.capEnter}\n`);
    expect(h).toContain(`#define CAPOS_IID_CONSOLE 0x${B.interfaces.Console.toString(16)}ULL`);
    expect(h).toContain(`#define CAPOS_SQE_CALL_METHOD_ID ${B.ring.sqeViews.call.methodId!.offset} `);
    expect(h).toContain(`#define CAPOS_OP_PARK ${B.opcodes.park}\n`);
    expect(h).toContain(`"${B.syscall.clobbered[0]}"`);
    const rs = readFileSync(join(T, "rt/rust/capos_abi.rs"), "utf8");
    expect(rs).toContain(`pub const CQE_RESULT: usize = ${B.ring.cqe.result!.offset};`);
    expect(rs).toContain(`out("${B.syscall.clobbered[1]}") _`);
    const agentRs = readFileSync(join(T, "rt/rust/capos_agent.rs"), "utf8");
    expect(agentRs).toContain(`pub const AGENT_OP_TLS_ADDR: u8 = ${OP.TLS_ADDR};`);
    expect(agentRs).toContain(`$m! { "${SCRIPT_SECTION}", "${SCRIPT_SYMBOL}", "0x${SCRIPT_CAPACITY.toString(16)}" }`);
  });

  it("measures Cap'n Proto layouts that match the schema (Console.write: 0 data words, Data at pointer 0)", () => {
    const layouts = methodLayouts(B);
    const write = layouts.find((l) => l.iface === "Console" && l.method === "write")!;
    expect(write.params).toEqual({ dataWords: 0, pointerWords: 1, fields: [{ name: "data", kind: "pointer", offset: 0, type: "ptr" }] });
    const spawn = layouts.find((l) => l.iface === "ThreadSpawner" && l.method === "spawn")!;
    expect(spawn.params.fields.map((f) => [f.name, f.offset, f.type])).toEqual([
      ["entry", 0, "u64"],
      ["stackTop", 8, "u64"],
      ["arg", 16, "u64"],
      ["fsBase", 24, "u64"],
    ]);
    expect(spawn.results.fields).toEqual([{ name: "handleIndex", kind: "data", offset: 0, type: "u16" }]);
    expect(snake("fsBase")).toBe("FS_BASE");
    expect(snake("VirtualMemory")).toBe("VIRTUAL_MEMORY");
  });

  it("the linker script uses the binding's image base and stack limit", () => {
    const ld = readFileSync(join(T, "capos.ld"), "utf8");
    expect(ld).toContain(`. = 0x${B.layout.imageBase.toString(16)} + SIZEOF_HEADERS;`);
    expect(ld).toContain(`ASSERT(__image_end <= 0x${B.layout.userStackBase.toString(16)},`);
    expect(ld).toMatch(/text PT_LOAD FILEHDR PHDRS FLAGS\(5\);\s+data PT_LOAD FLAGS\(6\);\s+tls PT_TLS;/);
  });
});

describe("x86_64-unknown-capos.json", () => {
  const schemaPath = join(T, "fixtures", "target-spec-json-schema.json");
  const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as object;
  const spec = JSON.parse(readFileSync(join(T, "x86_64-unknown-capos.json"), "utf8")) as Record<string, unknown>;
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const range = (bits: number) => ({ type: "number" as const, validate: (x: number) => Number.isInteger(x) && x >= 0 && x < 2 ** bits });
  ajv.addFormat("uint16", range(16));
  ajv.addFormat("uint32", range(32));
  ajv.addFormat("uint64", range(64));
  const validate = ajv.compile(schema);

  it("validates against rustc's target-spec JSON schema (committed fixture)", () => {
    expect(validate(spec), JSON.stringify(validate.errors)).toBe(true);
  });

  it("has the capOS userspace properties", () => {
    expect(spec).toMatchObject({
      "llvm-target": "x86_64-unknown-none-elf",
      os: "capos",
      "relocation-model": "static",
      "position-independent-executables": false,
      "static-position-independent-executables": false,
      "code-model": "small",
      "tls-model": "local-exec",
      "has-thread-local": true,
      "panic-strategy": "abort",
      linker: "rust-lld",
      "linker-flavor": "gnu-lld",
    });
  });

  it("the validator rejects broken specs (unknown key, string pointer width, bad TLS model)", () => {
    expect(validate({ ...spec, "tls-modle": "local-exec" })).toBe(false);
    expect(validate({ ...spec, "target-pointer-width": "64" })).toBe(false);
    expect(validate({ ...spec, "tls-model": "bogus" })).toBe(false);
  });

  it("the schema fixture equals what the installed rustc nightly prints", (ctx) => {
    if (!HAVE.rust) ctx.skip(MISSING.rust);
    const printed = execFileSync("rustc", ["+nightly", "-Z", "unstable-options", "--print", "target-spec-json-schema"], { encoding: "utf8" });
    expect(JSON.parse(printed)).toEqual(schema);
  });

  it("rustc nightly accepts the target (target_os=capos, target_thread_local)", (ctx) => {
    if (!HAVE.rust) ctx.skip(MISSING.rust);
    const cfg = execFileSync("rustc", ["+nightly", "-Z", "unstable-options", "--target", join(T, "x86_64-unknown-capos.json"), "--print", "cfg"], {
      encoding: "utf8",
    });
    expect(cfg).toContain('target_os="capos"');
    expect(cfg).toContain("target_thread_local");
    expect(cfg).toContain('relocation_model="static"');
  });
});

describe("committed ELFs", () => {
  it("the manifest lists exactly the ELFs in targets/elf, every program built by three toolchains", () => {
    const files = readdirSync(join(T, "elf")).filter((f) => f !== "manifest.json").sort();
    expect(manifest.elfs.map((e) => e.name).sort()).toEqual(files);
    expect(new Set(manifest.elfs.map((e) => e.toolchain))).toEqual(new Set(["gcc+ld.bfd", "clang+lld", "rustc+rust-lld"]));
    for (const p of ["tls-probe", "fs-probe", "go-contract-probe", "agent"])
      expect(new Set(manifest.elfs.filter((e) => e.program === p).map((e) => e.toolchain)).size, p).toBeGreaterThanOrEqual(3);
    for (const e of manifest.elfs) expect(e.flags, e.name).not.toContain(ROOT);
  });

  describe.each(manifest.elfs.map((e) => [e.name, e] as const))("%s", (name, entry) => {
    const bytes = readElf(join(T, "elf"), name);
    const elf = parseElf(bytes);
    const loads = elf.phdrs.filter((p) => p.type === PT_LOAD);
    const tls = elf.phdrs.filter((p) => p.type === PT_TLS);

    it("matches its manifest hash and size", () => {
      expect(sha256(bytes)).toBe(entry.sha256);
      expect(bytes.length).toBe(entry.size);
    });

    it("is a static x86-64 ET_EXEC: text PT_LOAD R-X at imageBase with the headers, data PT_LOAD RW, one PT_TLS", () => {
      expect(elf.type).toBe(ET_EXEC);
      expect(elf.machine).toBe(EM_X86_64);
      expect(loads.length).toBe(2);
      const [text, data] = loads as [(typeof loads)[0], (typeof loads)[0]];
      expect(text.flags).toBe(PF_R | PF_X);
      expect(text.offset).toBe(0);
      expect(text.vaddr).toBe(B.layout.imageBase);
      expect(data.flags).toBe(PF_R | PF_W);
      expect(elf.entry).toBeGreaterThanOrEqual(text.vaddr);
      expect(elf.entry).toBeLessThan(text.vaddr + text.filesz);
      for (const p of loads) {
        expect(p.vaddr % B.pageSize).toBe(p.offset % B.pageSize);
        expect(p.filesz).toBeLessThanOrEqual(p.memsz);
        expect(p.vaddr + p.memsz).toBeLessThanOrEqual(B.layout.userStackBase);
      }
      expect(data.vaddr).toBeGreaterThanOrEqual(text.vaddr + text.memsz);
      expect(elf.phdrs.length).toBe(3);
      expect(tls.length).toBe(1);
      expect(elf.sections.some((s) => s.name === ".interp" || s.name === ".dynamic")).toBe(false);
    });

    it("has PT_TLS inside the data PT_LOAD with non-zero .tdata and a power-of-two alignment", () => {
      const t = tls[0]!;
      const data = loads[1]!;
      expect(t.vaddr).toBeGreaterThanOrEqual(data.vaddr);
      expect(t.vaddr + t.filesz).toBeLessThanOrEqual(data.vaddr + data.filesz);
      expect(t.offset - data.offset).toBe(t.vaddr - data.vaddr);
      expect(t.align & (t.align - 1)).toBe(0);
      expect(t.align).toBeLessThanOrEqual(B.pageSize);
      expect(t.memsz).toBeGreaterThan(t.filesz);
      const tdata = section(elf, ".tdata");
      expect(tdata?.addr).toBe(t.vaddr);
      expect(tdata?.size).toBe(t.filesz);
      expect(bytes.subarray(t.offset, t.offset + t.filesz).some((b) => b !== 0)).toBe(true);
      const sym = (n: string) => symbol(elf, n)?.value;
      expect(sym("__tls_image_start")).toBe(t.vaddr);
      expect(sym("__tls_filesz")).toBe(t.filesz);
      expect(sym("__tls_memsz")).toBe(t.memsz);
      expect(sym("__tls_align")).toBe(t.align);
    });

    if (entry.program === "tls-probe")
    it("over-aligned TLS (tls-probe): PT_TLS p_align is 256", () => {
      expect(tls[0]!.align).toBe(256);
    });

    if (entry.program === "agent")
    it("agent: the script slot is a zero-filled PROGBITS section in the RW PT_LOAD", () => {
      const sec = section(elf, SCRIPT_SECTION)!;
      expect(sec.type).toBe(SHT_PROGBITS);
      expect(sec.size).toBe(SCRIPT_CAPACITY);
      expect(symbol(elf, SCRIPT_SYMBOL)?.value).toBe(sec.addr);
      const slot = findScriptSlot(bytes);
      expect(slot.fileOffset).toBe(fileOffsetOf(elf, sec.addr));
      expect(loads[1]!.vaddr <= slot.vaddr && slot.vaddr + SCRIPT_CAPACITY <= loads[1]!.vaddr + loads[1]!.filesz).toBe(true);
      expect(readAgentScript(bytes).every((b) => b === 0)).toBe(true);
      const script = {
        threads: [
          [
            { kind: OP.MAP, dst: 1, a: 0n, b: 0x2000n, c: 3n },
            { kind: OP.STORE, base: 1, a: 8n, b: 8n, c: 0x1234n },
            { kind: OP.SPAWN, a: 1n },
            { kind: OP.JOIN, a: 1n },
          ],
          [{ kind: OP.TLS_READ, dst: 2, a: 0n }],
        ],
      };
      const patched = patchAgentScript(bytes, script);
      expect(patched.length).toBe(bytes.length);
      expect(decodeScript(readAgentScript(patched))).toEqual(decodeScript(encodeScript(script)));
      // only the slot changed
      const diff = [...patched].flatMap((b, i) => (b !== bytes[i] ? [i] : []));
      expect(Math.min(...diff)).toBeGreaterThanOrEqual(slot.fileOffset);
      expect(Math.max(...diff)).toBeLessThan(slot.fileOffset + SCRIPT_CAPACITY);
      expect(() => patchAgentScript(bytes, new Uint8Array(SCRIPT_CAPACITY + 1))).toThrow();
    });
  });
});

/** Rebuild with build.sh into a fresh directory and compare with the committed ELFs. */
function rebuildCase(label: string, prepare: () => { script: string; out: string; cleanup: string; manifestDir: string }) {
  describe(label, () => {
    let out = "";
    let cleanup = "";
    let manifestDir = "";
    let built: ManifestEntry[] = [];
    beforeAll(() => {
      if (!HAVE.gcc && !HAVE.clang && !HAVE.rust) return;
      const p = prepare();
      out = p.out;
      cleanup = p.cleanup;
      manifestDir = p.manifestDir;
      execFileSync("sh", [p.script, out], { env: { ...process.env, CAPOS_NO_APT: "1" }, stdio: ["ignore", "ignore", "pipe"] });
      built = manifestEntries(out);
    }, 300_000);
    afterAll(() => {
      if (cleanup) rmSync(cleanup, { recursive: true, force: true });
    });
    for (const tc of ["gcc", "clang", "rust"] as const) {
      it(`${tc}: rebuilt ELFs are byte-identical to the committed ones`, (ctx) => {
        if (!HAVE[tc]) ctx.skip(MISSING[tc]);
        const want = manifestEntries(manifestDir).filter(
          (e) => TOOLCHAIN_OF[e.toolchain] === tc,
        );
        expect(want.length).toBeGreaterThan(0);
        for (const e of want) {
          const got = built.find((b) => b.name === e.name);
          expect(got, e.name).toBeDefined();
          expect(sha256(readElf(out, e.name)), e.name).toBe(e.sha256);
          expect(got, e.name).toEqual(e);
        }
      });
    }
  });
}

rebuildCase("rebuild of the working tree into a temp dir", () => {
  const out = mkdtempSync(join(tmpdir(), "capos-elf-"));
  return { script: join(T, "build.sh"), out, cleanup: out, manifestDir: join(T, "elf") };
});

rebuildCase("git clone to another path + build.sh", () => {
  const dir = mkdtempSync(join(tmpdir(), "capos-clone-"));
  const clone = join(dir, "some", "other path");
  execFileSync("git", ["clone", "-q", "--no-hardlinks", ROOT, clone], { stdio: "ignore" });
  return { script: join(clone, "targets", "build.sh"), out: join(dir, "out"), cleanup: dir, manifestDir: join(clone, "targets", "elf") };
});
