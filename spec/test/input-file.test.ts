/**
 * Files a user names are read only when they are regular files within a size limit: a FIFO
 * blocked run-elf forever and /dev/zero read past 3 GB before (issue 17).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputFileError, readInputFile } from "../input-file.js";
import { BindingError, loadBindingFile } from "../binding-file.js";

const dir = mkdtempSync(join(tmpdir(), "capos-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputFileError);
    return (e as InputFileError).problem;
  }
  throw new Error("expected an InputFileError");
}

describe("readInputFile", () => {
  it("reads a regular file exactly", () => {
    const p = join(dir, "ok.bin");
    writeFileSync(p, Uint8Array.from([1, 2, 3, 250]));
    expect([...readInputFile(p)]).toEqual([1, 2, 3, 250]);
  });
  it("refuses a FIFO without blocking", () => {
    const p = join(dir, "fifo");
    execFileSync("mkfifo", [p]);
    expect(problemOf(() => readInputFile(p))).toMatch(/not a regular file \(a FIFO\)/);
  });
  it("refuses /dev/zero and directories", () => {
    expect(problemOf(() => readInputFile("/dev/zero"))).toMatch(/character device/);
    expect(problemOf(() => readInputFile(dir))).toMatch(/directory/);
  });
  it("refuses a file over the limit and a missing file", () => {
    const p = join(dir, "big.bin");
    writeFileSync(p, new Uint8Array(1001));
    expect(problemOf(() => readInputFile(p, { maxBytes: 1000 }))).toMatch(/1001 bytes, over the limit of 1000/);
    expect(readInputFile(p, { maxBytes: 1001 }).length).toBe(1001);
    expect(problemOf(() => readInputFile(join(dir, "missing")))).toMatch(/ENOENT/);
  });
  it("a binding file that is /dev/zero is a BindingError, not a 3 GB read", () => {
    expect(() => loadBindingFile("/dev/zero")).toThrow(BindingError);
    expect(() => loadBindingFile("/dev/zero")).toThrow(/character device/);
  });
});
