import { describe, expect, it } from "vitest";
import { parse } from "parse5";
import { renderTimelineSvg } from "./timeline.js";
import type { RunExplanation } from "./types.js";

const x: RunExplanation = {
  threads: 2,
  records: 2,
  end: "hang",
  why: "w",
  allowed: [],
  ops: [
    { thread: 0, index: 0, call: "MAP(hint@0x0, 0x1000 bytes, rw-)", outcome: "ok 0x1_0000", start: 0, end: 1, marks: [] },
    { thread: 1, index: 0, call: "PARK(word@0x1_0000, expect 0, forever)", start: 1, marks: ["park", "no-record", "unexplained"] },
    { thread: 0, index: 1, call: "UNPARK(<script>&, all)", outcome: "woke 0", start: 1, end: 2, marks: ["wake"] },
  ],
};

describe("timeline SVG", () => {
  const svg = renderTimelineSvg(x);
  it("one bar per op, lanes per thread, the unexplained op outlined, text escaped", () => {
    expect(svg.match(/<g class="op/g)).toHaveLength(3);
    expect(svg.match(/class="op unexplained"/g)).toHaveLength(1);
    expect(svg).toContain(">t0<");
    expect(svg).toContain(">t1<");
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;&amp;");
    // An op without a record runs to the right edge, dashed.
    expect(svg).toMatch(/data-thread="1"[^]*stroke-dasharray/);
  });
  it("bars run from call to record in logical time", () => {
    const xs = [...svg.matchAll(/<rect x="(\d+(?:\.\d+)?)" y="\d+" width="(\d+(?:\.\d+)?)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    const [map, park, unpark] = xs as [number, number][];
    expect(map[0]).toBeLessThan(park[0]);
    expect(park[0]).toBe(unpark[0]); // both start at position 1
    expect(park[1]).toBeGreaterThan(unpark[1]); // the open park runs past the unpark's record
  });
  it("is well-formed markup", () => {
    const errors: string[] = [];
    parse(`<!DOCTYPE html><html><body>${svg}</body></html>`, { onParseError: (e) => void errors.push(e.code) });
    expect(errors).toEqual([]);
  });
});

describe("thread switches", () => {
  it("are drawn as ticks at their record positions", () => {
    const svg = renderTimelineSvg({ ...x, switches: [{ at: 1, from: "t0", to: "t1" }, { at: 1, from: "t1", to: "t0" }, { at: 2, from: "t0", to: "t1" }] });
    expect(svg.match(/<g class="switch">/g)).toHaveLength(2);
    expect(svg).toContain("switches after record 1: t0→t1 t1→t0");
  });
});
