/**
 * The method table: every implemented capability method, by "Interface.method". A CALL to a
 * method the binding names but this table lacks fails `unimplemented`.
 */
import type { Method } from "./method.js";
import * as console from "./console.js";
import * as threads from "./threads.js";
import * as timer from "./timer.js";
import * as vm from "./virtual-memory.js";

export const METHODS: Readonly<Record<string, Method>> = {
  "Console.write": console.write,
  "Console.writeLine": console.writeLine,
  "VirtualMemory.map": vm.map,
  "VirtualMemory.reserve": vm.reserve,
  "VirtualMemory.unmap": vm.release,
  "VirtualMemory.decommit": vm.release,
  "VirtualMemory.protect": vm.setProtection,
  "VirtualMemory.commit": vm.setProtection,
  "ThreadSpawner.spawn": threads.spawn,
  "ThreadHandle.join": threads.join,
  "ThreadControl.setFsBase": threads.setFsBase,
  "ThreadControl.getFsBase": threads.getFsBase,
  "ThreadControl.exit": threads.exit,
  "Timer.now": timer.now,
  "Timer.sleep": timer.sleep,
};

export type { Call, Method, Outcome } from "./method.js";
