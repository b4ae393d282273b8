/**
 * What the model may assume about the agent binary, read from the image that runs: its
 * PT_LOAD segments (so accesses outside the VM window are judged, not guessed) and its
 * PT_TLS (so every thread pointer is held to max(p_align, tpMinAlign) and its block size).
 * A small ELF64 program-header reader of its own (the emulator and the model keep theirs).
 */
import type { AgentEnv, ImageSegment } from "../model/agent.js";
import type { ProgramHeader } from "../targets/elf-reader.js";

const PT_LOAD = 1;
const PT_TLS = 7;
const PF_W = 2;

/**
 * The environment by image object. An agent case runs the same (leased) buffer every time
 * with only its script section rewritten (generators/agent-image.ts), so its headers are read
 * once and its environment is the same object case after case: the segments' bytes are views
 * of the image, which read the bytes as they are when the model reads them, and the model
 * keeps what it derives from an environment (model/agent.ts `processMemory`) with that object.
 */
const envOf = new WeakMap<Uint8Array, AgentEnv>();

/** The agent environment of `elf`; {} when the image has no readable program headers. An image's program headers must not change once read (its other bytes may). */
export function agentEnvOf(elf: Uint8Array): AgentEnv {
  let env = envOf.get(elf);
  if (env === undefined) envOf.set(elf, (env = readEnv(elf)));
  return env;
}

function readEnv(elf: Uint8Array): AgentEnv {
  const headers = readProgramHeaders(elf);
  if (headers === null) return {};
  const segments: ImageSegment[] = [];
  let ptTls: AgentEnv["ptTls"];
  for (const h of headers) {
    if (h.type === PT_LOAD) segments.push({ vaddr: h.vaddr, memsz: h.memsz, writable: (h.flags & PF_W) !== 0, bytes: elf.subarray(h.offset, Math.min(elf.length, h.offset + h.filesz)) });
    if (h.type === PT_TLS) ptTls = { vaddr: h.vaddr, memsz: h.memsz, align: h.align };
  }
  return { segments, ...(ptTls ? { ptTls } : {}) };
}

function readProgramHeaders(elf: Uint8Array): ProgramHeader[] | null {
  if (elf.length < 64 || elf[0] !== 0x7f || elf[1] !== 0x45 || elf[2] !== 0x4c || elf[3] !== 0x46) return null;
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const phoff = Number(v.getBigUint64(32, true));
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  if (phentsize < 56 || phoff + phnum * phentsize > elf.length) return null;
  const out: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    out.push({
      type: v.getUint32(at, true),
      flags: v.getUint32(at + 4, true),
      offset: Number(v.getBigUint64(at + 8, true)),
      vaddr: Number(v.getBigUint64(at + 16, true)),
      filesz: Number(v.getBigUint64(at + 32, true)),
      memsz: Number(v.getBigUint64(at + 40, true)),
      align: Number(v.getBigUint64(at + 48, true)),
    });
  }
  return out;
}
