/**
 * Writes every report format for one run. All four documents are rendered in memory first, so
 * a renderer that throws leaves every old report untouched; each file is then written
 * atomically (temp file in the same directory, fsync, rename over the old one), so a reader
 * never sees a half-written report and a failed write leaves the old file and no temp file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import type { ConformanceRun } from "./types.js";
import { renderCtrf } from "./ctrf.js";
import { renderJUnit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import { renderHtml } from "./html.js";

export type ReportFormat = "json" | "junit" | "markdown" | "html";

export interface ReportPaths {
  /** CTRF JSON. */
  readonly json: string;
  readonly junit: string;
  readonly markdown: string;
  readonly html: string;
}

export interface WriteReportsOptions {
  /** File name stem; default "conformance" (conformance.ctrf.json, .junit.xml, .md, .html). */
  readonly basename?: string;
  /** Include clause statements where a format can show them (CTRF extra, Markdown, HTML). */
  readonly statements?: boolean;
  /** Replace a renderer (used by tests; also handy for custom layouts). */
  readonly renderers?: Partial<Record<ReportFormat, (run: ConformanceRun) => string>>;
}

const TEMP_PREFIX = ".tmp-";

/** Temp files this module leaves only if the process dies mid-write start with this. */
export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

/** Write `data` to `path` atomically: temp file in the same directory, fsync, rename. */
export function writeFileAtomic(path: string, data: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${TEMP_PREFIX}${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "wx", 0o644);
    const buf = Buffer.from(data, "utf8");
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* never created or already renamed */
    }
    throw err;
  }
  // Make the rename itself durable where the platform allows fsync on a directory.
  try {
    const dfd = openSync(dir, "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* not supported (e.g. Windows); the rename is still atomic */
  }
}

export function writeReports(run: ConformanceRun, outDir = "reports/out", options: WriteReportsOptions = {}): ReportPaths {
  const stem = options.basename ?? "conformance";
  if (stem === "" || /[\\/]/.test(stem) || isTempName(stem)) throw new Error(`invalid report basename ${JSON.stringify(stem)}`);
  const statements = options.statements;
  const r = options.renderers ?? {};
  const paths: ReportPaths = {
    json: join(outDir, `${stem}.ctrf.json`),
    junit: join(outDir, `${stem}.junit.xml`),
    markdown: join(outDir, `${stem}.md`),
    html: join(outDir, `${stem}.html`),
  };
  // Render everything before touching the disk.
  const docs: Record<ReportFormat, string> = {
    json: (r.json ?? ((x) => renderCtrf(x, statements !== undefined ? { statements } : {})))(run),
    junit: (r.junit ?? renderJUnit)(run),
    markdown: (r.markdown ?? ((x) => renderMarkdown(x, statements !== undefined ? { statements } : {})))(run),
    html: (r.html ?? ((x) => renderHtml(x, statements !== undefined ? { statements } : {})))(run),
  };
  mkdirSync(outDir, { recursive: true });
  for (const f of ["json", "junit", "markdown", "html"] as const) writeFileAtomic(paths[f], docs[f]);
  return paths;
}
