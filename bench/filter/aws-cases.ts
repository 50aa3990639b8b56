/** The AWS-recorded filter cases (shared/conformance/filter-cases.jsonl), run through any matcher. */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { MatcherUnderTest } from "./matchers.js";

export const AWS_CASES_FILE = resolve(import.meta.dirname, "../../../shared/conformance/filter-cases.jsonl");

export interface AwsCase {
  name: string;
  pattern: Record<string, unknown>;
  /** The pattern's original text, for the cases recorded with it (duplicate keys, escapes). */
  patternText: string | undefined;
  event: unknown;
  match: boolean;
}

export function loadAwsCases(file = AWS_CASES_FILE): AwsCase[] | undefined {
  if (!existsSync(file)) return undefined;
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const c = JSON.parse(line) as Record<string, unknown>;
      const patternText = typeof c.pattern_raw === "string" ? c.pattern_raw : undefined;
      return {
        name: String(c.name),
        pattern: (patternText !== undefined ? JSON.parse(patternText) : c.pattern) as Record<string, unknown>,
        patternText,
        event: typeof c.event_raw === "string" ? JSON.parse(c.event_raw) : c.event,
        match: c.match === true,
      };
    });
}

const EVENTBRIDGE_KEYS = new Set(["source", "detail-type", "detail"]);

export interface CaseOutcome {
  right: number;
  total: number;
  /** The same, over the cases whose pattern names only `source`, `detail-type` and `detail` at the top. */
  eventBridgeShaped: { right: number; total: number };
  /** Cases answered wrongly: expected result, and "threw" when the matcher threw instead of answering. */
  wrong: { name: string; expected: boolean; got: boolean | "threw" }[];
}

export function runAwsCases(matcher: MatcherUnderTest, cases: AwsCase[]): CaseOutcome {
  const outcome: CaseOutcome = {
    right: 0,
    total: cases.length,
    eventBridgeShaped: { right: 0, total: 0 },
    wrong: [],
  };
  for (const c of cases) {
    let got: boolean | "threw";
    try {
      got = matcher.runCase
        ? matcher.runCase(c.pattern, c.patternText, c.event)
        : matcher.compile(c.pattern)(c.event);
    } catch {
      got = "threw";
    }
    const shaped = Object.keys(c.pattern).every((key) => EVENTBRIDGE_KEYS.has(key));
    if (shaped) outcome.eventBridgeShaped.total++;
    if (got === c.match) {
      outcome.right++;
      if (shaped) outcome.eventBridgeShaped.right++;
    } else outcome.wrong.push({ name: c.name, expected: c.match, got });
  }
  return outcome;
}
