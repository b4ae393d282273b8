import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING, FIELD_SIZE, type FieldTable } from "../binding.js";
import { bindingLayoutProblems } from "../binding-checks.js";
import { BindingError, bindingToJson, loadBindingFile, parseBinding } from "../binding-file.js";

const B = DEFAULT_BINDING;

/** Mark every byte a field covers; the oracle for "no overlap" is this byte map, not binding-checks. */
function byteOwners(size: number, ...tables: FieldTable[]): (string | undefined)[] {
  const owners: (string | undefined)[] = new Array(size).fill(undefined);
  for (const t of tables)
    for (const [name, f] of Object.entries(t))
      for (let i = f.offset; i < f.offset + FIELD_SIZE[f.type]; i++) {
        expect(i, `${name} runs past ${size} bytes`).toBeLessThan(size);
        expect(owners[i], `${name} overlaps ${owners[i]} at byte ${i}`).toBeUndefined();
        owners[i] = name;
      }
  return owners;
}

describe("the default binding", () => {
  it("matches the sizes the capOS manual states (RING-2, RING-3, PROC-6)", () => {
    expect(B.ring.sqeSize).toBe(64);
    expect(B.ring.cqeSize).toBe(32);
    expect(B.ring.sqEntries).toBe(16);
    expect(B.ring.cqEntries).toBe(32);
    expect(B.layout.userStackBase).toBe(0x100_0000);
    expect(B.pageSize).toBe(4096);
  });

  it("has SQE fields that fit 64 bytes and do not overlap, for every opcode's view", () => {
    for (const view of Object.values(B.ring.sqeViews)) byteOwners(B.ring.sqeSize, B.ring.sqeCommon, view);
  });

  it("has CQE fields that fit 32 bytes and do not overlap", () => {
    byteOwners(B.ring.cqeSize, B.ring.cqe);
  });

  it("fits the ring header and both queues in one 4 KiB page without overlap", () => {
    const page = new Array<string | undefined>(B.pageSize).fill(undefined);
    const claim = (name: string, from: number, len: number) => {
      for (let i = from; i < from + len; i++) {
        expect(i, `${name} leaves the page`).toBeLessThan(B.pageSize);
        expect(page[i], `${name} overlaps ${page[i]}`).toBeUndefined();
        page[i] = name;
      }
    };
    claim("header", 0, B.ring.headerSize);
    byteOwners(B.ring.headerSize, B.ring.header);
    claim("sq", B.ring.sqOffset, B.ring.sqEntries * B.ring.sqeSize);
    claim("cq", B.ring.cqOffset, B.ring.cqEntries * B.ring.cqeSize);
  });

  it("has distinct opcodes, transport errors and park results", () => {
    for (const group of [B.opcodes, B.transportErrors, B.park.results]) {
      const values = Object.values(group);
      expect(new Set(values).size).toBe(values.length);
    }
    for (const v of Object.values(B.transportErrors)) expect(v).toBeLessThan(0);
  });

  it("keeps images, stack, TLS area, rings, CapSet and VM window apart", () => {
    expect(bindingLayoutProblems(B)).toEqual([]);
    const L = B.layout;
    expect(L.imageBase).toBeLessThan(L.userStackBase);
    expect(L.ringVaddr - L.tlsAreaSize).toBeGreaterThanOrEqual(L.vmWindowEnd);
    expect(L.capSetVaddr + B.pageSize).toBeLessThanOrEqual(L.userAddressLimit);
  });

  it("takes interface ids and method ordinals from the capnp schema text", () => {
    const text = readFileSync(fileURLToPath(new URL("../schema/capos.capnp", import.meta.url)), "utf8");
    const ifaces = [...text.matchAll(/interface (\w+) @0x([0-9a-f]+) \{([^}]*)\}/g)];
    expect(ifaces.length).toBe(Object.keys(B.interfaces).length);
    for (const [, name, id, body] of ifaces) {
      expect(B.interfaces[name as keyof typeof B.interfaces]).toBe(BigInt("0x" + id));
      const methods = Object.fromEntries([...body!.matchAll(/^\s*(\w+) @(\d+) \(/gm)].map((m) => [m[1], Number(m[2])]));
      expect(B.methods[name as keyof typeof B.methods]).toEqual(methods);
    }
    expect(B.methods.VirtualMemory).toMatchObject({ map: 0, unmap: 1, protect: 2 }); // VM-1
    const enumBody = /enum ExceptionType \{([^}]*)\}/.exec(text)![1]!;
    const enumerants = Object.fromEntries([...enumBody.matchAll(/(\w+) @(\d+);/g)].map((m) => [m[1], Number(m[2])]));
    expect(B.exceptionTypes).toEqual(enumerants);
  });
});

describe("binding files", () => {
  it("round-trip the default binding through JSON", () => {
    const json = JSON.parse(JSON.stringify(bindingToJson(B)));
    expect(parseBinding(json)).toEqual(B);
  });

  it("load from disk and reject unreadable or non-JSON files with a typed error", () => {
    const dir = mkdtempSync(join(tmpdir(), "binding-"));
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify(bindingToJson(B)));
    expect(loadBindingFile(good).ring.sqEntries).toBe(16);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, "{ not json");
    expect(() => loadBindingFile(bad)).toThrow(BindingError);
    expect(() => loadBindingFile(join(dir, "missing.json"))).toThrow(/cannot be read/);
  });

  const cases: [string, (j: any) => void, string][] = [
    ["wrong type", (j) => (j.ring.sqEntries = "sixteen"), "/ring/sqEntries"],
    ["unknown field", (j) => (j.park.spurious = true), "/park"],
    ["missing field", (j) => delete j.syscall.numbers.exit, "/syscall/numbers"],
    ["bad register", (j) => (j.entry.pid = "eax"), "/entry/pid"],
    ["bad hex", (j) => (j.park.timeoutForever = "forever"), "/park/timeoutForever"],
    ["overlapping SQE fields", (j) => (j.ring.sqeViews.park.expected.offset = 16), "/ring/sqeViews/park/expected"],
    ["queue past the page", (j) => (j.ring.cqEntries = 128), "/ring/cqEntries"],
    ["duplicate opcode", (j) => (j.opcodes.unpark = j.opcodes.park), "/opcodes/unpark"],
    ["stack over the ring", (j) => (j.layout.userStackBase = j.layout.ringVaddr), "/layout/"],
  ];
  it.each(cases)("reject %s with an error naming the field", (_name, mutate, field) => {
    const json = JSON.parse(JSON.stringify(bindingToJson(B)));
    mutate(json);
    let err: unknown;
    try {
      parseBinding(json, "broken.json");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BindingError);
    expect((err as BindingError).field.startsWith(field)).toBe(true);
    expect(String(err)).toContain("broken.json");
  });

  it("reject any numeric leaf replaced by a string, naming that leaf", () => {
    const json = bindingToJson(B);
    const leaves: string[][] = [];
    const walk = (v: unknown, path: string[]) => {
      if (typeof v === "number") leaves.push(path);
      else if (v && typeof v === "object") for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
    };
    walk(json, []);
    fc.assert(
      fc.property(fc.constantFrom(...leaves), (path) => {
        const j = JSON.parse(JSON.stringify(json));
        let o = j;
        for (const k of path.slice(0, -1)) o = o[k];
        o[path[path.length - 1]!] = "x";
        try {
          parseBinding(j);
          return false;
        } catch (e) {
          return e instanceof BindingError && e.field === "/" + path.join("/");
        }
      }),
      { seed: 3, numRuns: 200 },
    );
  });
});
