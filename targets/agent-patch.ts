/**
 * Patch an op script into a built agent ELF (no rebuild per case).
 *
 * The agent reserves SCRIPT_CAPACITY zero bytes at the symbol SCRIPT_SYMBOL ("capos_script"),
 * which is the whole SHT_PROGBITS section SCRIPT_SECTION (".capos_script") inside the RW data
 * PT_LOAD. The script bytes go at the file offset of that symbol; the rest stays zero.
 */
import type { Script } from "../spec/agent-protocol.js";
import { SCRIPT_CAPACITY, SCRIPT_SECTION, SCRIPT_SYMBOL, encodeScript } from "../spec/agent-protocol.js";
import { ElfError, SHT_PROGBITS, fileOffsetOf, parseElf, section, symbol } from "./elf-reader.js";

export interface ScriptSlot {
  /** File offset of the first script byte. */
  readonly fileOffset: number;
  /** Virtual address of the first script byte. */
  readonly vaddr: number;
  readonly capacity: number;
}

/** Locate the agent's script slot, checking that section, symbol and PT_LOAD agree. */
export function findScriptSlot(elfBytes: Uint8Array): ScriptSlot {
  const elf = parseElf(elfBytes);
  const sec = section(elf, SCRIPT_SECTION);
  const sym = symbol(elf, SCRIPT_SYMBOL);
  if (!sec || sec.type !== SHT_PROGBITS) throw new ElfError(`no PROGBITS section ${SCRIPT_SECTION}`);
  if (!sym) throw new ElfError(`no symbol ${SCRIPT_SYMBOL}`);
  if (sym.value !== sec.addr || sec.size < SCRIPT_CAPACITY || sym.size !== SCRIPT_CAPACITY)
    throw new ElfError(`${SCRIPT_SYMBOL} does not cover ${SCRIPT_SECTION} (${SCRIPT_CAPACITY} bytes)`);
  const fileOffset = fileOffsetOf(elf, sym.value, SCRIPT_CAPACITY);
  if (fileOffset !== sec.offset) throw new ElfError("section offset and PT_LOAD mapping disagree");
  return { fileOffset, vaddr: sym.value, capacity: SCRIPT_CAPACITY };
}

/** A copy of the agent ELF with `script` in its script slot (rest of the slot zeroed). */
export function patchAgentScript(elfBytes: Uint8Array, script: Script | Uint8Array): Uint8Array {
  const slot = findScriptSlot(elfBytes);
  const bytes = script instanceof Uint8Array ? script : encodeScript(script);
  if (bytes.length > slot.capacity) throw new ElfError(`script of ${bytes.length} bytes exceeds ${slot.capacity}`);
  const out = new Uint8Array(elfBytes);
  out.fill(0, slot.fileOffset, slot.fileOffset + slot.capacity);
  out.set(bytes, slot.fileOffset);
  return out;
}

/** The script bytes currently in an agent ELF's slot. */
export function readAgentScript(elfBytes: Uint8Array): Uint8Array {
  const slot = findScriptSlot(elfBytes);
  return elfBytes.slice(slot.fileOffset, slot.fileOffset + slot.capacity);
}
