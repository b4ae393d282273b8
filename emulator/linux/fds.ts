/**
 * File descriptors of the test personality: stdin from a buffer, stdout/stderr collected,
 * host regular files opened read-only (contents snapshotted at open).
 */
import { readFileSync, statSync } from "node:fs";

export interface OpenFile {
  readonly kind: "stdin" | "stdout" | "stderr" | "file";
  readonly data: Uint8Array;
  pos: number;
  readonly path: string;
  readonly size: number;
  readonly mtimeSec: number;
}

export class FdTable {
  readonly fds = new Map<number, OpenFile>();
  constructor(stdin: Uint8Array, readonly allowHost: boolean) {
    this.fds.set(0, { kind: "stdin", data: stdin, pos: 0, path: "<stdin>", size: 0, mtimeSec: 0 });
    this.fds.set(1, { kind: "stdout", data: new Uint8Array(0), pos: 0, path: "<stdout>", size: 0, mtimeSec: 0 });
    this.fds.set(2, { kind: "stderr", data: new Uint8Array(0), pos: 0, path: "<stderr>", size: 0, mtimeSec: 0 });
  }
  get(fd: number): OpenFile | undefined { return this.fds.get(fd); }
  lowestFree(from = 0): number { let fd = from; while (this.fds.has(fd)) fd++; return fd; }
  /** Open a host regular file read-only; returns fd or negative errno. */
  openHost(path: string): number {
    if (!this.allowHost) return -13; // EACCES
    try {
      const st = statSync(path);
      if (st.isDirectory()) return -21; // EISDIR (directories are not supported)
      if (!st.isFile()) return -13;
      const data = new Uint8Array(readFileSync(path));
      const fd = this.lowestFree(3);
      this.fds.set(fd, { kind: "file", data, pos: 0, path, size: data.length, mtimeSec: Math.floor(st.mtimeMs / 1000) });
      return fd;
    } catch {
      return -2; // ENOENT
    }
  }
  statHost(path: string): { size: number; mtimeSec: number; dir: boolean } | null {
    if (!this.allowHost) return null;
    try { const st = statSync(path); return { size: st.size, mtimeSec: Math.floor(st.mtimeMs / 1000), dir: st.isDirectory() }; } catch { return null; }
  }
}
