/** `capos-conform list`: the properties, the clauses each checks, the abilities each needs. */
import { ALL_PROPERTIES } from "../../properties/index.js";
import { CLAUSES } from "../../spec/clauses/index.js";
import { selectForRun } from "../../runner/run.js";
import { EXIT } from "./exit-status.js";

export default async function list(o: { filter?: RegExp; clause?: string; json: boolean }): Promise<number> {
  const props = selectForRun({ properties: ALL_PROPERTIES, ...(o.filter ? { filter: o.filter } : {}), ...(o.clause ? { clause: o.clause } : {}) });
  const rows = props.map((p) => ({ id: p.id, title: p.title, clauses: [...p.clauses], needs: [...p.needs], runs: p.runs }));
  if (o.json) {
    console.log(JSON.stringify(rows, null, 2));
    return EXIT.conformant;
  }
  const w = Math.max(...rows.map((r) => r.id.length));
  for (const r of rows) {
    console.log(`${r.id.padEnd(w)}  ${r.title}`);
    console.log(`${"".padEnd(w)}  clauses ${r.clauses.join(" ")}; needs ${r.needs.join(", ") || "nothing beyond running an ELF"}; ${r.runs} cases`);
  }
  const cited = new Set(props.flatMap((p) => p.clauses));
  const uncovered = CLAUSES.filter((c) => c.status !== "FUTURE" && !cited.has(c.id)).map((c) => c.id);
  if (!o.filter && !o.clause) console.log(`${rows.length} properties; clauses no property checks: ${uncovered.join(" ") || "none"}`);
  return EXIT.conformant;
}
