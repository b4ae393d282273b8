/**
 * Guest stores in a region's code through a cache per store site (cacheStores and the locals,
 * fills and resets it needs), and the test of whether an instruction's code touches memory only
 * through such stores. Apart from jit.ts because it rewrites generated code after the region is
 * assembled (jit-locals.ts's localize calls it) and knows nothing of instructions or regions.
 */

/**
 * Stores through a write cache per store site: `m.w8/w32/w64(a, ...)` becomes a direct write
 * into the page the site last wrote when `a` falls in it (and the access does not cross its
 * end). Anything else leaves the region *before the store's instruction*, which the
 * interpreter then runs (faulting precisely, copying a shared page, dropping decoded code: all
 * Memory's own work); the site remembers the page in `S` (one slot per site, the region's own),
 * and the next entry takes it from Memory's write TLB, whose pages are private, writable and
 * hold no code (see Memory.cachedWritePage). So no Memory call and no stale-code check sits in
 * a loop's path, and the cache locals do not change while the region runs: V8 keeps them (and
 * the page's bounds) out of the loop. Leaving before the instruction is exact because every
 * emitter does its memory accesses before it writes a register or the flags (see emit,
 * jit-emit.ts), and a store already done is done again with the same bytes. 16-bit stores, SSE
 * stores' range check and handlers still call Memory and set `sw` (the region's stale-code
 * check).
 */
