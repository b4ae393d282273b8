/**
 * The capability table of a process: slots with generations, and generation-tagged cap ids.
 *
 * @clause CAP-1 CAP-2 CAP-4 ERR-4 RINGX-7
 */
import { DEFAULT_BINDING, type Binding, type InterfaceName } from "../spec/binding.js";

export interface Slot {
  /** Generation the slot's next (or current) cap id carries. */
  readonly gen: number;
  /** The capability, or undefined for a free slot. */
  readonly iface?: InterfaceName;
}

export interface CapTable {
  readonly slots: readonly Slot[];
}

/** @clause RINGX-7: cap id = generation << generationShift | slot index. */
export function capId(gen: number, index: number, b: Binding = DEFAULT_BINDING): number {
  return ((gen << b.capId.generationShift) | index) >>> 0;
}

export function decodeCapId(id: number, b: Binding = DEFAULT_BINDING): { gen: number; index: number } {
  return { gen: id >>> b.capId.generationShift, index: id & b.capId.indexMask };
}

/** A fresh process's table: the default grants in slot order, all at the first generation (PROCX-3). */
export function initialTable(b: Binding = DEFAULT_BINDING, grants: readonly InterfaceName[] = b.defaultGrants): CapTable {
  return { slots: grants.map((iface) => ({ gen: b.capId.firstGeneration, iface })) };
}

/**
 * Insert a capability.
 * @clause RINGX-7: new caps take the lowest free slot.
 */
export function insert(t: CapTable, iface: InterfaceName, b: Binding = DEFAULT_BINDING): { table: CapTable; id: number } {
  const slots = t.slots.slice();
  let i = slots.findIndex((s) => s.iface === undefined);
  if (i < 0) {
    i = slots.length;
    slots.push({ gen: b.capId.firstGeneration });
  }
  if (i > b.capId.indexMask) throw new RangeError("capability table full");
  slots[i] = { gen: slots[i]!.gen, iface };
  return { table: { slots }, id: capId(slots[i]!.gen, i, b) };
}

/**
 * Look up a cap id.
 * @clause CAP-1 ERR-4: only a live slot with a matching generation names a capability;
 * anything else is the transport error invalidCap.
 */
export function lookup(t: CapTable, id: number, b: Binding = DEFAULT_BINDING): { ok: true; iface: InterfaceName; index: number } | { ok: false; error: "invalidCap" } {
  const { gen, index } = decodeCapId(id, b);
  const s = t.slots[index];
  if (!s || s.iface === undefined || s.gen !== gen) return { ok: false, error: "invalidCap" };
  return { ok: true, iface: s.iface, index };
}

/**
 * RELEASE.
 * @clause CAP-4 CAP-2 RINGX-7
 * Step 1 (CAP-1): the id must name a live cap, else invalidCap.
 * Step 2 (RINGX-7): the slot is freed and its generation bumped, so the old id is stale (CAP-2).
 * Decision: generations wrap within their bits and skip 0, so id 0 is never valid.
 */
export function release(t: CapTable, id: number, b: Binding = DEFAULT_BINDING): { ok: true; table: CapTable } | { ok: false; error: "invalidCap" } {
  const l = lookup(t, id, b);
  if (!l.ok) return l;
  const genMod = 2 ** (32 - b.capId.generationShift);
  let gen = (t.slots[l.index]!.gen + 1) % genMod;
  if (gen === 0) gen = 1;
  const slots = t.slots.slice();
  slots[l.index] = { gen };
  return { ok: true, table: { slots } };
}
