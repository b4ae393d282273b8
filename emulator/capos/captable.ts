/**
 * The capability table of the process (RINGX-7): slots with generations, and
 * generation-tagged cap ids `(generation << generationShift) | slot`. A released slot's
 * generation moves on (wrapping to firstGeneration), so stale ids stop resolving.
 */
import type { Binding, InterfaceName } from "../../spec/binding.js";
import type { Thread } from "./threads.js";

/** What a capability designates: its interface and, for ThreadHandle, the thread. */
export interface CapObject {
  readonly iface: InterfaceName;
  readonly thread?: Thread;
}

export interface CapRef {
  readonly slot: number;
  readonly obj: CapObject;
}

export class CapTable {
  private readonly slots: { gen: number; obj: CapObject | null }[] = [];
  constructor(private readonly capId: Binding["capId"]) {}

  /** The cap id naming `slot` now. */
  idOf(slot: number): number {
    return ((this.slots[slot]!.gen << this.capId.generationShift) | slot) >>> 0;
  }

  /** Install `obj` in the lowest free slot; -1 when the table is full. */
  add(obj: CapObject): number {
    let slot = this.slots.findIndex((s) => s.obj === null);
    if (slot < 0) {
      slot = this.slots.length;
      if (slot > this.capId.indexMask) return -1;
      this.slots.push({ gen: this.capId.firstGeneration, obj });
    } else this.slots[slot]!.obj = obj;
    return slot;
  }

  /** Replace what `slot` designates (the slot stays live with the same id). */
  set(slot: number, obj: CapObject): void {
    this.slots[slot]!.obj = obj;
  }

  lookup(id: number): CapRef | null {
    const slot = id & this.capId.indexMask;
    const g = id >>> this.capId.generationShift;
    const s = this.slots[slot];
    if (!s || !s.obj || s.gen !== g) return null;
    return { slot, obj: s.obj };
  }

  /** `keepGeneration` is the release-no-generation-bump mutant. */
  release(slot: number, keepGeneration = false): void {
    const s = this.slots[slot]!;
    s.obj = null;
    if (keepGeneration) return; // MUTANT release-no-generation-bump
    const maxGen = 2 ** (32 - this.capId.generationShift) - 1;
    s.gen = s.gen >= maxGen ? this.capId.firstGeneration : s.gen + 1;
  }
}
