import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { validateXML } from "xmllint-wasm";
import { create } from "xmlbuilder2";
import { describe, expect, it } from "vitest";
import { renderJUnit, xmlAttr } from "./junit.js";
import { HOSTILE, baseRun, mixedRun, property } from "./test-fixtures.js";

const XSD = readFileSync(fileURLToPath(new URL("./schema/junit-10.xsd", import.meta.url)), "utf8");

async function xsdErrors(xml: string): Promise<string[]> {
  const r = await validateXML({ xml: [{ fileName: "report.xml", contents: xml }], schema: [{ fileName: "junit-10.xsd", contents: XSD }] });
  return r.valid ? [] : r.errors.map((e) => e.rawMessage);
}

/** Minimal DOM surface of xmlbuilder2's parsed nodes (tsconfig has no DOM lib). */
interface El {
  readonly nodeName: string;
  readonly textContent: string | null;
  getAttribute(n: string): string | null;
  getElementsByTagName(n: string): ArrayLike<El>;
}
function parse(xml: string): El {
  return create(xml).root().node as unknown as El;
}
const all = (root: El, tag: string): El[] => Array.from(root.getElementsByTagName(tag));

describe("JUnit XML", () => {
  it("validates against the Jenkins junit-10.xsd", async () => {
    expect(await xsdErrors(renderJUnit(mixedRun()))).toEqual([]);
    expect(await xsdErrors(renderJUnit(baseRun([])))).toEqual([]);
    expect(await xsdErrors(renderJUnit({ ...baseRun([property({ property: "a.b", status: "failed", durationMs: -1 })]), implementation: { id: "x", version: "1", binding: "b", mutant: "m1" } }))).toEqual([]);
  });
  it("the XSD check is live: a testsuite without its required attributes is rejected", async () => {
    const bad = renderJUnit(mixedRun()).replace(/ failures="\d+" errors="0" skipped=/, " skipped=");
    expect(await xsdErrors(bad)).not.toEqual([]);
  });
  it("one testcase per property, clause ids in the name, group as classname", () => {
    const root = parse(renderJUnit(mixedRun()));
    const cases = all(root, "testcase");
    expect(cases.map((c) => c.getAttribute("name"))).toEqual([
      "park.wake-one [PARK-1 PARK-6]",
      "park.drain-on-unmap [PARK-6 PARKX-6]",
      "park.timeout [PARK-3]",
      "park.requeue [PARK-4]",
      "tls.variant2-layout [PARK-2]",
      "sched.preempt [PARK-5]",
      "custom.unknown-clause [ZZZ-99]",
    ]);
    expect(cases.map((c) => c.getAttribute("classname"))).toEqual(["park", "park", "park", "park", "tls", "sched", "custom"]);
  });
  it("totals: failures count failed and xpass; skipped counts skipped, unsupported and xfail", () => {
    const root = parse(renderJUnit(mixedRun()));
    expect(root.nodeName).toBe("testsuites");
    expect([root.getAttribute("tests"), root.getAttribute("failures"), root.getAttribute("errors")]).toEqual(["7", "2", "0"]);
    const park = all(root, "testsuite").find((s) => s.getAttribute("name") === "park")!;
    expect([park.getAttribute("tests"), park.getAttribute("failures"), park.getAttribute("skipped")]).toEqual(["4", "2", "1"]);
    expect(all(root, "failure").length).toBe(2);
    expect(all(root, "skipped").length).toBe(3);
  });
  it("failure carries message, repro and trace; xpass is a failure; xfail a skip with 'expected failure: reason'", () => {
    const run = mixedRun();
    const root = parse(renderJUnit(run));
    const byName = (n: string) => all(root, "testcase").find((c) => c.getAttribute("name")!.startsWith(n + " "))!;
    const f = all(byName("park.drain-on-unmap"), "failure")[0]!;
    const repro = run.results[1]!.failure!.repro;
    expect(f.getAttribute("type")).toBe("failed");
    expect(f.getAttribute("message")).toBe(xmlAttr(`waiter not drained ${HOSTILE} | repro: ${repro}`));
    expect(f.textContent).toContain(`repro: ${repro}`);
    expect(f.textContent).toContain("  0 park t1 0x1000");
    expect(f.textContent).toContain('"addr": "0x1000"');
    expect(all(byName("park.timeout"), "failure")[0]!.getAttribute("type")).toBe("xpass");
    expect(all(byName("tls.variant2-layout"), "skipped")[0]!.getAttribute("message")).toBe("expected failure: known emulator bug #12");
    expect(all(byName("sched.preempt"), "skipped")[0]!.getAttribute("message")).toBe("unsupported: needs schedule control");
    expect(all(byName("park.wake-one"), "failure").length + all(byName("park.wake-one"), "skipped").length).toBe(0);
  });
  it("suite properties carry seed, implementation and ELF hashes", () => {
    const root = parse(renderJUnit({ ...mixedRun(), implementation: { id: "qemu", version: "9", binding: "b.json", mutant: "m7" } }));
    const props = Object.fromEntries(all(all(root, "testsuite")[0]!, "property").map((p) => [p.getAttribute("name"), p.getAttribute("value")]));
    expect(props).toMatchObject({ seed: "42", implementation: "qemu", "implementation.version": "9", binding: "b.json", mutant: "m7", "elf.park-drain": "ab".repeat(32) });
  });
  it("escapes hostile text: markup round-trips, characters XML cannot carry are made visible", () => {
    const xml = renderJUnit(mixedRun());
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(xml).not.toContain("<script>");
    expect(xml).not.toContain("]]>");
    const skipped = all(parse(xml), "skipped").find((s) => s.getAttribute("message")!.startsWith("filtered out"))!;
    expect(skipped.getAttribute("message")).toBe(
      "filtered out </script><script>alert(1)</script> ]]> <!-- & \"q\" 'a' | `tick` ``` \\u{0}\\u{1b}[31m \\u{d800} \u2028 <![CDATA[x]]>",
    );
  });
});
