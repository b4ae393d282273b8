/** Registers every instruction family's rows in the decode table (idempotent). */
import { registerAlu } from "./alu.js";
import { registerShift } from "./shift.js";
import { registerMulDiv } from "./muldiv.js";
import { registerMov } from "./mov.js";
import { registerBranch } from "./branch.js";
import { registerStack } from "./stack.js";
import { registerBitops } from "./bitops.js";
import { registerAtomic } from "./atomic.js";
import { registerString } from "./string.js";
import { registerSystem } from "./system.js";
import { registerSseInt } from "./sse-int.js";
import { registerSseFloat } from "./sse-float.js";
import { registerX87 } from "./x87.js";
import { registerSse4 } from "./sse4.js";
import { specialize } from "./fast.js";
import { setSpecializer } from "../decode.js";
import { setInlineForm } from "./inline-forms.js";

let done = false;
export function registerAll(): void {
  if (done) return;
  done = true;
  registerAlu(); registerShift(); registerMulDiv(); registerMov(); registerBranch(); registerStack();
  registerBitops(); registerAtomic(); registerString(); registerSystem(); registerSseInt(); registerSseFloat();
  registerX87();
  registerSse4();
  setSpecializer(specialize, setInlineForm);
}
