/** Every conformance property, by clause group. */
import type { ConformanceProperty } from "./property.js";
import { fsPerThread, parkDrain, parkRaces, timerMonotonic, vmEdgeArguments, vmModelBased, vmSequences } from "./scripts.js";
import { callErrors } from "./calls.js";
import { elfRejects } from "./elf.js";
import { entryState } from "./entry.js";
import { realProbes } from "./probes.js";
import { ringBackpressure, ringHostile } from "./ring.js";
import { capReleaseReuse, ringCompletionPressure } from "./ring-scripts.js";
import { syscallsUnknown } from "./syscalls.js";
import { tlsGeneratedLayouts } from "./tls.js";

export const ALL_PROPERTIES: readonly ConformanceProperty[] = [
  tlsGeneratedLayouts,
  realProbes,
  fsPerThread,
  vmSequences,
  vmModelBased,
  vmEdgeArguments,
  parkRaces,
  parkDrain,
  timerMonotonic,
  ringHostile,
  ringBackpressure,
  ringCompletionPressure,
  capReleaseReuse,
  callErrors,
  syscallsUnknown,
  elfRejects,
  entryState,
];
