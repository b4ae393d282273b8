/**
 * The per-thread timeline of a failing agent run as inline SVG, after Porcupine's and
 * Jepsen's history views: one lane per script thread, each op a bar from its call to its
 * record in logical time (x = records printed so far), parks, wakes, drains, timeouts and
 * faults marked, the first record the model could not explain outlined in red. Ops that
 * printed no record (a fault, a thread left blocked) run to the right edge, dashed; the
 * implementation's thread switches (from its event log, when it keeps one) are ticks.
 */
import type { RunExplanation, TimelineOp } from "./types.js";
import { wellFormed } from "./summary.js";

const esc = (s: string) => wellFormed(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const FILL: Readonly<Record<string, string>> = { park: "#cfe0fb", drain: "#ffd9a8", wake: "#c9efc9", timeout: "#e4e4e4", spawn: "#efe3fb", exit: "#efe3fb" };
// Glyphs every monospace font has.
const GLYPH: Readonly<Record<string, string>> = { park: "‖", drain: "↓", wake: "↑", timeout: "∅", fault: "×", spawn: "+", exit: "■" };

function fillOf(op: TimelineOp): string {
  for (const m of op.marks) if (FILL[m]) return FILL[m]!;
  return "#f1f1f1";
}

export function renderTimelineSvg(x: RunExplanation): string {
  const gutter = 34;
  const lane = 30;
  const cols = x.records + 1;
  const colW = Math.max(28, Math.min(110, Math.floor(1100 / cols)));
  const width = gutter + cols * colW + 8;
  const height = 18 + x.threads * lane + 30;
  const px = (pos: number) => gutter + pos * colW;
  const parts: string[] = [];
  // Record positions as a faint grid, numbered.
  for (let i = 0; i <= x.records; i++) {
    parts.push(`<line x1="${px(i)}" y1="14" x2="${px(i)}" y2="${18 + x.threads * lane}" stroke="#eee"/>`);
    if (i < x.records) parts.push(`<text x="${px(i) + colW - 3}" y="11" font-size="9" text-anchor="end" fill="#999">#${i}</text>`);
  }
  for (let t = 0; t < x.threads; t++) parts.push(`<text x="4" y="${18 + t * lane + 19}" font-size="12" font-weight="600">t${t}</text>`);
  for (const op of x.ops) {
    const x0 = px(op.start) + 2;
    const x1 = op.end !== undefined ? px(op.end) - 2 : px(cols) - 2;
    const y = 18 + op.thread * lane + 4;
    const w = Math.max(6, x1 - x0);
    const bad = op.marks.includes("unexplained");
    const label = `${op.call} → ${op.outcome ?? "(no record)"}`;
    const glyphs = op.marks.map((m) => GLYPH[m] ?? "").join("");
    const chars = Math.max(0, Math.floor((w - 6) / 6.2));
    const shown = (glyphs ? glyphs + " " : "") + label;
    parts.push(
      `<g class="op${bad ? " unexplained" : ""}" data-thread="${op.thread}" data-op="${op.index}"><title>${esc(`t${op.thread} op ${op.index}: ${label}${bad ? " (not explained by the model)" : ""}`)}</title>` +
        `<rect x="${x0}" y="${y}" width="${w}" height="${lane - 8}" rx="3" fill="${fillOf(op)}" stroke="${bad ? "#b3261e" : "#888"}" stroke-width="${bad ? 2.5 : 1}"${op.end === undefined ? ' stroke-dasharray="4 3"' : ""}/>` +
        `<text x="${x0 + 4}" y="${y + 15}" font-size="10.5">${esc(shown.length > chars ? shown.slice(0, Math.max(0, chars - 1)) + "…" : shown)}</text></g>`,
    );
  }
  // Thread switches of the implementation: ticks under the lanes at the record position.
  const switches = x.switches ?? [];
  const byPos = new Map<number, string[]>();
  for (const sw of switches) byPos.set(sw.at, [...(byPos.get(sw.at) ?? []), `${sw.from}→${sw.to}`]);
  const laneBottom = 18 + x.threads * lane;
  for (const [pos, list] of byPos)
    parts.push(
      `<g class="switch"><title>${esc(`switches after record ${pos}: ${list.join(" ")}`)}</title>` +
        `<line x1="${px(pos) + 1}" y1="14" x2="${px(pos) + 1}" y2="${laneBottom}" stroke="#7a5cc0" stroke-dasharray="2 3"/>` +
        `<text x="${px(pos) + 3}" y="${laneBottom + 9}" font-size="9" fill="#7a5cc0">⇄${list.length}</text></g>`,
    );
  const legend = ["‖ park", "↑ wake", "↓ drained", "∅ timed out", "× fault", "+ spawn", "dashed: no record", "red: not explained", ...(switches.length > 0 ? ["⇄n: n thread switches (implementation log)"] : [])];
  parts.push(`<text x="${gutter}" y="${height - 6}" font-size="10" fill="#555">${esc(legend.join("   "))} · x: records in console order</text>`);
  return `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="timeline of the failing run" font-family="ui-monospace,monospace">${parts.join("")}</svg>`;
}
