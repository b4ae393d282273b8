import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { applyAbiTables } from "../abi-tables.js";
import { DEFAULT_BINDING } from "../binding.js";
import { CLAUSES, clause, clausesMatching } from "../clauses/index.js";

const abiPath = fileURLToPath(new URL("../ABI.md", import.meta.url));
const abi = readFileSync(abiPath, "utf8");

describe("clauses", () => {
  it("have unique, well-formed ids and a known status", () => {
    const ids = CLAUSES.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CLAUSES) {
      expect(c.id).toMatch(/^[A-Z0-9]+-\d+$/);
      expect(["IMPL", "DERIVED", "PROVISIONAL", "FUTURE"]).toContain(c.status);
      expect(c.statement.length).toBeGreaterThan(20);
    }
  });

  it("each have a source URL or a PROVISIONAL reason", () => {
    for (const c of CLAUSES) {
      const hasSource = (c.sources ?? []).some((s) => /^https:\/\//.test(s));
      const hasReason = c.status === "PROVISIONAL" && (c.reason ?? "").length > 20;
      expect(hasSource || hasReason, c.id).toBe(true);
      if (c.status === "PROVISIONAL") expect(c.reason, `${c.id} is PROVISIONAL without a reason`).toBeTruthy();
    }
  });

  it("cover the issue's groups: TLS Variant II, FS base, Go contract, park, VM", () => {
    for (const glob of ["TLSV2-*", "FSB-*", "GO-*", "PARK-*", "PARKX-*", "VM-*", "VMX-*", "RING-*", "SYS-*"])
      expect(clausesMatching(glob).length, glob).toBeGreaterThan(0);
    expect(() => clause("NOPE-1")).toThrow(/unknown clause/);
  });
});

describe("spec/ABI.md", () => {
  it("has generated tables that match the binding", () => {
    expect(applyAbiTables(abi, DEFAULT_BINDING)).toBe(abi);
  });

  it("gives every table row with a number a source or a PROVISIONAL mark", () => {
    const rows = abi.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---"));
    let checked = 0;
    for (const row of rows) {
      const cells = row.split(" | ");
      if (!/\d/.test(cells.slice(0, -1).join(" "))) continue;
      const last = cells[cells.length - 1]!;
      const sourced = /\]\(https:\/\//.test(last) || /Intel SDM/.test(last);
      const provisional = /\*\*PROVISIONAL\*\* \(.{4,}\)/.test(last);
      expect(sourced || provisional, row).toBe(true);
      checked++;
    }
    expect(checked).toBeGreaterThan(80);
  });

  it("cites only clause ids that exist", () => {
    const cited = new Set([...abi.matchAll(/\b([A-Z][A-Z0-9]*X?-\d+)\b/g)].map((m) => m[1]!));
    const known = new Set(CLAUSES.map((c) => c.id));
    expect(cited.size).toBeGreaterThan(40);
    for (const id of cited) expect(known.has(id), `ABI.md cites ${id}`).toBe(true);
  });
});
