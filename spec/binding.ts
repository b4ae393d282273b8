/**
 * The binding: every number of the capOS userspace ABI that capos-conform uses, as data.
 *
 * This is the only place the numbers live. `spec/ABI.md` explains each one and gives its
 * source, or marks it PROVISIONAL with the reason for the choice. An implementation with
 * different numbers brings its own binding file (`--binding file.json`, validated against
 * `spec/binding.schema.json` by `loadBindingFile`), and the model, the emulator, the
 * generated C/Rust headers and the properties all follow it.
 *
 * 64-bit values that may exceed 2^53 are bigint here and hex strings in JSON files.
 * Addresses are plain numbers: user addresses are below 2^47.
 */
import * as schema from "./schema/gen/capos.js";
import { INTERFACE_NAMES, SCHEMA_CLIENTS, type InterfaceName } from "./schema/clients.js";

/** Width of a field in the ring page, the SQE, the CQE or the CapSet page. */
export type FieldType = "u8" | "u16" | "u32" | "u64" | "i32";

export interface Field {
  readonly offset: number;
  readonly type: FieldType;
}

export type FieldTable = Readonly<Record<string, Field>>;

export const FIELD_SIZE: Readonly<Record<FieldType, number>> = { u8: 1, u16: 2, u32: 4, u64: 8, i32: 4 };

export type GpRegister =
  | "rax" | "rbx" | "rcx" | "rdx" | "rsi" | "rdi" | "rbp" | "rsp"
  | "r8" | "r9" | "r10" | "r11" | "r12" | "r13" | "r14" | "r15";

export interface Binding {
  /** Who this binding describes, e.g. "capos-conform default". */
  readonly id: string;
  readonly abiVersion: string;
  readonly pageSize: number;
  readonly syscall: {
    readonly numberRegister: GpRegister;
    readonly argRegisters: readonly GpRegister[];
    readonly returnRegister: GpRegister;
    readonly clobbered: readonly GpRegister[];
    readonly numbers: { readonly exit: number; readonly capEnter: number };
    /** Negative RAX values returned by a rejected syscall. */
    readonly errors: { readonly noSys: number; readonly invalid: number };
    readonly capEnterWaitForever: bigint;
  };
  readonly entry: {
    readonly ring: GpRegister;
    readonly pid: GpRegister;
    readonly capSet: GpRegister;
    /** Register holding the spawn argument at a new thread's entry (its ring is in `ring`). */
    readonly threadArg: GpRegister;
  };
  readonly layout: {
    readonly imageBase: number;
    readonly userStackBase: number;
    readonly userStackSize: number;
    readonly ringVaddr: number;
    readonly capSetVaddr: number;
    /** The initial thread's TLS area ends at `ringVaddr` and is this many bytes long. */
    readonly tlsAreaSize: number;
    /** Bytes reserved at the thread pointer for the TCB; word 0 is the self-pointer. */
    readonly tcbSize: number;
    /** The thread pointer is aligned to max(PT_TLS p_align, tpMinAlign). */
    readonly tpMinAlign: number;
    /** Rings of spawned threads: slot k (k >= 0) is at threadRingBase + k * pageSize. */
    readonly threadRingBase: number;
    readonly maxThreads: number;
    /** VirtualMemory places mappings inside [vmWindowBase, vmWindowEnd). */
    readonly vmWindowBase: number;
    readonly vmWindowEnd: number;
    /** First address that is never a user address (the canonical lower half ends here). */
    readonly userAddressLimit: number;
  };
  readonly ring: {
    readonly header: FieldTable;
    readonly headerSize: number;
    readonly sqOffset: number;
    readonly sqEntries: number;
    readonly cqOffset: number;
    readonly cqEntries: number;
    readonly sqeSize: number;
    readonly cqeSize: number;
    /** Fields every SQE has, whatever its opcode. */
    readonly sqeCommon: FieldTable;
    /** Opcode-specific fields, overlaid on the bytes after the common ones. */
    readonly sqeViews: Readonly<Record<OpcodeName, FieldTable>>;
    readonly cqe: FieldTable;
  };
  readonly opcodes: Readonly<Record<OpcodeName, number>>;
  readonly transportErrors: Readonly<Record<TransportErrorName, number>>;
  readonly park: {
    readonly wordSize: number;
    readonly wordAlign: number;
    readonly results: { readonly woken: number; readonly mismatch: number; readonly timedOut: number; readonly drained: number };
    readonly timeoutForever: bigint;
    readonly unparkAll: number;
  };
  readonly vm: {
    readonly prot: { readonly none: number; readonly read: number; readonly write: number; readonly exec: number };
    readonly reservedPageQuota: number;
    readonly committedPageQuota: number;
  };
  readonly capId: {
    /** cap id = generation << generationShift | slot index. */
    readonly generationShift: number;
    readonly indexMask: number;
    readonly firstGeneration: number;
  };
  readonly capSet: {
    readonly magic: number;
    readonly version: number;
    readonly header: FieldTable;
    readonly headerSize: number;
    readonly entry: FieldTable;
    readonly entrySize: number;
    readonly nameLength: number;
  };
  /** Cap'n Proto interface IDs, keyed by interface name. */
  readonly interfaces: Readonly<Record<InterfaceName, bigint>>;
  /** Method ordinals, keyed by interface then method name. */
  readonly methods: Readonly<Record<InterfaceName, Readonly<Record<string, number>>>>;
  /** CapException types keyed by their schema names (`invalidArgument`). */
  readonly exceptionTypes: Readonly<Record<string, number>>;
  /** The CapSet a test process gets by default, in slot order. */
  readonly defaultGrants: readonly InterfaceName[];
}

