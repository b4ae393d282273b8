/**
 * A region's guest registers, budget, fault indices and lazy-flag record as JS locals (localize),
 * written back at every exit and around every handler call. Apart from jit.ts because it is one
 * rewrite of the assembled body, with its store caches (jit-access.ts), and reads nothing else.
 */
import { FOP_EAGER } from "./state.js";
import { cacheStores, siteFills, siteLocals, siteResets } from "./jit-access.js";

const LAZY_FLAGS = ["fop", "fw", "fa", "fah", "fb", "fbh", "fr", "frh", "fc"];
const UNSIGNED_FLAG = new Set(["fa", "fah", "fb", "fbh", "fr", "frh"]);

/**
 * Rewrite a region body so guest state lives in JS locals while it runs (V8 then keeps it in
 * machine registers and drops dead moves): each GPR half the region names (`lo[n]`, `hi[n]`)
 * becomes a local int32 (`rNl`, `rNh`, every write truncated as the typed array would), the
 * budget `c.left` and the fault indices `c.jb`/`c.jk` become locals. State is written back at
 * every exit, around every handler call (handlers read and write c.lo/c.hi: reloaded after),
 * and, when something throws (a guest fault), before rethrowing, so run() sees exactly what the
 * interpreter would have left. `hs` is set while a handler runs: registers are then already
 * in c (the handler may have changed them) and are not overwritten.
 */
export function localize(body: string, noCatch: boolean): { code: string; sites: number } {
  const name = (k: string, n: string) => `r${n}${k === "lo" ? "l" : "h"}`;
  const written = new Set<string>();
  body = body.replace(/(?<![\w.])(lo|hi)\[(\d+)\] = ([^;]*);/g, (_m, k: string, n: string, e: string) => {
    const v = name(k, n); written.add(v); return `${v} = (${e}) | 0;`;
  });
  const used = new Set<string>();
  body = body.replace(/(?<![\w.])(lo|hi)\[(\d+)\]/g, (_m, k: string, n: string) => { const v = name(k, n); used.add(v); return v; });
  for (const v of written) used.add(v);
  const arr = (v: string) => `${v.endsWith("l") ? "lo" : "hi"}[${v.slice(1, -1)}]`;
  const regsBack = [...written].map((v) => `${arr(v)} = ${v}; `).join("");
  const reload = [...used].map((v) => `${v} = ${arr(v)}; `).join("");
  body = body.replaceAll("c.left", "left").replaceAll("c.jb = ", "jb = ").replaceAll("c.jk = ", "jk = ");
  // the lazy-flag record: locals too, written back before the flag helpers read or replace it
  body = body.replace(/c\.(fop|fw|fa|fah|fb|fbh|fr|frh|fc)\b/g, (_m, f: string) => `F${f.slice(1)}`);
  // inside the region the record is int32 (what its producers compute); in CpuState it is
  // uint32, as flags.ts reads it
  const flagsBack = LAZY_FLAGS.map((f) => `c.${f} = F${f.slice(1)}${UNSIGNED_FLAG.has(f) ? " >>> 0" : ""}; `).join("");
  const flagsLoad = LAZY_FLAGS.map((f) => `F${f.slice(1)} = c.${f} | 0; `).join("");
  body = body.replaceAll("setArithF(c, ", `${flagsBack}Fop = ${FOP_EAGER}; setArithF(c, `);
  body = body.replaceAll("materializeF(c);", `${flagsBack}materializeF(c); Fop = ${FOP_EAGER};`);
  body = body.replace(/condF\(c, (\d+)\)/g, (call) => `(${flagsBack.replaceAll("; ", ", ")}${call})`);
  // one exit path (V8's compile time grows with every copy of the write-back)
  body = body.replaceAll("return 0;", "break L;");
  body = body.replace(/D\[(\d+)\]\.exec\(c, D\[\1\]\);/g, (call) => `{ ${regsBack}${flagsBack}hs = true; ${call} hs = false; ${reload}${flagsLoad}sw = true; @WRESET@}`);
  const cached = cacheStores(body);
  body = cached.body.replaceAll("@WRESET@", siteResets(cached.sites));
  const decl = [...used].map((v) => `${v} = ${arr(v)}`).concat(LAZY_FLAGS.map((f) => `F${f.slice(1)} = c.${f} | 0`),
    ["left = c.left", "jb = 0", "jk = 0", "hs = false", "sw = false"], siteLocals(cached.sites)).join(", ");
  const start = `let ${decl};\n${siteFills(cached.sites)}`, sites = cached.sites.length;
  // (a region whose only faulting accesses are cached stores cannot throw: see cacheStores, jit-access.ts)
  if (noCatch) return { code: `${start}${body}\n${regsBack}${flagsBack}c.left = left;\nreturn 0;\n`, sites };
  return { code: `${start}try {
${body}
} catch (e) { if (!hs) { ${regsBack}${flagsBack}} c.left = left; c.jb = jb; c.jk = jk; throw e; }
${regsBack}${flagsBack}c.left = left;
return 0;
`, sites };
}
