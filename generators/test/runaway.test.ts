/** The encoder forms runaway guests add (checked against iced-x86) and the guests' shape. */
import { disassemble } from "./disassemble.js";
import { describe, expect, it } from "vitest";
import { DEFAULT_BINDING as B } from "../../spec/binding.js";
import { RUNAWAY_KINDS, buildRunaway } from "../runaway.js";
import { Asm } from "../x86-asm.js";

describe("x86 encoder: loop forms", () => {
  it("add dword [base+d], imm8; jmp and call to labels", () => {
    const asm = new Asm();
    const top = asm.label();
    asm.addMem32Imm8("r12", 4, 16).addMem32Imm8("rbx", 0x100, -1).jmp(top);
    const self = asm.label();
    asm.call(self);
    expect(disassemble(asm.code())).toEqual([
      "add dword ptr [r12+4],10h",
      "add dword ptr [rbx+100h],0FFFFFFFFh",
      "jmp 0", // back to the top (iced prints small targets unpadded)
      `call ${self.toString(16).toUpperCase().padStart(16, "0")}h`,
    ]);
  });
});

describe("runaway guests", () => {
  it("every kind links into an image with its code below the data segment", () => {
    for (const kind of RUNAWAY_KINDS) {
      const img = buildRunaway(kind, B);
      expect([...img.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    }
  });
});
