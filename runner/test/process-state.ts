/** Test helper: whether a process is still running. */
import { readFileSync } from "node:fs";

/** Running (a killed process may linger a moment as a zombie until its new parent reaps it). */
export async function alive(pid: number): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    let state: string;
    try {
      state = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "")[0]!;
    } catch {
      return false;
    }
    if (state === "Z" || state === "X") return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
