/**
 * Writes every report format for one run. All four documents are rendered in memory first, so
 * a renderer that throws leaves every old report untouched; each file is then written
 * atomically (temp file in the same directory, fsync, rename over the old one), so a reader
 * never sees a half-written report and a failed write leaves the old file and no temp file.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import type { ConformanceRun, PropertyResult } from "./types.js";
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

function renderAll(run: ConformanceRun, options: WriteReportsOptions): Record<ReportFormat, string> {
  const statements = options.statements;
  const r = options.renderers ?? {};
  return {
    json: (r.json ?? ((x) => renderCtrf(x, statements !== undefined ? { statements } : {})))(run),
    junit: (r.junit ?? renderJUnit)(run),
    markdown: (r.markdown ?? ((x) => renderMarkdown(x, statements !== undefined ? { statements } : {})))(run),
    html: (r.html ?? ((x) => renderHtml(x, statements !== undefined ? { statements } : {})))(run),
  };
}

export function writeReports(run: ConformanceRun, outDir = "reports/out", options: WriteReportsOptions = {}): ReportPaths {
  return writeRendered(outDir, options, renderAll(run, options));
}

function writeRendered(outDir: string, options: WriteReportsOptions, docs: Record<ReportFormat, string>): ReportPaths {
  const stem = options.basename ?? "conformance";
  if (stem === "" || /[\\/]/.test(stem) || isTempName(stem)) throw new Error(`invalid report basename ${JSON.stringify(stem)}`);
  const paths: ReportPaths = {
    json: join(outDir, `${stem}.ctrf.json`),
    junit: join(outDir, `${stem}.junit.xml`),
    markdown: join(outDir, `${stem}.md`),
    html: join(outDir, `${stem}.html`),
  };
  mkdirSync(outDir, { recursive: true });
  for (const f of ["json", "junit", "markdown", "html"] as const) writeFileAtomic(paths[f], docs[f]);
  return paths;
}

/** The folder under a report directory that holds one JSON artefact per failure. */
export const FAILURES_DIR = "failures";

function artefactName(r: PropertyResult): string {
  return `${r.property}.${r.failure!.seed}.json`;
}

/** The run with each failure's artefact path (under `outDir`/failures) filled in. */
export function withArtefactPaths(run: ConformanceRun, outDir: string): ConformanceRun {
  return {
    ...run,
    results: run.results.map((r) => (r.failure ? { ...r, failure: { ...r.failure, artefact: join(outDir, FAILURES_DIR, artefactName(r)) } } : r)),
  };
}

/**
 * Replace `outDir`/failures with exactly this run's failure artefacts (none: no folder), as one
 * set: the new files are written to a temp folder that is renamed into place, then the old
 * folder is removed. A symlink at failures/ is removed, never followed; on an error the temp
 * folder is removed and the old artefacts stay.
 */
export function replaceFailureArtefacts(run: ConformanceRun, outDir: string): string[] {
  const dir = join(outDir, FAILURES_DIR);
  const failed = run.results.filter((r) => r.failure);
  mkdirSync(outDir, { recursive: true });
  const suffix = `${process.pid}.${randomBytes(6).toString("hex")}`;
  const staging = join(outDir, `${TEMP_PREFIX}${FAILURES_DIR}.${suffix}`);
  const old = join(outDir, `${TEMP_PREFIX}${FAILURES_DIR}-old.${suffix}`);
  const written: string[] = [];
  try {
    if (failed.length > 0) {
      mkdirSync(staging);
      for (const r of failed) {
        const body = { property: r.property, clauses: r.clauses, implementation: run.implementation.id, ...r.failure, artefact: join(dir, artefactName(r)) };
        writeFileSync(join(staging, artefactName(r)), JSON.stringify(body, null, 2) + "\n", { flag: "wx" });
        written.push(body.artefact);
      }
    }
    let existing: ReturnType<typeof lstatSync> | undefined;
    try {
      existing = lstatSync(dir);
    } catch {
      existing = undefined;
    }
    if (existing?.isSymbolicLink()) unlinkSync(dir);
    else if (existing) renameSync(dir, old);
    if (failed.length > 0) renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
  return written;
}

/**
 * A run's whole output as one set: every report rendered first, then the failure artefacts
 * replaced, then the reports written.
 */
export function writeRunOutputs(run: ConformanceRun, outDir: string, options: WriteReportsOptions = {}): { paths: ReportPaths; artefacts: string[]; run: ConformanceRun } {
  const withPaths = withArtefactPaths(run, outDir);
  const docs = renderAll(withPaths, options);
  const artefacts = replaceFailureArtefacts(withPaths, outDir);
  return { paths: writeRendered(outDir, options, docs), artefacts, run: withPaths };
}
