/**
 * Agent-script properties for the ring and capabilities (issue 18): capabilities that come and
 * go, and completions that arrive while the CQ is under pressure. The model judges each run.
 */
import { pressureScript, releaseScript } from "../generators/ring-scripts.js";
import { SITUATION } from "./reach.js";
import { agentProperty } from "./scripts.js";

export const capReleaseReuse = agentProperty({
  id: "cap.release-reuse",
  title: "A released ThreadHandle id is refused, also after a new cap may have taken its slot",
  clauses: ["CAP-1", "CAP-2", "CAP-4", "RINGX-7"],
  situation: SITUATION.staleCapAfterReuse,
  runs: 15,
  steered: false,
  script: (b) => releaseScript(b),
});

export const ringCompletionPressure = agentProperty({
  id: "ring.completion-pressure",
  title: "Batched SQEs: cap_enter counts the CQEs; a completion arriving while the CQ is full is held with its own user_data",
  clauses: ["RINGX-2", "RING-6", "RING-7", "RINGX-8", "ENTER-2", "ENTERX-1"],
  situation: SITUATION.heldCompletion,
  runs: 15,
  steered: false,
  script: (b) => pressureScript(b),
});
