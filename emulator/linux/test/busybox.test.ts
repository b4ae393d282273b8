/**
 * Debian busybox-static applets under the Linux personality vs the same binary run natively:
 * stdout bytes and exit status must be identical.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { BUSYBOX, busyboxSkipReason, makeInputs, runNative } from "./harness.js";
import { runLinuxElf } from "../process.js";
import { readFileSync } from "node:fs";

let dir = "";
let elf: Uint8Array | null = null;
beforeAll(() => {
  if (busyboxSkipReason()) return;
  dir = mkdtempSync(path.join(tmpdir(), "capos-bb-"));
  const inputs = makeInputs();
  for (const [n, b] of Object.entries(inputs)) writeFileSync(path.join(dir, n), b);
  // compressed inputs made by the host busybox itself (no dependency on host gzip/xz)
  for (const [tool, ext] of [["gzip", "gz"], ["bzip2", "bz2"], ["xz", "xz"]] as const) {
    const r = spawnSync(BUSYBOX, [tool, "-c", path.join(dir, "text.txt")]);
    if (r.status === 0 && r.stdout.length > 0) writeFileSync(path.join(dir, `text.txt.${ext}`), r.stdout);
    else {
      // busybox has no xz compressor: fall back to the host tool when present
      const h = spawnSync(tool, ["-c", path.join(dir, "text.txt")]);
      if (!h.error && h.status === 0 && h.stdout.length > 0) writeFileSync(path.join(dir, `text.txt.${ext}`), h.stdout);
    }
  }
  elf = new Uint8Array(readFileSync(BUSYBOX));
});

const F = (n: string) => path.join(dir, n);
const cases: { name: string; args: () => string[]; stdin?: () => Uint8Array; needs?: string }[] = [
  { name: "sha256sum", args: () => ["sha256sum", F("rand.bin")] },
  { name: "md5sum", args: () => ["md5sum", F("text.txt")] },
  { name: "sha512sum", args: () => ["sha512sum", F("rand.bin")] },
  { name: "base64", args: () => ["base64", F("rand.bin")] },
  { name: "sort", args: () => ["sort", F("text.txt")] },
  { name: "sort -n", args: () => ["sort", "-n", F("nums.txt")] },
  { name: "wc", args: () => ["wc", F("text.txt")] },
  { name: "sed", args: () => ["sed", "-e", "s/[aeiou]/X/g", F("text.txt")] },
  { name: "grep -c -E", args: () => ["grep", "-c", "-E", "^[a-m]+ [n-z]+", F("text.txt")] },
  { name: "awk word count", args: () => ["awk", "{for(i=1;i<=NF;i++)c[$i]++} END{n=0; for(w in c) if(c[w]>n){n=c[w];b=w}; print b, n, NR}", F("text.txt")] },
  { name: "awk float", args: () => ["awk", "BEGIN{s=0; for(i=1;i<=2000;i++) s+=1/i; printf \"%.12f %g %e\\n\", s, s*1e10, sqrt(2)}"] },
  { name: "gzip -c", args: () => ["gzip", "-c", F("text.txt")] },
  { name: "gunzip -c", args: () => ["gunzip", "-c", F("text.txt.gz")], needs: "text.txt.gz" },
  { name: "bzip2 -c", args: () => ["bzip2", "-c", F("text.txt")] },
  { name: "bunzip2 -c", args: () => ["bunzip2", "-c", F("text.txt.bz2")], needs: "text.txt.bz2" },
  { name: "xzcat", args: () => ["xzcat", F("text.txt.xz")], needs: "text.txt.xz" },
  { name: "expr", args: () => ["expr", "3", "+", "4"] },
  { name: "expr false", args: () => ["expr", "3", "=", "4"] },
  { name: "sh -c", args: () => ["sh", "-c", "echo a; echo b; x=$((6*7)); echo $x; exit 3"] },
  { name: "echo", args: () => ["echo", "hello", "world"] },
  { name: "cat stdin", args: () => ["cat"], stdin: () => makeInputs()["text.txt"]! },
  { name: "tr stdin", args: () => ["tr", "a-z", "A-Z"], stdin: () => makeInputs()["text.txt"]! },
  { name: "seq", args: () => ["seq", "1", "300"] },
  { name: "printf", args: () => ["printf", "%d %x %o %s %5.2f\\n", "42", "255", "8", "str", "3.14159"] },
  { name: "false", args: () => ["false"] },
  { name: "cmp differ", args: () => ["cmp", F("text.txt"), F("nums.txt")] },
];

describe("busybox applets vs native", () => {
  for (const c of cases) {
    it(c.name, (ctx) => {
      const why = busyboxSkipReason();
      if (why) ctx.skip(why);
      if (c.needs && !existsSync(F(c.needs))) ctx.skip(`input ${c.needs} could not be created (no compressor on the host)`);
      const args = c.args();
      const stdin = c.stdin?.();
      const nat = runNative(BUSYBOX, args, stdin, dir);
      const emu = runLinuxElf(elf!, { argv: ["busybox", ...args], stdin, maxInsns: 3e9, allowHostFiles: true });
      expect(emu.verdict).toEqual({ kind: "exit", status: nat.status });
      expect(Buffer.from(emu.stdout).equals(nat.stdout), `stdout differs for ${args.join(" ")}`).toBe(true);
      console.log(`[insns] busybox ${c.name}: ${emu.insns}`);
    });
  }
});
