/**
 * What the model may assume about the agent binary, read from the image that runs: its
 * PT_LOAD segments (so accesses outside the VM window are judged, not guessed) and its
 * PT_TLS (so every thread pointer is held to max(p_align, tpMinAlign) and its block size).
 * A small ELF64 program-header reader of its own (the emulator and the model keep theirs).
 */
import type { AgentEnv, ImageSegment } from "../model/agent.js";

const PT_LOAD = 1;
const PT_TLS = 7;
const PF_W = 2;

/** The agent environment of `elf`; {} when the image has no readable program headers. */
export function agentEnvOf(elf: Uint8Array): AgentEnv {
  if (elf.length < 64 || elf[0] !== 0x7f || elf[1] !== 0x45 || elf[2] !== 0x4c || elf[3] !== 0x46) return {};
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const phoff = Number(v.getBigUint64(32, true));
  const phentsize = v.getUint16(54, true);
  const phnum = v.getUint16(56, true);
  if (phentsize < 56 || phoff + phnum * phentsize > elf.length) return {};
  const segments: ImageSegment[] = [];
  let ptTls: AgentEnv["ptTls"];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    const type = v.getUint32(at, true);
    const flags = v.getUint32(at + 4, true);
    const offset = Number(v.getBigUint64(at + 8, true));
    const vaddr = Number(v.getBigUint64(at + 16, true));
    const filesz = Number(v.getBigUint64(at + 32, true));
    const memsz = Number(v.getBigUint64(at + 40, true));
    const align = Number(v.getBigUint64(at + 48, true));
    if (type === PT_LOAD) segments.push({ vaddr, memsz, writable: (flags & PF_W) !== 0, bytes: elf.subarray(offset, Math.min(elf.length, offset + filesz)) });
    if (type === PT_TLS) ptTls = { vaddr, memsz, align };
  }
  return { segments, ...(ptTls ? { ptTls } : {}) };
}
