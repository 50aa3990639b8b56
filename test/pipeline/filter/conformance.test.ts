/**
 * Every filter case recorded against AWS (conformance/filter-cases.jsonl: EventBridge TestEventPattern, PutRule +
 * PutEvents, and Lambda ESM filtering on SQS, Kinesis and DynamoDB) and every invalid pattern with AWS's exact
 * reason (filter-invalid-cases.jsonl). The ESM cases' events are already in the filtering view.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compilePattern, InvalidPatternError } from "../../../src/pipeline/filter/index.js";

const conformance = (file: string) =>
  readFileSync(resolve(import.meta.dirname, "../../../../shared/conformance", file), "utf8")
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
