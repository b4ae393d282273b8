/**
 * States the model reaches from the start of a script, for tests that compare two ways of
 * deciding something over many real states (state keys, dead ends).
 */
import type { Observation } from "../../spec/agent-protocol.js";
import { consume, init, successors, type AgentState, type Ctx } from "../agent.js";

/** Up to `limit` states reachable from the start, breadth first: every move, and every pending thread's record (as `simulate` prints it). */
export function explore(ctx: Ctx, limit: number): AgentState[] {
  const out: AgentState[] = [];
  const queue = [init(ctx)];
  while (queue.length > 0 && out.length < limit) {
    const st = queue.shift()!;
    out.push(st);
    for (const m of successors(ctx, st)) if (m.kind === "state") queue.push(m.st);
    st.runs.forEach((r, t) => {
      if (r.phase !== "pending" || !r.pending) return;
      const p = r.pending;
      const value = p.k === "exact" ? p.value : p.k === "now" ? p.min + 1n : p.k === "learn" ? p.offset + (st.learned[p.key] ?? 0x10000n) : 0n;
      const o: Observation = { thread: t, op: r.pc, status: p.k === "exact" ? p.status : "ok", value };
      const c = consume(ctx, st, o);
      if ("st" in c) queue.push(c.st);
    });
  }
  return out;
}
