/**
 * The option parsers' accepted forms (tools/cli/parse.ts). Their rejections are checked through
 * the whole command line in cli-usage.test.ts; here, that a valid value reads as its documented
 * meaning: a bare duration is seconds, a torture seed is the unsigned number it prints.
 */
import { describe, expect, it } from "vitest";
import { parseDuration, parseIndexList, parseNonNegativeInt, parsePositiveNumber, parseUint32Seed } from "../cli/parse.js";

describe("option parsers", () => {
  it("a duration is ms, s, m or h; a bare number is seconds", () => {
    expect([parseDuration("500ms"), parseDuration("90s"), parseDuration("5m"), parseDuration("1h"), parseDuration("7")]).toEqual([500, 90_000, 300_000, 3_600_000, 7_000]);
    for (const bad of ["0", "5x", "-1s", "1.5m", ""]) expect(() => parseDuration(bad), bad).toThrow(/duration/);
  });

  it("indices and index lists are whole numbers, 0 allowed", () => {
    expect(parseNonNegativeInt("0")).toBe(0);
    expect(parseIndexList("3,17,250")).toEqual([3, 17, 250]);
    for (const bad of ["-1", "1.5", "", "1,", ",1", "1,,2", "1 2"]) expect(() => parseIndexList(bad), bad).toThrow();
  });

  it("a torture seed covers the whole unsigned 32-bit range it is printed in", () => {
    expect([parseUint32Seed("0"), parseUint32Seed("4294967295"), parseUint32Seed("3246291526")]).toEqual([0, 4294967295, 3246291526]);
    for (const bad of ["4294967296", "-1", "0x10", "1e3"]) expect(() => parseUint32Seed(bad), bad).toThrow(/0 to 4294967295/);
  });

  it("a scale is a positive decimal, and reads back what String() makes of one (mutants hands it to its workers so)", () => {
    expect([parsePositiveNumber("0.25"), parsePositiveNumber("2"), parsePositiveNumber(".5"), parsePositiveNumber("3."), parsePositiveNumber("1e3")]).toEqual([0.25, 2, 0.5, 3, 1000]);
    for (const x of [1e-7, 0.25, 3, 1e21]) expect(parsePositiveNumber(String(x))).toBe(x);
    for (const bad of ["0", "0.0", "-1", "0e5", "1e999", "Infinity", "NaN", "0x10", ""]) expect(() => parsePositiveNumber(bad), bad).toThrow(/greater than 0/);
  });
});