export function cacheStores(body: string): { body: string; sites: number[] } {
  let out = "", i = 0;
  const sites: number[] = [];
  for (;;) {
    const j = body.indexOf("m.w", i);
    if (j < 0) break;
    const m = /^m\.w(8|32|64|16)\(/.exec(body.slice(j, j + 8));
    if (m === null || (j > 0 && /[\w.]/.test(body[j - 1]!))) { out += body.slice(i, j + 3); i = j + 3; continue; }
    // the argument list, split at top-level commas
    let depth = 0, k = j + m[0].length, start = k;
    const args: string[] = [];
    for (; ; k++) {
      const ch = body[k]!;
      if (ch === "(") depth++;
      else if (ch === ")") { if (depth === 0) break; depth--; }
      else if (ch === "," && depth === 0) { args.push(body.slice(start, k).trim()); start = k + 1; }
    }
    args.push(body.slice(start, k).trim());
    const end = body[k + 1] === ";" ? k + 2 : k + 1;
    const call = body.slice(j, k + 1);
    let code: string;
    if (m[1] === "16") code = `sw = true; ${call};`;
    else {
      const w = Number(m[1]) / 8, s = sites.length;
      sites.push(w);
      const fast = (o: string) => w === 1 ? `W${s}d[${o}] = ${args[1]};` : w === 4 ? `W${s}v.setInt32(${o}, ${args[1]}, true);` : `W${s}v.setInt32(${o}, ${args[1]}, true); W${s}v.setInt32(${o} + 4, ${args[2]}, true);`;
      const leave = `S[${s}] = Math.floor(A_w / 4096); c.rip = D[jk].addr; left -= jk - jb; break L;`;
      const slow = `{ const A_w = ${args[0]}; const p_w = Math.floor(A_w / 4096), o_w = A_w - p_w * 4096; if (p_w === W${s}n${w > 1 ? ` && o_w <= ${4096 - w}` : ""}) { ${fast("o_w")} } else { ${leave} } }`;
      const int = intAddress(args[0]!, w, `W${s}l`, `W${s}h`);
      // where the integer path misses, the double path's verdict (an address the double key
      // would have matched, through a carry or an index's high half, is rare)
      code = int === null ? slow : `{ ${int.pre}if (${int.hit}) { ${fast("(l_w & 4095)")} } else { const A_w = ${args[0]}; ${leave} } }`;
    }
    out += body.slice(i, j) + code;
    i = end;
  }
  out += body.slice(i);
  return { body: out.replaceAll("m.checkW(", "sw = true; m.checkW("), sites };
}

/**
 * The store sites' cache locals (see cacheStores), each keyed by its page number as a double
 * (`n`, NaN: empty) and as the int32 pair intAddress compares (`l`, the page number's low 20
 * bits, -1: empty; `h`, the address's high half), with the page's bytes and view.
 */
export function siteLocals(sites: number[]): string[] {
  return sites.flatMap((_w, s) => [`W${s}n = NaN`, `W${s}l = -1`, `W${s}h = 0`, `W${s}d = H.noBytes`, `W${s}v = H.noView`]);
}
/** Each site's cache filled from its remembered page, when Memory's write TLB still holds it. */
export function siteFills(sites: number[]): string {
  return sites.map((_w, s) => `{ const p = S[${s}], g = m.cachedWritePage(p); if (g !== null) { W${s}n = p; W${s}l = p % 1048576; W${s}h = Math.floor(p / 1048576); W${s}d = g.data; W${s}v = g.dv; } }\n`).join("");
}
/** Every site's cache emptied (after a handler, which may have changed any mapping). */
export function siteResets(sites: number[]): string {
  return sites.map((_w, s) => `W${s}n = NaN; W${s}l = -1; `).join("");
}

/** Does this instruction's code touch memory only through stores cacheStores serves (m.w8/w32/w64)? */
export function onlyCachedStores(code: string): boolean {
  return !/(?<![\w.])m\.(?!w(?:8|32|64)\()/.test(code);
}

/**
 * The store cache's integer path for an address eaExpr wrote (after localize): `pre` computes
 * `l_w`, the address's low 32 bits, in int32 arithmetic, and `hit` is true only when the whole
 * address is exactly wph * 2^32 + l_w (every high half the sum reads is the base's, the index
 * is below 2^32 after scaling, and no carry or borrow crosses bit 32) and that lies, all w
 * bytes, on the cached page. Anything else (a high half the index holds, a carry, a segment
 * base, an access across the page end) takes the double path, which computes the address as
 * the interpreter does. null: no integer path for this form.
 */
function intAddress(a: string, w: number, keyLo: string, keyHi: string): { pre: string; hit: string } | null {
  const fits = w > 1 ? ` && (l_w & 4095) <= ${4096 - w}` : "";
  if (/^-?\d+$/.test(a)) { // an absolute or RIP-relative address: its key is a constant
    const v = Number(a);
    if (!(v >= 0 && v < 2 ** 47) || v % 4096 > 4096 - w) return null; // (an access across the page end: Memory's)
    const h = Math.floor(v / 4294967296), l = v - h * 4294967296;
    return { pre: `const l_w = ${l | 0}; `, hit: `${keyLo} === ${l >>> 12} && ${keyHi} === ${h}` };
  }
  const m = /^(?:\(r(\d+)h \* 4294967296 \+ \(r\1l >>> 0\)\) \+ )?(-?\d+)(?: \+ \(r(\d+)h \* 4294967296 \+ \(r\3l >>> 0\)\) \* ([1248]))?$/.exec(a);
  if (m === null || (m[1] === undefined && m[3] === undefined)) return null;
  const base = m[1], disp = Number(m[2]), index = m[3], sh = [1, 2, 4, 8].indexOf(Number(m[4] ?? 1));
  const conds: string[] = [];
  let pre = "", u: string;
  if (index !== undefined) {
    conds.push(sh === 0 ? `r${index}h === 0` : `(r${index}h | (r${index}l >>> ${32 - sh})) === 0`);
    const scaled = sh === 0 ? `r${index}l` : `(r${index}l << ${sh})`;
    if (base !== undefined) { pre += `const t_w = (r${base}l + ${scaled}) | 0; `; conds.push(`(t_w >>> 0) >= (r${base}l >>> 0)`); u = "t_w"; }
    else u = scaled;
  } else u = `r${base}l`;
  pre += disp === 0 ? `const l_w = ${u} | 0; ` : `const l_w = (${u} + ${disp}) | 0; `;
  if (disp > 0) conds.push(`(l_w >>> 0) >= (${u} >>> 0)`);
  else if (disp < 0) conds.push(`(l_w >>> 0) <= (${u} >>> 0)`);
  return { pre, hit: [`(l_w >>> 12) === ${keyLo}`, base !== undefined ? `r${base}h === ${keyHi}` : `${keyHi} === 0`, ...conds].join(" && ") + fits };
}
