import { parse, type DefaultTreeAdapterTypes } from "parse5";
import { describe, expect, it } from "vitest";
import { escapeHtml, htmlData, renderHtml } from "./html.js";
import { HOSTILE, baseRun, mixedRun } from "./test-fixtures.js";
import { CLAUSES } from "../spec/clauses/index.js";

type Node = DefaultTreeAdapterTypes.Node;
type Element = DefaultTreeAdapterTypes.Element;

function parseStrict(html: string) {
  const errors: string[] = [];
  const doc = parse(html, { onParseError: (e) => void errors.push(`${e.code} at ${e.startLine}:${e.startCol}`) });
  return { doc, errors };
}
function elements(n: Node, out: Element[] = []): Element[] {
  if ("tagName" in n) out.push(n);
  if ("childNodes" in n) for (const c of n.childNodes) elements(c, out);
  if ("content" in n && n.content) elements(n.content as Node, out);
  return out;
}
function text(n: Node): string {
  if (n.nodeName === "#text") return (n as DefaultTreeAdapterTypes.TextNode).value;
  return "childNodes" in n ? n.childNodes.map(text).join("") : "";
}
const attr = (el: Element, name: string) => el.attrs.find((a) => a.name === name)?.value;

describe("HTML report", () => {
  const run = mixedRun();
  const html = renderHtml(run);
  const { doc, errors } = parseStrict(html);
  const els = elements(doc);

  it("parses without parse errors", () => {
    expect(errors).toEqual([]);
    expect(parseStrict(renderHtml(baseRun([]))).errors).toEqual([]);
  });
  it("hostile strings cannot open elements: exactly the two own scripts, no external assets", () => {
    expect(els.filter((e) => e.tagName === "script").length).toBe(2);
    expect(els.filter((e) => ["link", "img", "iframe", "object", "embed"].includes(e.tagName))).toEqual([]);
    for (const e of els) for (const a of e.attrs) if (a.name === "src" || a.name === "href") throw new Error(`external asset ${a.value}`);
    expect(html).not.toMatch(/https?:\/\//);
  });
  it("embedded JSON data round-trips exactly", () => {
    const script = els.find((e) => attr(e, "id") === "run-data")!;
    expect(JSON.parse(text(script))).toEqual(JSON.parse(JSON.stringify(htmlData(run))));
    // Nothing in the JSON can start a tag or comment, whatever the data holds.
    expect(text(script)).not.toMatch(/[<>\u2028\u2029]/);
  });
  it("clause matrix: one row per cited clause with its verdict, then every clause no property checks", () => {
    const table = els.find((e) => attr(e, "id") === "clauses")!;
    const all = elements(table).filter((e) => e.tagName === "tr" && attr(e, "data-verdict") !== undefined);
    const uncovered = all.filter((r) => attr(r, "class") === "uncovered");
    const cited = new Set(run.results.flatMap((r) => r.clauses));
    expect(uncovered.map((r) => text(r.childNodes[0]!))).toEqual(CLAUSES.filter((c) => !cited.has(c.id)).map((c) => c.id));
    expect(uncovered.find((r) => text(r.childNodes[0]!) === "SYS-1") && attr(uncovered.find((r) => text(r.childNodes[0]!) === "SYS-1")!, "data-verdict")).toBe("not covered");
    const rows = all.filter((r) => attr(r, "class") !== "uncovered");
    expect(rows.map((r) => [text(r.childNodes[0]!), attr(r, "data-verdict")])).toEqual([
      ["PARK-1", "pass"],
      ["PARK-2", "expected fail"],
      ["PARK-3", "fail"],
      ["PARK-4", "skipped"],
      ["PARK-5", "unsupported"],
      ["PARK-6", "fail"],
      ["PARKX-6", "fail"],
      ["ZZZ-99", "pass"],
    ]);
  });
  it("each failure shows repro, counterexample, allowed outcomes, observed records and trace, as text", () => {
    const f = run.results[1]!.failure!;
    const sec = els.find((e) => attr(e, "id") === "failure-0")!;
    const t = text(sec);
    expect(t).toContain(f.repro);
    // Control characters are shown as \u{..}, lone surrogates as U+FFFD; everything else verbatim.
    const shown = (s: string) => s.replace(/\u0000/g, "\\u{0}").replace(/\u001b/g, "\\u{1b}").replace(/\uD800/g, "\uFFFD");
    for (const line of [f.message, ...f.allowed!, ...f.observed!, ...f.trace!]) expect(t).toContain(shown(line));
    const ce = elements(sec).find((e) => attr(e, "class") === "counterexample")!;
    expect(JSON.parse(text(ce))).toMatchObject({ ops: [{ op: "park" }, { op: "unmap", note: HOSTILE }], big: "12345678901234567890n" });
    const sections = els.filter((e) => e.tagName === "section");
    expect(sections.map((s) => text(elements(s).find((e) => e.tagName === "code")!))).toEqual(["park.drain-on-unmap", "park.timeout", "tls.variant2-layout"]);
  });
  it("failures come before the clause matrix", () => {
    const html = renderHtml(run);
    expect(html.indexOf('id="failure-0"')).toBeGreaterThan(0);
    expect(html.indexOf('id="failure-0"')).toBeLessThan(html.indexOf('id="clauses"'));
  });
  it("escapeHtml covers the five specials", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  });
});
