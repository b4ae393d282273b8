/**
 * Native vs emulator throughput on the same properties, measured in one run, alternating
 * (emulator, native batch, native per-case, emulator, ...) with the same seed per round, so
 * every implementation judges the very same cases. Prints cases per second (median of the
 * rounds) with the oracle's time included (what a user waits), then the implementation's own
 * time per case (inside Implementation.run: load, run, end), and the ratios to the emulator.
 *
 *   npx tsx native/bench.ts [--rounds 3] [--runs 60] [property ...]
 */
import { DEFAULT_BINDING } from "../spec/binding.js";
import { ALL_PROPERTIES } from "../properties/index.js";
import { emulatorImplementation } from "../runner/adapters/emulator.js";
import { nativeImplementation } from "../runner/adapters/native.js";
import type { Implementation } from "../spec/implementation.js";
import { runConformance } from "../runner/run.js";
import { resolveAgent } from "../runner/setup.js";

const argv = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  argv.splice(i, 2);
  return v;
};
const rounds = flag("--rounds", 3);
const runs = flag("--runs", 60);
const properties = argv.length > 0 ? argv : ["tls.generated-layouts", "vm.sequences", "timer.monotonic", "ring.hostile-batches"];

/** Wraps an implementation so that the time spent inside run() is added up. */
function timed(impl: Implementation): { impl: Implementation; ms: () => number; reset: () => void } {
  let total = 0;
  return {
    impl: {
      ...impl,
      async run(image, options) {
        const t0 = performance.now();
        try {
          return await impl.run(image, options);
        } finally {
          total += performance.now() - t0;
        }
      },
    },
    ms: () => total,
    reset: () => void (total = 0),
  };
}

const impls: [string, ReturnType<typeof timed>][] = [
  ["emulator", timed(await emulatorImplementation({ binding: DEFAULT_BINDING }))],
  ["native (batch)", timed(nativeImplementation())],
  ["native (per case)", timed(nativeImplementation({ batch: false }))],
];
const agent = resolveAgent();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`cases per second, median of ${rounds} alternating rounds of ${runs} cases (seed = round)`);
console.log(["property", ...impls.map(([n]) => `${n}: cases/s, impl ms/case`), "native batch / emulator (cases/s, impl time)"].join(" | "));
for (const property of properties) {
  const rates: number[][] = impls.map(() => []);
  const implMs: number[][] = impls.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < impls.length; k++) {
      const t0 = performance.now();
      impls[k]![1].reset();
      const r = await runConformance({
        impl: impls[k]![1].impl,
        binding: DEFAULT_BINDING,
        bindingName: "default",
        agent,
        properties: ALL_PROPERTIES,
        seed: 1000 + round,
        runs,
        filter: new RegExp(`^${property.replace(/\./g, "\\.")}$`),
      });
      const ms = performance.now() - t0;
      const res = r.results[0];
      if (!res || res.status !== "passed") throw new Error(`${property} on ${impls[k]![0]}: ${res?.status ?? "not found"}`);
      rates[k]!.push((res.runs * 1000) / ms);
      implMs[k]!.push(impls[k]![1].ms() / res.runs);
    }
  }
  const med = rates.map(median);
  const per = implMs.map(median);
  const cells = med.map((x, k) => `${x.toFixed(1)}, ${per[k]!.toFixed(2)}`);
  console.log([property, ...cells, `${(med[1]! / med[0]!).toFixed(2)}x, ${(per[0]! / per[1]!).toFixed(1)}x`].join(" | "));
}
