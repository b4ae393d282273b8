/**
 * Reading a file a user names (an ELF, a binding, an expectations or adapter file).
 *
 * Only regular files, and only up to a size limit: a FIFO would block the harness forever and
 * `/dev/zero` would read until memory runs out. The file is opened non-blocking and checked
 * with fstat on the open descriptor, so it cannot be swapped for another kind between the
 * check and the read.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export class InputFileError extends Error {
  override readonly name = "InputFileError";
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
  }
}

export interface ReadLimits {
  /** Largest accepted size in bytes. */
  readonly maxBytes: number;
}

export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** The bytes of a regular file no larger than `maxBytes`, or an InputFileError saying why not. */
export function readInputFile(path: string, limits: ReadLimits = { maxBytes: DEFAULT_MAX_INPUT_BYTES }): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    throw new InputFileError(path, `cannot be opened: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputFileError(path, `is not a regular file (${kindOf(st)})`);
    if (st.size > limits.maxBytes) throw new InputFileError(path, `is ${st.size} bytes, over the limit of ${limits.maxBytes}`);
    // Read at most one byte past the limit, so a file that grows while we read is caught too.
    const buf = new Uint8Array(Math.min(st.size, limits.maxBytes) + 1);
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) {
        if (n > limits.maxBytes) throw new InputFileError(path, `grew past the limit of ${limits.maxBytes} bytes while being read`);
        break;
      }
    }
    return buf.slice(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The text of such a file, as UTF-8. */
export function readInputText(path: string, limits?: ReadLimits): string {
  return new TextDecoder().decode(readInputFile(path, limits));
}

function kindOf(st: import("node:fs").Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a file";
}
