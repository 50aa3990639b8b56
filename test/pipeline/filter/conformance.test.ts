import { describe, expect, it } from "vitest";
import { compilePattern, InvalidPatternError } from "../../../src/pipeline/filter/index.js";
import { conformanceText } from "../../helpers/conformance.js";

const conformance = (file: string) =>
  conformanceText(file)
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const matchCases = conformance("filter-cases.jsonl");
const invalidCases = conformance("filter-invalid-cases.jsonl");

describe("AWS-recorded matches", () => {
  it("has every case", () => expect(matchCases.length).toBeGreaterThanOrEqual(127));

  for (const c of matchCases) {
    it(`${c.name} → ${c.match}`, () => {
      // Raw cases keep the original text: duplicate keys and escapes must be read as AWS reads them.
      const pattern = typeof c.pattern_raw === "string" ? c.pattern_raw : (c.pattern as object);
      const event = typeof c.event_raw === "string" ? JSON.parse(c.event_raw) : c.event;
      expect(compilePattern(pattern)(event)).toBe(c.match);
    });
  }
});

describe("AWS-recorded invalid patterns", () => {
  for (const c of invalidCases) {
    it(String(c.name), () => {
      let error: unknown;
      try {
        compilePattern(c.pattern as object);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(InvalidPatternError);
      expect((error as Error).message).toBe(c.message);
      // The same pattern given as text fails the same way.
      expect(() => compilePattern(JSON.stringify(c.pattern))).toThrow(c.message as string);
    });
  }
});
