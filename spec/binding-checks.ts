/**
 * Rules about a binding that a JSON Schema cannot state: fields fit their records and do
 * not overlap, both queues fit the ring page, codes are distinct, areas do not collide.
 * Used by the binding-file loader and by the tests of the default binding.
 */
import type { Binding, FieldTable } from "./binding.js";
import { FIELD_SIZE } from "./binding.js";

export interface BindingProblem {
  readonly field: string;
  readonly problem: string;
}

/** Problems with one record: a field past `size`, or two fields sharing a byte. */
export function fieldTableProblems(path: string, table: FieldTable, size: number, base: FieldTable = {}): BindingProblem[] {
  const problems: BindingProblem[] = [];
  const all = [...Object.entries(base), ...Object.entries(table)];
  for (const [name, f] of Object.entries(table)) {
    if (f.offset + FIELD_SIZE[f.type] > size)
      problems.push({ field: `${path}/${name}`, problem: `ends at byte ${f.offset + FIELD_SIZE[f.type]}, past the ${size}-byte record` });
    if (f.offset % FIELD_SIZE[f.type] !== 0)
      problems.push({ field: `${path}/${name}`, problem: `offset ${f.offset} is not aligned to its ${FIELD_SIZE[f.type]}-byte width` });
  }
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const [an, a] = all[i]!;
      const [bn, b] = all[j]!;
      const overlap = a.offset < b.offset + FIELD_SIZE[b.type] && b.offset < a.offset + FIELD_SIZE[a.type];
      if (overlap) problems.push({ field: `${path}/${bn}`, problem: `overlaps field "${an}"` });
    }
  }
  return problems;
}

function distinct(path: string, values: Readonly<Record<string, number>>): BindingProblem[] {
  const seen = new Map<number, string>();
  const problems: BindingProblem[] = [];
  for (const [name, v] of Object.entries(values)) {
    const prev = seen.get(v);
    if (prev !== undefined) problems.push({ field: `${path}/${name}`, problem: `has the same value ${v} as "${prev}"` });
    seen.set(v, name);
  }
  return problems;
}

const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

export function bindingLayoutProblems(b: Binding): BindingProblem[] {
  const p: BindingProblem[] = [];
  const r = b.ring;
  p.push(...fieldTableProblems("/ring/header", r.header, r.headerSize));
  p.push(...fieldTableProblems("/ring/sqeCommon", r.sqeCommon, r.sqeSize));
  for (const [op, view] of Object.entries(r.sqeViews))
    p.push(...fieldTableProblems(`/ring/sqeViews/${op}`, view, r.sqeSize, r.sqeCommon));
  p.push(...fieldTableProblems("/ring/cqe", r.cqe, r.cqeSize));
  for (const need of ["sqHead", "sqTail", "cqHead", "cqTail"])
    if (!(need in r.header)) p.push({ field: `/ring/header/${need}`, problem: "is required" });
  for (const need of ["opcode", "capId", "userData"])
    if (!(need in r.sqeCommon)) p.push({ field: `/ring/sqeCommon/${need}`, problem: "is required" });
  for (const need of ["userData", "result"]) if (!(need in r.cqe)) p.push({ field: `/ring/cqe/${need}`, problem: "is required" });
  if (!isPow2(r.sqEntries)) p.push({ field: "/ring/sqEntries", problem: `must be a power of two, is ${r.sqEntries}` });
  if (!isPow2(r.cqEntries)) p.push({ field: "/ring/cqEntries", problem: `must be a power of two, is ${r.cqEntries}` });
  if (r.sqOffset < r.headerSize) p.push({ field: "/ring/sqOffset", problem: "lies inside the ring header" });
  const sqEnd = r.sqOffset + r.sqEntries * r.sqeSize;
  if (r.cqOffset < sqEnd && r.sqOffset < r.cqOffset + r.cqEntries * r.cqeSize)
    p.push({ field: "/ring/cqOffset", problem: "overlaps the submission queue" });
  if (r.cqOffset < r.headerSize) p.push({ field: "/ring/cqOffset", problem: "lies inside the ring header" });
  for (const [name, end] of [["/ring/sqEntries", sqEnd], ["/ring/cqEntries", r.cqOffset + r.cqEntries * r.cqeSize]] as const)
    if (end > b.pageSize) p.push({ field: name, problem: `queue ends at byte ${end}, past the ${b.pageSize}-byte ring page` });
  p.push(...distinct("/opcodes", b.opcodes));
  p.push(...distinct("/transportErrors", b.transportErrors));
  p.push(...distinct("/park/results", b.park.results));
  p.push(...distinct("/syscall/numbers", b.syscall.numbers));
  p.push(...fieldTableProblems("/capSet/header", b.capSet.header, b.capSet.headerSize));
  p.push(...fieldTableProblems("/capSet/entry", b.capSet.entry, b.capSet.entrySize));
  const nameField = b.capSet.entry["name"];
  if (nameField && nameField.offset + b.capSet.nameLength > b.capSet.entrySize)
    p.push({ field: "/capSet/nameLength", problem: "name runs past the CapSet entry" });
  const L = b.layout;
  const pageAligned = ["imageBase", "userStackBase", "userStackSize", "ringVaddr", "capSetVaddr", "tlsAreaSize", "threadRingBase", "vmWindowBase", "vmWindowEnd"] as const;
  for (const k of pageAligned)
    if (L[k] % b.pageSize !== 0) p.push({ field: `/layout/${k}`, problem: `must be a multiple of the page size, is 0x${L[k].toString(16)}` });
  if (!isPow2(L.tpMinAlign)) p.push({ field: "/layout/tpMinAlign", problem: "must be a power of two" });
  if (L.imageBase >= L.userStackBase) p.push({ field: "/layout/imageBase", problem: "must lie below userStackBase" });
  const areas: [string, number, number][] = [
    ["/layout/userStackBase", L.userStackBase, L.userStackBase + L.userStackSize],
    ["/layout/ringVaddr", L.ringVaddr, L.ringVaddr + b.pageSize],
    ["/layout/capSetVaddr", L.capSetVaddr, L.capSetVaddr + b.pageSize],
    ["/layout/tlsAreaSize", L.ringVaddr - L.tlsAreaSize, L.ringVaddr],
    ["/layout/threadRingBase", L.threadRingBase, L.threadRingBase + L.maxThreads * b.pageSize],
    ["/layout/vmWindowBase", L.vmWindowBase, L.vmWindowEnd],
  ];
  for (let i = 0; i < areas.length; i++)
    for (let j = i + 1; j < areas.length; j++) {
      const [, a0, a1] = areas[i]!;
      const [bn, b0, b1] = areas[j]!;
      if (a0 < b1 && b0 < a1) p.push({ field: bn, problem: `area overlaps ${areas[i]![0]}` });
    }
  for (const [name, , end] of areas)
    if (end > L.userAddressLimit) p.push({ field: name, problem: "area ends above the user address limit" });
  return p;
}