export const OPCODE_NAMES = ["nop", "call", "recv", "return", "release", "park", "unpark"] as const;
export type OpcodeName = (typeof OPCODE_NAMES)[number];

export const TRANSPORT_ERROR_NAMES = [
  "invalidOpcode",
  "invalidCap",
  "invalidBuffer",
  "invalidSqe",
  "badMessage",
  "resultTooSmall",
  "applicationException",
  "applicationExceptionTruncated",
  "ringCorrupt",
  "wrongInterface",
] as const;
export type TransportErrorName = (typeof TRANSPORT_ERROR_NAMES)[number];

export { INTERFACE_NAMES, type InterfaceName } from "./schema/clients.js";

function interfacesFromSchema(): Record<InterfaceName, bigint> {
  const out = {} as Record<InterfaceName, bigint>;
  for (const name of INTERFACE_NAMES) out[name] = SCHEMA_CLIENTS[name].interfaceId;
  return out;
}

function methodsFromSchema(): Record<InterfaceName, Record<string, number>> {
  const out = {} as Record<InterfaceName, Record<string, number>>;
  for (const name of INTERFACE_NAMES) {
    const table: Record<string, number> = {};
    for (const m of SCHEMA_CLIENTS[name].methods) table[m.methodName ?? `method${m.methodId}`] = m.methodId;
    out[name] = table;
  }
  return out;
}

/** ExceptionType enumerants under their schema names (capnp-es spells them INVALID_ARGUMENT). */
function exceptionTypesFromSchema(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(schema.ExceptionType))
    out[name.toLowerCase().replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = value;
  return out;
}

const u64Max = (1n << 64n) - 1n;

/**
 * The default binding. Facts from the capOS manual carry its value; everything else is
 * a PROVISIONAL choice explained in spec/ABI.md.
 */
