/** iced-x86's reading of encoded bytes, one Intel-syntax line per instruction: the oracle for the encoder tests. */
import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from "iced-x86";

export function disassemble(code: Uint8Array): string[] {
  const decoder = new Decoder(64, code, DecoderOptions.None);
  const formatter = new Formatter(FormatterSyntax.Intel);
  const out: string[] = [];
  while (decoder.canDecode) {
    const insn = decoder.decode();
    out.push(formatter.format(insn));
    insn.free();
  }
  decoder.free();
  formatter.free();
  return out;
}
