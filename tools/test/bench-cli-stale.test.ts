// The bench's CLI rows time a checkout's dist/: they are skipped, with the reason, when dist/ is
// missing or older than a file of the checkout it was built from (tools/bench/cli.ts).
import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliSkipReason } from "../bench/cli.js";

/** A fake checkout: dist/ built at second 1000 from src/a.ts, a node_modules file and a virtual module; each file's modification time given. */
function checkout(times: { src?: number; dep?: number; metafile?: boolean; dist?: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), "capos-bench-stale-"));
  const file = (rel: string, text: string, t: number) => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
    utimesSync(join(root, rel), t, t);
  };
  if (times.src !== undefined) file("src/a.ts", "export {};\n", times.src);
  if (times.dep !== undefined) file("node_modules/dep/index.js", "", times.dep);
  if (times.dist !== false) file("dist/tools/conform.js", "", 1000);
  if (times.metafile !== false && times.dist !== false) {
    file("dist/metafile.json", JSON.stringify({ inputs: { "src/a.ts": {}, "node_modules/dep/index.js": {}, "virtual:node:fs": {} }, outputs: {} }), 1000);
  }
  return root;
}

describe("the bench's CLI rows", () => {
  const cases: [string, Parameters<typeof checkout>[0], RegExp | null][] = [
    ["run when dist/ is newer than its sources", { src: 900, dep: 900 }, null],
    ["are skipped when a source changed after the build", { src: 1100, dep: 900 }, /dist is older than its source src\/a\.ts \(run `npm run build` there\)$/],
    ["are skipped when a source is gone", { dep: 900 }, /dist is older than its source src\/a\.ts \(gone\)/],
    ["ignore node_modules and virtual modules (a dependency's time says nothing of the checkout's code)", { src: 900, dep: 1100 }, null],
    ["are skipped when dist/ was never built", { src: 900, dist: false }, /dist is not built/],
    ["are skipped, saying it cannot tell, without a metafile", { src: 900, metafile: false }, /no metafile\.json, so whether it is current cannot be told/],
  ];
  for (const [name, times, want] of cases) {
    it(name, () => {
      const root = checkout(times);
      try {
        const why = cliSkipReason(root);
        if (want === null) expect(why).toBeNull();
        else expect(why).toMatch(want);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});
