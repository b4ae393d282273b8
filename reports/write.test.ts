import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderCtrf } from "./ctrf.js";
import { renderHtml } from "./html.js";
import { renderJUnit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import { isTempName, replaceFailureArtefacts, writeFileAtomic, writeReports, writeRunOutputs } from "./write.js";
import { baseRun, mixedRun, property } from "./test-fixtures.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "capos-reports-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const temps = (dir: string) => readdirSync(dir).filter(isTempName);

describe("writeReports", () => {
  it("creates the directory and writes all four reports with the renderers' output", () => {
    const out = join(tmp(), "a", "b");
    const run = mixedRun();
    const p = writeReports(run, out);
    expect(p).toEqual({
      json: join(out, "conformance.ctrf.json"),
      junit: join(out, "conformance.junit.xml"),
      markdown: join(out, "conformance.md"),
      html: join(out, "conformance.html"),
    });
    expect(readFileSync(p.json, "utf8")).toBe(renderCtrf(run));
    expect(readFileSync(p.junit, "utf8")).toBe(renderJUnit(run));
    expect(readFileSync(p.markdown, "utf8")).toBe(renderMarkdown(run));
    expect(readFileSync(p.html, "utf8")).toBe(renderHtml(run));
    expect(readdirSync(out).sort()).toEqual(["conformance.ctrf.json", "conformance.html", "conformance.junit.xml", "conformance.md"]);
  });
  it("replaces old reports and leaves no temp files", () => {
    const out = tmp();
    writeReports(mixedRun(), out, { basename: "r" });
    const p = writeReports(baseRun([property({ property: "a.b", status: "passed" })]), out, { basename: "r" });
    expect(JSON.parse(readFileSync(p.json, "utf8")).results.summary.tests).toBe(1);
    expect(temps(out)).toEqual([]);
    expect(readdirSync(out).length).toBe(4);
  });
  it("a renderer that throws leaves every old report intact and no temp files", () => {
    const out = tmp();
    const p = writeReports(mixedRun(), out);
    const before = Object.values(p).map((f) => readFileSync(f, "utf8"));
    const boom = () => {
      throw new Error("renderer broke");
    };
    expect(() => writeReports(baseRun([]), out, { renderers: { html: boom } })).toThrow("renderer broke");
    expect(Object.values(p).map((f) => readFileSync(f, "utf8"))).toEqual(before);
    expect(temps(out)).toEqual([]);
  });
  it("a failing write removes its temp file and keeps what was at the target", () => {
    const out = tmp();
    mkdirSync(join(out, "conformance.html"));
    writeFileSync(join(out, "conformance.html", "keep"), "x");
    expect(() => writeReports(mixedRun(), out)).toThrow();
    expect(statSync(join(out, "conformance.html")).isDirectory()).toBe(true);
    expect(readFileSync(join(out, "conformance.html", "keep"), "utf8")).toBe("x");
    expect(temps(out)).toEqual([]);
  });
  it("rejects a basename that would escape the directory", () => {
    expect(() => writeReports(mixedRun(), tmp(), { basename: "../x" })).toThrow(/basename/);
  });
});

describe("writeFileAtomic", () => {
  it("writes exact UTF-8 bytes and replaces an existing file", () => {
    const f = join(tmp(), "new", "f.txt");
    writeFileAtomic(f, "old");
    writeFileAtomic(f, "ünïcödé \u2028 ✓");
    expect(readFileSync(f, "utf8")).toBe("ünïcödé \u2028 ✓");
    expect(temps(join(f, ".."))).toEqual([]);
  });
  it("fails when the directory cannot be written, leaving nothing behind", () => {
    const d = tmp();
    const blocker = join(d, "file");
    writeFileSync(blocker, "x");
    expect(() => writeFileAtomic(join(blocker, "sub.txt"), "y")).toThrow();
    expect(readFileSync(blocker, "utf8")).toBe("x");
    expect(existsSync(join(d, "sub.txt"))).toBe(false);
    expect(temps(d)).toEqual([]);
  });
});

describe("failure artefacts as one set", () => {
  const failing = (id: string) => property({ property: id, status: "failed", failure: { repro: "r", message: "m", seed: 5 } });
  it("writes one artefact per failure and names it in the reports", () => {
    const out = tmp();
    const { artefacts, run } = writeRunOutputs(baseRun([failing("park.a"), property({ property: "park.b", status: "passed" })]), out);
    expect(readdirSync(join(out, "failures"))).toEqual(["park.a.5.json"]);
    expect(artefacts).toEqual([join(out, "failures", "park.a.5.json")]);
    expect(run.results[0]!.failure!.artefact).toBe(artefacts[0]);
    expect(JSON.parse(readFileSync(artefacts[0]!, "utf8"))).toMatchObject({ property: "park.a", repro: "r", implementation: "emulator" });
    expect(readFileSync(join(out, "conformance.ctrf.json"), "utf8")).toContain("park.a.5.json");
  });
  it("a failed write keeps the old artefacts and leaves no temp folder", () => {
    const out = tmp();
    replaceFailureArtefacts(baseRun([failing("park.old")]), out);
    // A property id with a slash cannot be written as one file name.
    expect(() => replaceFailureArtefacts(baseRun([failing("park/new")]), out)).toThrow();
    expect(readdirSync(join(out, "failures"))).toEqual(["park.old.5.json"]);
    expect(temps(out)).toEqual([]);
  });
});
