/**
 * The agent ELF and the patching of an op script into its `.capos_script` section.
 *
 * The section is found through the ELF section headers (the runner's own small reader; the
 * emulator and the model keep theirs separate). Patching writes the encoded script at the
 * section's file offset and zero-fills the rest, so one committed binary serves every case.
 */
import { createHash } from "node:crypto";
import { InputFileError, readInputFile } from "../spec/input-file.js";
import { SCRIPT_SECTION, encodedScriptSize, writeScript, type Script } from "../spec/agent-protocol.js";

export class AgentImageError extends Error {
  override readonly name = "AgentImageError";
}

export interface AgentImage {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  readonly scriptOffset: number;
  readonly scriptSize: number;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** File offset and size of a named section. */
export function findSection(elf: Uint8Array, name: string): { offset: number; size: number } {
  const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (elf.length < 64 || v.getUint32(0, false) !== 0x7f454c46) throw new AgentImageError("not an ELF file");
  const shoff = Number(v.getBigUint64(40, true));
  const shentsize = v.getUint16(58, true);
  const shnum = v.getUint16(60, true);
  const shstrndx = v.getUint16(62, true);
  if (shoff === 0 || shoff + shnum * shentsize > elf.length || shstrndx >= shnum) throw new AgentImageError("no usable section headers");
  const sh = (i: number) => shoff + i * shentsize;
  const strOff = Number(v.getBigUint64(sh(shstrndx) + 24, true));
  const decoder = new TextDecoder();
  for (let i = 0; i < shnum; i++) {
    const nameOff = strOff + v.getUint32(sh(i), true);
    let end = nameOff;
    while (end < elf.length && elf[end] !== 0) end++;
    if (decoder.decode(elf.subarray(nameOff, end)) === name) {
      const offset = Number(v.getBigUint64(sh(i) + 24, true));
      const size = Number(v.getBigUint64(sh(i) + 32, true));
      if (offset + size > elf.length) throw new AgentImageError(`section ${name} runs past the file`);
      return { offset, size };
    }
  }
  throw new AgentImageError(`no ${name} section`);
}

/** The agent at `path`; a file that cannot be read or is no agent is an AgentImageError naming it. */
export function loadAgentImage(path: string, name = path): AgentImage {
  let bytes: Uint8Array;
  let section: { offset: number; size: number };
  try {
    bytes = readInputFile(path);
    section = findSection(bytes, SCRIPT_SECTION);
  } catch (e) {
    if (e instanceof InputFileError) throw new AgentImageError(`agent image ${e.message}`);
    if (e instanceof AgentImageError) throw new AgentImageError(`agent image ${path}: ${e.message}`);
    throw e;
  }
  const { offset, size } = section;
  return { name, bytes, sha256: sha256(bytes), scriptOffset: offset, scriptSize: size };
}

/** A copy of the agent image with `script` in its script section. */
export function patchScript(agent: AgentImage, script: Script): Uint8Array {
  const size = encodedScriptSize(script);
  if (size > agent.scriptSize) throw new AgentImageError(`script of ${size} bytes exceeds the ${agent.scriptSize}-byte section`);
  const out = agent.bytes.slice();
  out.fill(0, agent.scriptOffset, agent.scriptOffset + agent.scriptSize);
  writeScript(script, new DataView(out.buffer, out.byteOffset, out.byteLength), agent.scriptOffset);
  return out;
}

/** A patched image on loan (see leasePatchedImage): `bytes` is valid until `release()`. */
export interface ImageLease {
  readonly bytes: Uint8Array;
  release(): void;
}

/** One reusable patched copy per agent image, and how much of its section the last script used. */
interface Scratch {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  used: number;
  busy: boolean;
}
const scratches = new WeakMap<AgentImage, Scratch>();

/**
 * The same bytes as patchScript(agent, script), written into one scratch copy of the agent
 * that is reused case after case: only the previous script's bytes are cleared. A fresh
 * ~80 KB copy per case (allocation, zeroing, and the garbage collection it caused) was the
 * largest single cost of running an agent case outside the implementation and the checker.
 * The holder must not use `bytes` after release(); a lease taken while the scratch is out
 * (overlapping cases) gets a private copy instead.
 */
export function leasePatchedImage(agent: AgentImage, script: Script): ImageLease {
  let s = scratches.get(agent);
  if (s?.busy) return { bytes: patchScript(agent, script), release() {} };
  const size = encodedScriptSize(script);
  if (size > agent.scriptSize) throw new AgentImageError(`script of ${size} bytes exceeds the ${agent.scriptSize}-byte section`);
  if (!s) {
    const bytes = agent.bytes.slice();
    bytes.fill(0, agent.scriptOffset, agent.scriptOffset + agent.scriptSize);
    s = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), used: 0, busy: false };
    scratches.set(agent, s);
  }
  s.bytes.fill(0, agent.scriptOffset, agent.scriptOffset + Math.max(s.used, size));
  // Counted before writing: a script refused half-way (unknown op) leaves bytes to clear too.
  s.used = size;
  writeScript(script, s.view, agent.scriptOffset);
  s.busy = true;
  const lease = s;
  return {
    bytes: s.bytes,
    release() {
      lease.busy = false;
    },
  };
}
