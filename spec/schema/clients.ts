/**
 * The capnp-es interface clients of spec/schema/capos.capnp, by interface name: the one
 * table from which the binding takes interface ids and method ordinals and the target
 * generator takes params/results layouts.
 */
import * as gen from "./gen/capos.js";

export const INTERFACE_NAMES = [
  "Console",
  "VirtualMemory",
  "ParkSpace",
  "ThreadSpawner",
  "ThreadHandle",
  "ThreadControl",
  "Timer",
  "MemoryObject",
] as const;
export type InterfaceName = (typeof INTERFACE_NAMES)[number];

export interface SchemaClient {
  readonly interfaceId: bigint;
  readonly methods: readonly { readonly methodId: number; readonly methodName?: string; readonly ParamsClass: unknown; readonly ResultsClass: unknown }[];
}

export const SCHEMA_CLIENTS: Readonly<Record<InterfaceName, SchemaClient>> = {
  Console: gen.Console$Client,
  VirtualMemory: gen.VirtualMemory$Client,
  ParkSpace: gen.ParkSpace$Client,
  ThreadSpawner: gen.ThreadSpawner$Client,
  ThreadHandle: gen.ThreadHandle$Client,
  ThreadControl: gen.ThreadControl$Client,
  Timer: gen.Timer$Client,
  MemoryObject: gen.MemoryObject$Client,
};
