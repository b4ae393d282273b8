/**
 * examples/qemu-kernel-wrapper.sh, the template a kernel developer copies, speaks the batch
 * protocol: driven by the batch adapter with a stand-in for QEMU that plays the guest side the
 * template documents (CONFORM-READY, CONFORM-RUN, CONFORM-RESULT), its answers come back as
 * the end states and Console bytes the guest reported.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { batchImplementation } from "../adapters/batch.js";
import { REPO_ROOT } from "../setup.js";

const scratch = mkdtempSync(join(tmpdir(), "qemu-template-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Boots noisily, then answers each image: a #PF for images starting with byte 1, else exit 0 with the image size as Console. */
const FAKE_QEMU = `#!/usr/bin/env bash
echo "SeaBIOS (fake)"; echo "kernel: booting"; echo CONFORM-READY
while read -r cmd b64; do
  [ "$cmd" = CONFORM-RUN ] || continue
  first=$(printf '%s' "$b64" | base64 -d | head -c1 | od -An -tu1 | tr -d ' ')
  size=$(printf '%s' "$b64" | base64 -d | wc -c)
  echo "kernel: spawned a process"
  if [ "$first" = 1 ]; then echo "CONFORM-RESULT 139 $(printf 'before fault\\n' | base64 -w0) #PF at 0x1000 write thread 1"
  else echo "CONFORM-RESULT 0 $(printf 'image of %d bytes\\n' "$size" | base64 -w0)"; fi
done
`;

describe("the QEMU wrapper template", () => {
  it("turns the guest's answers into protocol result lines", async () => {
    const qemu = join(scratch, "fake-qemu");
    writeFileSync(qemu, FAKE_QEMU, { mode: 0o755 });
    const wrapper = join(REPO_ROOT, "examples", "qemu-kernel-wrapper.sh");
    const impl = batchImplementation(`QEMU=${qemu} KERNEL=/boot/capos.elf VERSION='capOS test 1' bash ${wrapper}`, { timeoutMs: 20_000 });
    const ok = await impl.run(Uint8Array.of(0x7f, 2, 3, 4, 5));
    const pf = await impl.run(Uint8Array.of(1, 2));
    await impl.close!();
    expect(ok.end).toEqual({ kind: "exit", code: 0 });
    expect(Buffer.from(ok.console).toString()).toBe("image of 5 bytes\n");
    expect(pf.end).toEqual({ kind: "fault", fault: "#PF", addr: 0x1000n, access: "write", thread: 1 });
    expect(Buffer.from(pf.console).toString()).toBe("before fault\n");
    expect(impl.version).toBe("capOS test 1");
  });
});