export const DEFAULT_BINDING: Binding = {
  id: "capos-conform default",
  abiVersion: "0.1.0",
  pageSize: 4096,
  syscall: {
    numberRegister: "rax",
    argRegisters: ["rdi", "rsi", "rdx", "r10", "r8", "r9"],
    returnRegister: "rax",
    clobbered: ["rcx", "r11"],
    numbers: { exit: 1, capEnter: 2 },
    errors: { noSys: -38, invalid: -22 },
    capEnterWaitForever: u64Max,
  },
  entry: { ring: "rdi", pid: "rsi", capSet: "rdx", threadArg: "rsi" },
  layout: {
    imageBase: 0x20_0000,
    userStackBase: 0x100_0000,
    userStackSize: 0x4_0000,
    ringVaddr: 0x7fff_fff0_0000,
    capSetVaddr: 0x7fff_fff0_1000,
    tlsAreaSize: 0x10_0000,
    tcbSize: 64,
    tpMinAlign: 16,
    threadRingBase: 0x7fff_ff00_0000,
    maxThreads: 64,
    vmWindowBase: 0x1_0000_0000,
    vmWindowEnd: 0x7000_0000_0000,
    userAddressLimit: 0x8000_0000_0000,
  },
  ring: {
    header: {
      sqHead: { offset: 0, type: "u32" },
      sqTail: { offset: 4, type: "u32" },
      cqHead: { offset: 8, type: "u32" },
      cqTail: { offset: 12, type: "u32" },
      sqMask: { offset: 16, type: "u32" },
      cqMask: { offset: 20, type: "u32" },
      sqEntries: { offset: 24, type: "u32" },
      cqEntries: { offset: 28, type: "u32" },
      cqOverflow: { offset: 32, type: "u32" },
      flags: { offset: 36, type: "u32" },
    },
    headerSize: 64,
    sqOffset: 64,
    sqEntries: 16,
    cqOffset: 64 + 16 * 64,
    cqEntries: 32,
    sqeSize: 64,
    cqeSize: 32,
    sqeCommon: {
      opcode: { offset: 0, type: "u8" },
      flags: { offset: 1, type: "u8" },
      reserved0: { offset: 2, type: "u16" },
      capId: { offset: 4, type: "u32" },
      userData: { offset: 8, type: "u64" },
    },
    sqeViews: {
      nop: {},
      call: {
        addr: { offset: 16, type: "u64" },
        len: { offset: 24, type: "u32" },
        methodId: { offset: 28, type: "u16" },
        xferCapCount: { offset: 30, type: "u16" },
        resultAddr: { offset: 32, type: "u64" },
        resultLen: { offset: 40, type: "u32" },
        callId: { offset: 44, type: "u32" },
        pipelineDep: { offset: 48, type: "u32" },
        pipelineField: { offset: 52, type: "u16" },
      },
      recv: {
        resultAddr: { offset: 32, type: "u64" },
        resultLen: { offset: 40, type: "u32" },
      },
      return: {
        addr: { offset: 16, type: "u64" },
        len: { offset: 24, type: "u32" },
        callId: { offset: 44, type: "u32" },
      },
      release: {},
      park: {
        addr: { offset: 16, type: "u64" },
        expected: { offset: 24, type: "u32" },
        timeoutNs: { offset: 32, type: "u64" },
      },
      unpark: {
        addr: { offset: 16, type: "u64" },
        count: { offset: 24, type: "u32" },
      },
    },
    cqe: {
      userData: { offset: 0, type: "u64" },
      result: { offset: 8, type: "i32" },
      flags: { offset: 12, type: "u32" },
      capId: { offset: 16, type: "u32" },
      reserved: { offset: 20, type: "u32" },
      interfaceId: { offset: 24, type: "u64" },
    },
  },
  opcodes: { nop: 0, call: 1, recv: 2, return: 3, release: 4, park: 5, unpark: 6 },
  transportErrors: {
    invalidOpcode: -1,
    invalidCap: -2,
    invalidBuffer: -3,
    invalidSqe: -4,
    badMessage: -5,
    resultTooSmall: -6,
    applicationException: -7,
    applicationExceptionTruncated: -8,
    ringCorrupt: -9,
    wrongInterface: -10,
  },
  park: {
    wordSize: 4,
    wordAlign: 4,
    results: { woken: 0, mismatch: 1, timedOut: 2, drained: 3 },
    timeoutForever: u64Max,
    unparkAll: 0xffff_ffff,
  },
  vm: {
    prot: { none: 0, read: 1, write: 2, exec: 4 },
    reservedPageQuota: 65536,
    committedPageQuota: 4096,
  },
  capId: { generationShift: 16, indexMask: 0xffff, firstGeneration: 1 },
  capSet: {
    magic: 0x5350_4143, // "CAPS" little-endian
    version: 1,
    header: {
      magic: { offset: 0, type: "u32" },
      version: { offset: 4, type: "u16" },
      count: { offset: 6, type: "u16" },
      reserved: { offset: 8, type: "u64" },
    },
    headerSize: 16,
    entry: {
      capId: { offset: 0, type: "u32" },
      reserved: { offset: 4, type: "u32" },
      interfaceId: { offset: 8, type: "u64" },
      name: { offset: 16, type: "u8" },
    },
    entrySize: 32,
    nameLength: 16,
  },
  interfaces: interfacesFromSchema(),
  methods: methodsFromSchema(),
  exceptionTypes: exceptionTypesFromSchema(),
  defaultGrants: ["Console", "VirtualMemory", "ParkSpace", "ThreadSpawner", "ThreadControl", "Timer"],
};

/** Cap id of the grant in CapSet slot `index` of a fresh process. */
export function initialCapId(b: Binding, index: number): number {
  return ((b.capId.firstGeneration << b.capId.generationShift) | index) >>> 0;
}

/** Byte offset of SQ entry `slot` within the ring page. */
export function sqeOffset(b: Binding, slot: number): number {
  return b.ring.sqOffset + (slot % b.ring.sqEntries) * b.ring.sqeSize;
}

/** Byte offset of CQ entry `slot` within the ring page. */
export function cqeOffset(b: Binding, slot: number): number {
  return b.ring.cqOffset + (slot % b.ring.cqEntries) * b.ring.cqeSize;
}
