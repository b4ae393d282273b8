/**
 * The HTML report in a real headless browser: for `run --mutant lost-wake` the failure, what
 * the model allowed and the timeline of the counterexample are on the first screen (their
 * bounding boxes inside a 1280x800 viewport), the timeline has a bar per op with the
 * unexplained ones marked, and a screenshot is saved next to the report.
 * Needs Chromium (/usr/bin/chromium or CHROMIUM=path); skipped with the reason when missing.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { chromium } from "playwright-core";
import { main } from "../cli/main.js";

const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";
const VIEWPORT = { width: 1280, height: 800 };

describe("HTML report in a browser", () => {
  it("shows the lost-wake failure and its timeline on the first screen", async (ctx) => {
    if (!existsSync(CHROMIUM)) return ctx.skip(`no Chromium at ${CHROMIUM} (set CHROMIUM=path)`);
    const out = mkdtempSync(join(tmpdir(), "capos-conform-html-"));
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    let status: number;
    try {
      status = await main(["node", "capos-conform", "run", "--mutant", "lost-wake", "--filter", "^park\\.races$", "--out", out]);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    expect(status).toBe(1);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    try {
      const page = await browser.newPage({ viewport: VIEWPORT });
      await page.goto(pathToFileURL(join(out, "conformance.html")).href);
      const box = async (selector: string) => {
        const b = await page.locator(selector).first().boundingBox();
        expect(b, selector).not.toBeNull();
        return b!;
      };
      for (const selector of ["#failure-0 h3", "#failure-0 .unexplained", "#failure-0 ul.allowed", "#failure-0 svg.timeline"]) {
        const b = await box(selector);
        expect(b.y, selector).toBeGreaterThanOrEqual(0);
        expect(b.y + b.height, `${selector} ends inside the first screen`).toBeLessThanOrEqual(VIEWPORT.height);
        expect(b.x + b.width, selector).toBeLessThanOrEqual(VIEWPORT.width);
      }
      expect(await page.locator("#failure-0 h3 code").textContent()).toBe("park.races");
      // The lost wake leaves a parked waiter the model expected to be woken: a PARK outcome is among the allowed ones.
      expect(await page.locator("#failure-0 ul.allowed").textContent()).toMatch(/PARK\(word@.*\) → /);
      const bars = await page.locator("#failure-0 svg.timeline g.op").count();
      expect(bars).toBeGreaterThanOrEqual(3);
      expect(await page.locator("#failure-0 svg.timeline g.op.unexplained").count()).toBeGreaterThanOrEqual(1);
      // The clause matrix follows the failures and lists clauses no property checks.
      expect(await page.locator("#clauses tr.uncovered").count()).toBeGreaterThan(0);
      const shot = join(out, "conformance.png");
      await page.screenshot({ path: shot });
      console.info(`screenshot: ${shot}`);
    } finally {
      await browser.close();
    }
    // The run shrinks a schedule-dependent failure: minutes on a loaded two-core machine.
  }, 600_000);
});
