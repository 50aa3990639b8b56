/**
 * Our own cases for every operator of the event pattern language, beyond the AWS-recorded ones in
 * conformance.test.ts. Where the expected answer is not one AWS recorded, it follows the EventBridge / Lambda
 * documentation or the code of aws/event-ruler (the open-source engine behind EventBridge patterns); tests that
 * rest on event-ruler's code say so in a comment. No test asserts timing: the "bad input" cases only check
 * that matching completes and gives the right answer.
 */
import { describe, expect, it } from "vitest";
import { compilePattern, InvalidPatternError } from "../../../src/pipeline/filter/index.js";

type Pattern = string | object;

const matches = (pattern: Pattern, event: unknown): boolean => compilePattern(pattern)(event);

/** The error compiling `pattern` raises; fails the test when the pattern is accepted. */
function refusal(pattern: Pattern): InvalidPatternError {
  try {
    compilePattern(pattern);
  } catch (err) {
    if (err instanceof InvalidPatternError) return err;
    throw err;
  }
  const text = typeof pattern === "string" ? pattern : JSON.stringify(pattern);
  throw new Error(`the pattern was accepted, but should be refused: ${text.slice(0, 200)}`);
}

/** The pattern is refused with exactly `reason`, given as an object and as JSON text alike. */
function expectRefused(pattern: object, reason: string): void {
  const err = refusal(pattern);
  expect(err.reason).toBe(reason);
  expect(err.message).toBe(`Event pattern is not valid. Reason: ${reason}`);
  expect(refusal(JSON.stringify(pattern)).reason).toBe(reason);
}

/** `{key: {key: ... leaf}}`, `depth` objects deep, built without recursion. */
function nest(depth: number, key: string, leaf: unknown): Record<string, unknown> {
  let node: unknown = leaf;
  for (let i = 0; i < depth; i++) node = { [key]: node };
  return node as Record<string, unknown>;
}

/** `leaf` wrapped in `depth` arrays, built without recursion. */
function wrapInArrays(depth: number, leaf: unknown): unknown {
  let node: unknown = leaf;
  for (let i = 0; i < depth; i++) node = [node];
  return node;
}

/** A field rule `{ f: [rule] }` and its matcher, for the operator sections. */
const rule = (r: unknown) => compilePattern({ f: [r] });

describe("compilePattern input", () => {
  it("compiles a pattern given as JSON text the same as the parsed object", () => {
    const text = ' {\n  "a" : [ "x" ] ,\n "b": { "c": [ 1 ] } }\t';
    const event = { a: "x", b: { c: 1 } };
    expect(matches(text, event)).toBe(true);
    expect(matches(JSON.parse(text) as object, event)).toBe(true);
    expect(matches(text, { a: "x", b: { c: 2 } })).toBe(false);
  });

  it("returns a matcher that can be reused across many events", () => {
    const matcher = compilePattern({ a: ["x"] });
    expect([{ a: "x" }, { a: "y" }, { a: "x" }, {}].map(matcher)).toEqual([true, false, true, false]);
  });

  it("ignores event fields the pattern does not name", () => {
    expect(matches({ a: ["x"] }, { a: "x", b: "anything", c: { d: [1, 2] } })).toBe(true);
  });

  it("reads an empty-string key as a field name like any other", () => {
    expect(matches({ "": ["x"] }, { "": "x" })).toBe(true);
    expect(matches({ "": ["x"] }, { " ": "x" })).toBe(false);
  });
});

describe("exact values", () => {
  it("matches a string only when it is identical character for character", () => {
    const m = rule("running");
    expect(m({ f: "running" })).toBe(true);
    expect(m({ f: "running " })).toBe(false);
    expect(m({ f: " running" })).toBe(false);
    expect(m({ f: "runnin" })).toBe(false);
  });

  it("does not fold case in values", () => {
    expect(rule("Alice")({ f: "alice" })).toBe(false);
    expect(rule("Alice")({ f: "ALICE" })).toBe(false);
    expect(rule("Alice")({ f: "Alice" })).toBe(true);
  });

  it("does not fold case in keys", () => {
    expect(matches({ Key: ["v"] }, { key: "v" })).toBe(false);
    expect(matches({ key: ["v"] }, { KEY: "v" })).toBe(false);
  });

  it("does not normalise Unicode: a composed é differs from e plus a combining accent", () => {
    expect(rule("\u00e9")({ f: "e\u0301" })).toBe(false);
    expect(rule("e\u0301")({ f: "e\u0301" })).toBe(true);
  });

  it("matches emoji and other astral characters exactly", () => {
    expect(rule("🚀 launch")({ f: "🚀 launch" })).toBe(true);
    expect(rule("🚀")({ f: "🚁" })).toBe(false);
    expect(rule("🚀")({ f: "\ud83d" })).toBe(false);
    expect(rule("日本語")({ f: "日本語" })).toBe(true);
  });

  it("matches the empty string only against an empty string", () => {
    const m = rule("");
    expect(m({ f: "" })).toBe(true);
    expect(m({ f: " " })).toBe(false);
    expect(m({ f: null })).toBe(false);
    expect(m({})).toBe(false);
    expect(m({ f: [] })).toBe(false);
  });

  it("treats the pattern number 300 as equal to the event numbers 300, 300.0 and 3e2", () => {
    const m = compilePattern('{"f": [300]}');
    for (const text of ["300", "300.0", "3e2", "3.00E+2"]) expect(m(JSON.parse(`{"f": ${text}}`))).toBe(true);
    expect(m({ f: 301 })).toBe(false);
  });

  it("treats the pattern numbers 3e2 and 300.0 as equal to the event number 300", () => {
    expect(matches('{"f": [3e2]}', { f: 300 })).toBe(true);
    expect(matches('{"f": [300.0]}', { f: 300 })).toBe(true);
  });

  it("does not match a number against the same digits in a string, either way round", () => {
    expect(rule(300)({ f: "300" })).toBe(false);
    expect(rule("300")({ f: 300 })).toBe(false);
  });

  it("compares floats by value", () => {
    expect(matches('{"f": [1.5]}', JSON.parse('{"f": 1.50}'))).toBe(true);
    expect(rule(1.5)({ f: 1.05 })).toBe(false);
    expect(rule(-2.25)({ f: -2.25 })).toBe(true);
  });

  it("treats zero and negative zero as the same number", () => {
    expect(matches('{"f": [0]}', JSON.parse('{"f": -0}'))).toBe(true);
    expect(matches('{"f": [-0]}', { f: 0 })).toBe(true);
  });

  it("matches true only against the boolean true", () => {
    const m = rule(true);
    expect(m({ f: true })).toBe(true);
    expect(m({ f: "true" })).toBe(false);
    expect(m({ f: 1 })).toBe(false);
    expect(m({ f: false })).toBe(false);
  });

  it("matches false only against the boolean false", () => {
    const m = rule(false);
    expect(m({ f: false })).toBe(true);
    expect(m({ f: 0 })).toBe(false);
    expect(m({ f: "" })).toBe(false);
    expect(m({ f: null })).toBe(false);
    expect(m({ f: "false" })).toBe(false);
  });

  it("matches null only against an explicit null, not a missing field or the string null", () => {
    const m = rule(null);
    expect(m({ f: null })).toBe(true);
    expect(m({})).toBe(false);
    expect(m({ f: "null" })).toBe(false);
    expect(m({ f: [] })).toBe(false);
    expect(m({ f: {} })).toBe(false);
  });

  it("matches the string null only against that string", () => {
    expect(rule("null")({ f: "null" })).toBe(true);
    expect(rule("null")({ f: null })).toBe(false);
  });

  it("lets each literal in a mixed list match only values of its own type", () => {
    const m = compilePattern({ f: ["1", 2, true, null] });
    expect(m({ f: "1" })).toBe(true);
    expect(m({ f: 2 })).toBe(true);
    expect(m({ f: true })).toBe(true);
    expect(m({ f: null })).toBe(true);
    expect(m({ f: 1 })).toBe(false);
    expect(m({ f: "2" })).toBe(false);
    expect(m({ f: "true" })).toBe(false);
    expect(m({ f: false })).toBe(false);
  });

  it("never matches an exact value against an object in the event", () => {
    expect(rule("x")({ f: { x: "x" } })).toBe(false);
    expect(rule(null)({ f: {} })).toBe(false);
  });

  it("does not parse JSON held in a string value", () => {
    expect(matches({ f: { a: ["b"] } }, { f: '{"a": "b"}' })).toBe(false);
  });
});

describe("arrays in events", () => {
  it("matches when any element of the event array equals a listed value", () => {
    expect(rule("b")({ f: ["a", "b", "c"] })).toBe(true);
    expect(matches({ f: ["x", "c"] }, { f: ["a", "b", "c"] })).toBe(true);
  });

  it("does not match when no element equals a listed value", () => {
    expect(matches({ f: ["x", "y"] }, { f: ["a", "b", "c"] })).toBe(false);
  });

  it("never matches a value rule against an empty array", () => {
    expect(rule("a")({ f: [] })).toBe(false);
    expect(rule(0)({ f: [] })).toBe(false);
  });

  it("looks through nested arrays at a leaf", () => {
    expect(rule("b")({ f: [["a"], [["b"]]] })).toBe(true);
    expect(rule("z")({ f: [["a"], [["b"]]] })).toBe(false);
    expect(rule("a")({ f: [[], [[]]] })).toBe(false);
  });

  it("matches elements of mixed types by type", () => {
    expect(rule("1")({ f: [1, "1", null] })).toBe(true);
    expect(rule(1)({ f: ["1", null] })).toBe(false);
    expect(rule(null)({ f: ["a", null] })).toBe(true);
  });

  it("follows the path through an array of objects and matches if any element has the value", () => {
    const m = compilePattern({ a: { b: ["y"] } });
    expect(m({ a: [{ b: "x" }, { b: "y" }] })).toBe(true);
    expect(m({ a: [{ b: "x" }, { c: "y" }] })).toBe(false);
    expect(m({ a: [] })).toBe(false);
  });

  it("follows the path through arrays of objects at several levels", () => {
    const m = compilePattern({ a: { b: { c: ["x"] } } });
    expect(m({ a: [{ b: [{ c: "w" }, { c: ["v", "x"] }] }, { b: { c: "z" } }] })).toBe(true);
    expect(m({ a: [{ b: [{ c: "w" }] }, { b: { c: "z" } }] })).toBe(false);
  });

  it("follows the path through nested arrays of objects", () => {
    expect(matches({ a: { b: ["x"] } }, { a: [[{ b: "w" }], [[{ b: "x" }]]] })).toBe(true);
  });

  it("does not treat objects inside an array at the leaf as values", () => {
    expect(rule("x")({ f: [{ x: "x" }] })).toBe(false);
    expect(rule("x")({ f: [{ x: "x" }, "x"] })).toBe(true);
  });

  it("does not read array indexes as keys", () => {
    expect(matches({ a: { "0": ["x"] } }, { a: ["x"] })).toBe(false);
    expect(matches({ a: { length: [1] } }, { a: ["x"] })).toBe(false);
  });
});

describe("AND across fields", () => {
  const m = compilePattern({ a: ["1"], b: ["2"], c: { d: ["3"] } });

  it("matches when every field matches", () => {
    expect(m({ a: "1", b: "2", c: { d: "3" }, e: "ignored" })).toBe(true);
  });

  it("does not match when one field has another value", () => {
    expect(m({ a: "1", b: "x", c: { d: "3" } })).toBe(false);
    expect(m({ a: "1", b: "2", c: { d: "x" } })).toBe(false);
  });

  it("does not match when one field is missing", () => {
    expect(m({ a: "1", c: { d: "3" } })).toBe(false);
    expect(m({ a: "1", b: "2" })).toBe(false);
  });

  it("combines different operators on different fields", () => {
    const mixed = compilePattern({
      a: [{ prefix: "pre" }],
      b: [{ numeric: [">", 10] }],
      c: [{ exists: false }],
      d: [{ "anything-but": "no" }],
    });
    expect(mixed({ a: "prefix", b: 11, d: "yes" })).toBe(true);
    expect(mixed({ a: "prefix", b: 11, c: "here", d: "yes" })).toBe(false);
    expect(mixed({ a: "prefix", b: 10, d: "yes" })).toBe(false);
    expect(mixed({ a: "prefix", b: 11, d: "no" })).toBe(false);
  });
});

describe("OR within a field", () => {
  it("matches when the value equals any listed value", () => {
    const m = compilePattern({ f: ["a", "b", "c"] });
    expect(m({ f: "a" })).toBe(true);
    expect(m({ f: "c" })).toBe(true);
    expect(m({ f: "d" })).toBe(false);
  });

  it("matches numbers from a list of numbers", () => {
    const m = compilePattern({ f: [1, 2.5, -3] });
    expect(m({ f: 2.5 })).toBe(true);
    expect(m({ f: -3 })).toBe(true);
    expect(m({ f: 3 })).toBe(false);
  });

  it("tolerates the same value listed twice", () => {
    expect(matches({ f: ["a", "a"] }, { f: "a" })).toBe(true);
  });
});

describe("mixed rules in one array", () => {
  const m = compilePattern({
    f: [
      "exact",
      { prefix: "pre-" },
      { suffix: ".png" },
      { numeric: [">=", 100] },
      { "equals-ignore-case": "MiXeD" },
    ],
  });

  it("matches when any one of the rules matches", () => {
    expect(m({ f: "exact" })).toBe(true);
    expect(m({ f: "pre-x" })).toBe(true);
    expect(m({ f: "a.png" })).toBe(true);
    expect(m({ f: 100 })).toBe(true);
    expect(m({ f: "mixed" })).toBe(true);
  });

  it("does not match when none of the rules matches", () => {
    expect(m({ f: "other" })).toBe(false);
    expect(m({ f: 99 })).toBe(false);
    expect(m({})).toBe(false);
  });

  it("matches a missing field through exists false next to value rules", () => {
    const e = compilePattern({ f: [{ exists: false }, "x"] });
    expect(e({})).toBe(true);
    expect(e({ f: "x" })).toBe(true);
    expect(e({ f: "y" })).toBe(false);
  });

  it("matches any present leaf through exists true next to value rules", () => {
    const e = compilePattern({ f: [{ exists: true }, "x"] });
    expect(e({ f: "y" })).toBe(true);
    expect(e({})).toBe(false);
  });

  it("matches everything with exists true and exists false together", () => {
    const e = compilePattern({ f: [{ exists: true }, { exists: false }] });
    expect(e({})).toBe(true);
    expect(e({ f: "y" })).toBe(true);
    expect(e({ f: { g: 1 } })).toBe(true);
  });

  it("matches every present value with anything-but and the excluded value listed together", () => {
    const e = compilePattern({ f: [{ "anything-but": "a" }, "a"] });
    expect(e({ f: "a" })).toBe(true);
    expect(e({ f: "b" })).toBe(true);
    expect(e({})).toBe(false);
  });
});

describe("nested objects", () => {
  it("matches a value several levels down", () => {
    expect(matches({ a: { b: { c: { d: ["x"] } } } }, { a: { b: { c: { d: "x" } } } })).toBe(true);
  });

  it("keeps the same key name at different levels apart", () => {
    const m = compilePattern({ a: { a: ["inner"] } });
    expect(m({ a: { a: "inner" } })).toBe(true);
    expect(m({ a: "inner" })).toBe(false);
  });

  it("does not match where the event has a leaf and the pattern expects an object", () => {
    expect(matches({ a: { b: ["x"] } }, { a: "x" })).toBe(false);
    expect(matches({ a: { b: ["x"] } }, { a: null })).toBe(false);
  });

  it("does not match where the event has an object and the pattern expects a leaf", () => {
    expect(matches({ a: ["x"] }, { a: { b: "x" } })).toBe(false);
  });

  it("matches several fields of the same nested object", () => {
    const m = compilePattern({ d: { a: ["1"], b: { c: ["2"] } } });
    expect(m({ d: { a: "1", b: { c: "2" } } })).toBe(true);
    expect(m({ d: { a: "1", b: { c: "3" } } })).toBe(false);
  });
});

describe("dotted keys", () => {
  it("reads a dotted pattern key as the nested path in the event", () => {
    expect(matches({ "a.b.c": ["x"] }, { a: { b: { c: "x" } } })).toBe(true);
  });

  it("reads a dotted event key as the nested path the pattern names", () => {
    expect(matches({ a: { b: { c: ["x"] } } }, { "a.b.c": "x" })).toBe(true);
  });

  it("matches a dotted pattern key against the same dotted event key", () => {
    expect(matches({ "a.b": ["x"] }, { "a.b": "x" })).toBe(true);
  });

  it("matches when the event splits the path at a different dot than the pattern", () => {
    expect(matches({ "a.b.c": ["x"] }, { "a.b": { c: "x" } })).toBe(true);
    expect(matches({ "a.b.c": ["x"] }, { a: { "b.c": "x" } })).toBe(true);
    expect(matches({ a: { "b.c": ["x"] } }, { "a.b": { c: "x" } })).toBe(true);
    expect(matches({ "a.b": { c: ["x"] } }, { a: { "b.c": "x" } })).toBe(true);
  });

  it("still requires the dotted path to end at a leaf", () => {
    expect(matches({ "a.b": ["x"] }, { a: { b: { c: "x" } } })).toBe(false);
    expect(matches({ a: { b: ["x"] } }, { "a.b": { c: "x" } })).toBe(false);
  });

  it("does not match a dotted event key that only shares a prefix with the path", () => {
    expect(matches({ a: { b: ["x"] } }, { "a.bc": "x" })).toBe(false);
    expect(matches({ a: { bc: ["x"] } }, { "a.b": { c: "x" } })).toBe(false);
  });

  it("follows arrays under a dotted event key", () => {
    expect(matches({ a: { b: { c: ["x"] } } }, { "a.b": [{ c: "y" }, { c: "x" }] })).toBe(true);
  });

  it("applies operators through dotted keys", () => {
    expect(matches({ "a.b": [{ prefix: "pre" }] }, { a: { b: "prefix" } })).toBe(true);
    expect(matches({ a: { b: [{ exists: true }] } }, { "a.b": 1 })).toBe(true);
    expect(matches({ a: { b: [{ exists: false }] } }, { "a.b": 1 })).toBe(false);
  });

  // event-ruler joins path segments with dots (Path.extendedName) and stores a rule's fields in a map keyed by
  // the joined name, overwriting on a repeat (JsonRuleCompiler.writeRules); its README says the two spellings
  // "compile to the same internal representation", and Lambda documents that for duplicate keys the last wins.
  it("reads a dotted key and the nested spelling of the same path as a duplicate key, where the last wins", () => {
    const m = compilePattern({ "a.b": ["1"], a: { b: ["2"] } });
    expect(m({ a: { b: "2" } })).toBe(true);
    expect(m({ a: { b: "1" } })).toBe(false);
  });
});

describe("duplicate keys in pattern text", () => {
  it("keeps the last of two rules written for the same key", () => {
    const m = compilePattern('{"f": ["first"], "f": ["second"]}');
    expect(m({ f: "second" })).toBe(true);
    expect(m({ f: "first" })).toBe(false);
  });

  it("keeps the last of duplicate keys inside a nested object", () => {
    const m = compilePattern('{"d": {"f": [{"prefix": "a"}], "f": [{"suffix": "z"}]}}');
    expect(m({ d: { f: "xyz" } })).toBe(true);
    expect(m({ d: { f: "abc" } })).toBe(false);
  });

  it("validates only the surviving duplicate", () => {
    expect(matches('{"f": "not-an-array", "f": ["ok"]}', { f: "ok" })).toBe(true);
  });
});

describe("prefix", () => {
  it("matches strings that start with the prefix", () => {
    const m = rule({ prefix: "us-" });
    expect(m({ f: "us-east-1" })).toBe(true);
    expect(m({ f: "us-" })).toBe(true);
    expect(m({ f: "eu-west-1" })).toBe(false);
    expect(m({ f: "xus-east-1" })).toBe(false);
  });

  it("does not match a string shorter than the prefix", () => {
    expect(rule({ prefix: "abc" })({ f: "ab" })).toBe(false);
  });

  it("is case sensitive", () => {
    expect(rule({ prefix: "US-" })({ f: "us-east-1" })).toBe(false);
  });

  it("matches every string, the empty one included, with an empty prefix", () => {
    const m = rule({ prefix: "" });
    expect(m({ f: "" })).toBe(true);
    expect(m({ f: "anything" })).toBe(true);
  });

  it("never matches numbers, booleans, null, objects or a missing field, even with an empty prefix", () => {
    for (const prefix of ["", "1", "t", "n"]) {
      const m = rule({ prefix });
      expect(m({ f: 123 })).toBe(false);
      expect(m({ f: true })).toBe(false);
      expect(m({ f: null })).toBe(false);
      expect(m({ f: { g: "1" } })).toBe(false);
      expect(m({})).toBe(false);
    }
  });

  it("matches non-ASCII and astral prefixes by code unit", () => {
    expect(rule({ prefix: "é" })({ f: "école" })).toBe(true);
    expect(rule({ prefix: "🚀" })({ f: "🚀 launch" })).toBe(true);
    expect(rule({ prefix: "e" })({ f: "école" })).toBe(false);
  });

  it("matches when any element of an event array has the prefix", () => {
    expect(rule({ prefix: "b" })({ f: ["abc", "bcd"] })).toBe(true);
    expect(rule({ prefix: "z" })({ f: ["abc", "bcd"] })).toBe(false);
  });
});

describe("suffix", () => {
  it("matches strings that end with the suffix", () => {
    const m = rule({ suffix: ".png" });
    expect(m({ f: "image.png" })).toBe(true);
    expect(m({ f: ".png" })).toBe(true);
    expect(m({ f: "image.png.bak" })).toBe(false);
  });

  it("does not match a string shorter than the suffix", () => {
    expect(rule({ suffix: "abc" })({ f: "bc" })).toBe(false);
  });

  it("is case sensitive", () => {
    expect(rule({ suffix: ".PNG" })({ f: "image.png" })).toBe(false);
  });

  it("matches every string, the empty one included, with an empty suffix", () => {
    expect(rule({ suffix: "" })({ f: "" })).toBe(true);
    expect(rule({ suffix: "" })({ f: "x" })).toBe(true);
  });

  it("never matches numbers, booleans, null or a missing field", () => {
    for (const suffix of ["", "3", "e", "l"]) {
      const m = rule({ suffix });
      expect(m({ f: 123 })).toBe(false);
      expect(m({ f: true })).toBe(false);
      expect(m({ f: null })).toBe(false);
      expect(m({})).toBe(false);
    }
  });

  it("matches astral suffixes", () => {
    expect(rule({ suffix: "🚀" })({ f: "launch 🚀" })).toBe(true);
  });

  it("matches when any element of an event array has the suffix", () => {
    expect(rule({ suffix: "d" })({ f: ["abc", "bcd"] })).toBe(true);
  });
});

describe("prefix and suffix with equals-ignore-case", () => {
  it("matches a prefix in any ASCII casing", () => {
    const m = rule({ prefix: { "equals-ignore-case": "EventB" } });
    for (const value of ["eventbridge", "EVENTBRIDGE", "EvEnTbRiDgE", "eventb"])
      expect(m({ f: value })).toBe(true);
    expect(m({ f: "event" })).toBe(false);
    expect(m({ f: "xeventb" })).toBe(false);
  });

  it("matches a suffix in any ASCII casing", () => {
    const m = rule({ suffix: { "equals-ignore-case": ".PnG" } });
    expect(m({ f: "photo.png" })).toBe(true);
    expect(m({ f: "photo.PNG" })).toBe(true);
    expect(m({ f: "photo.pn" })).toBe(false);
    expect(m({ f: "png" })).toBe(false);
  });

  it("folds non-ASCII letters in prefixes and suffixes", () => {
    expect(rule({ prefix: { "equals-ignore-case": "éco" } })({ f: "ÉCOLE" })).toBe(true);
    expect(rule({ suffix: { "equals-ignore-case": "ÇA" } })({ f: "voilà ça" })).toBe(true);
    expect(rule({ prefix: { "equals-ignore-case": "σ" } })({ f: "ΣΑΣ" })).toBe(true);
  });

  it("does not fold non-letters into one another", () => {
    expect(rule({ prefix: { "equals-ignore-case": "@" } })({ f: "`x" })).toBe(false);
    expect(rule({ suffix: { "equals-ignore-case": "[" } })({ f: "x{" })).toBe(false);
  });

  it("matches every string with an empty ignore-case prefix or suffix", () => {
    expect(rule({ prefix: { "equals-ignore-case": "" } })({ f: "" })).toBe(true);
    expect(rule({ suffix: { "equals-ignore-case": "" } })({ f: "abc" })).toBe(true);
  });

  it("never matches non-string values", () => {
    expect(rule({ prefix: { "equals-ignore-case": "1" } })({ f: 123 })).toBe(false);
    expect(rule({ suffix: { "equals-ignore-case": "e" } })({ f: true })).toBe(false);
    expect(rule({ prefix: { "equals-ignore-case": "n" } })({ f: null })).toBe(false);
  });
});

describe("equals-ignore-case", () => {
  it("matches the same text in any ASCII casing", () => {
    const m = rule({ "equals-ignore-case": "Alice" });
    expect(m({ f: "alice" })).toBe(true);
    expect(m({ f: "ALICE" })).toBe(true);
    expect(m({ f: "aLiCe" })).toBe(true);
  });

  it("requires the whole value to match, not a prefix or a substring", () => {
    const m = rule({ "equals-ignore-case": "alice" });
    expect(m({ f: "alice2" })).toBe(false);
    expect(m({ f: "alic" })).toBe(false);
    expect(m({ f: " alice" })).toBe(false);
  });

  it("does not fold ASCII punctuation that sits 32 code points apart", () => {
    expect(rule({ "equals-ignore-case": "@" })({ f: "`" })).toBe(false);
    expect(rule({ "equals-ignore-case": "[x]" })({ f: "{X}" })).toBe(false);
  });

  it("folds accented Latin letters", () => {
    expect(rule({ "equals-ignore-case": "École" })({ f: "éCOLE" })).toBe(true);
    expect(rule({ "equals-ignore-case": "ÄÖÜ" })({ f: "äöü" })).toBe(true);
  });

  it("folds Greek and Cyrillic letters", () => {
    expect(rule({ "equals-ignore-case": "Σοφία" })({ f: "ΣΟΦΊΑ" })).toBe(true);
    expect(rule({ "equals-ignore-case": "привет" })({ f: "ПРИВЕТ" })).toBe(true);
  });

  it("matches an empty pattern only against the empty string", () => {
    expect(rule({ "equals-ignore-case": "" })({ f: "" })).toBe(true);
    expect(rule({ "equals-ignore-case": "" })({ f: " " })).toBe(false);
  });

  it("never matches numbers, booleans, null or a missing field", () => {
    expect(rule({ "equals-ignore-case": "123" })({ f: 123 })).toBe(false);
    expect(rule({ "equals-ignore-case": "TRUE" })({ f: true })).toBe(false);
    expect(rule({ "equals-ignore-case": "null" })({ f: null })).toBe(false);
    expect(rule({ "equals-ignore-case": "x" })({})).toBe(false);
  });

  it("matches when any element of an event array matches", () => {
    expect(rule({ "equals-ignore-case": "B" })({ f: ["a", "b"] })).toBe(true);
  });

  // event-ruler's EqualsIgnoreCaseParser accepts, for each pattern character c, exactly c.toLowerCase(ROOT) or
  // c.toUpperCase(ROOT) (a set of byte sequences per character); "ß" upper-cases to "SS".
  it("matches the sharp s against its upper-case form SS, as each pattern character stands for its two cases", () => {
    expect(rule({ "equals-ignore-case": "straße" })({ f: "STRASSE" })).toBe(true);
  });

  // Same source: the pattern "k" stands for "k" or "K" only; the Kelvin sign (U+212A) is neither.
  it("does not match the Kelvin sign against the letter k", () => {
    expect(rule({ "equals-ignore-case": "k" })({ f: "\u212a" })).toBe(false);
  });
});

describe("anything-but", () => {
  describe("a single string", () => {
    const m = rule({ "anything-but": "stopped" });

    it("matches other strings and not the excluded one", () => {
      expect(m({ f: "running" })).toBe(true);
      expect(m({ f: "stopped" })).toBe(false);
      expect(m({ f: "STOPPED" })).toBe(true);
    });

    it("matches values of other types", () => {
      expect(m({ f: 1 })).toBe(true);
      expect(m({ f: true })).toBe(true);
      expect(m({ f: null })).toBe(true);
    });

    it("does not match a missing field or an object", () => {
      expect(m({})).toBe(false);
      expect(m({ f: { stopped: 1 } })).toBe(false);
    });

    it("matches a number against the string of its digits", () => {
      expect(rule({ "anything-but": "5" })({ f: 5 })).toBe(true);
    });
  });

  describe("a single number", () => {
    it("excludes the number however it is written", () => {
      const m = compilePattern('{"f": [{"anything-but": 300}]}');
      expect(m({ f: 300 })).toBe(false);
      expect(m(JSON.parse('{"f": 300.0}'))).toBe(false);
      expect(m(JSON.parse('{"f": 3e2}'))).toBe(false);
      expect(m({ f: 301 })).toBe(true);
    });

    it("matches the string of the same digits", () => {
      expect(rule({ "anything-but": 5 })({ f: "5" })).toBe(true);
    });

    it("excludes zero and negative numbers exactly", () => {
      expect(rule({ "anything-but": 0 })({ f: 0 })).toBe(false);
      expect(rule({ "anything-but": -1.5 })({ f: -1.5 })).toBe(false);
      expect(rule({ "anything-but": -1.5 })({ f: 1.5 })).toBe(true);
    });
  });

  describe("a list", () => {
    it("excludes every listed string", () => {
      const m = rule({ "anything-but": ["a", "b"] });
      expect(m({ f: "a" })).toBe(false);
      expect(m({ f: "b" })).toBe(false);
      expect(m({ f: "c" })).toBe(true);
      expect(m({ f: null })).toBe(true);
      expect(m({})).toBe(false);
    });

    it("excludes every listed number", () => {
      const m = rule({ "anything-but": [1, 2.5] });
      expect(m({ f: 1 })).toBe(false);
      expect(m({ f: 2.5 })).toBe(false);
      expect(m({ f: 3 })).toBe(true);
      expect(m({ f: "1" })).toBe(true);
    });

    it("accepts a list of one", () => {
      expect(rule({ "anything-but": ["a"] })({ f: "a" })).toBe(false);
      expect(rule({ "anything-but": ["a"] })({ f: "b" })).toBe(true);
    });
  });

  describe("arrays in events", () => {
    const m = rule({ "anything-but": ["a", "b"] });

    it("matches when any element is not excluded", () => {
      expect(m({ f: ["a", "c"] })).toBe(true);
    });

    it("does not match when every element is excluded", () => {
      expect(m({ f: ["a", "b", "a"] })).toBe(false);
    });

    it("does not match an empty array", () => {
      expect(m({ f: [] })).toBe(false);
    });

    it("matches a null element", () => {
      expect(m({ f: ["a", null] })).toBe(true);
    });
  });

  describe("prefix form", () => {
    it("excludes strings with any listed prefix", () => {
      const m = rule({ "anything-but": { prefix: ["init", "test"] } });
      expect(m({ f: "initializing" })).toBe(false);
      expect(m({ f: "testing" })).toBe(false);
      expect(m({ f: "running" })).toBe(true);
      expect(m({ f: "INIT" })).toBe(true);
    });

    it("matches numbers, booleans and null, which no prefix excludes", () => {
      const m = rule({ "anything-but": { prefix: "1" } });
      expect(m({ f: 123 })).toBe(true);
      expect(m({ f: true })).toBe(true);
      expect(m({ f: null })).toBe(true);
      expect(m({})).toBe(false);
    });
  });

  describe("suffix form", () => {
    it("excludes strings with any listed suffix", () => {
      const m = rule({ "anything-but": { suffix: [".txt", ".md"] } });
      expect(m({ f: "a.txt" })).toBe(false);
      expect(m({ f: "a.md" })).toBe(false);
      expect(m({ f: "a.txt.bak" })).toBe(true);
    });

    it("matches non-string values", () => {
      expect(rule({ "anything-but": { suffix: "3" } })({ f: 123 })).toBe(true);
      expect(rule({ "anything-but": { suffix: "e" } })({ f: false })).toBe(true);
    });
  });

  describe("equals-ignore-case form", () => {
    it("excludes the text in any casing", () => {
      const m = rule({ "anything-but": { "equals-ignore-case": "Stopped" } });
      expect(m({ f: "STOPPED" })).toBe(false);
      expect(m({ f: "stopped" })).toBe(false);
      expect(m({ f: "running" })).toBe(true);
    });

    it("excludes every listed text in any casing", () => {
      const m = rule({ "anything-but": { "equals-ignore-case": ["a", "B"] } });
      expect(m({ f: "A" })).toBe(false);
      expect(m({ f: "b" })).toBe(false);
      expect(m({ f: "c" })).toBe(true);
    });

    it("matches non-string values and not a missing field", () => {
      const m = rule({ "anything-but": { "equals-ignore-case": "1" } });
      expect(m({ f: 1 })).toBe(true);
      expect(m({ f: null })).toBe(true);
      expect(m({})).toBe(false);
    });
  });

  describe("wildcard form", () => {
    it("excludes strings matching any listed wildcard", () => {
      const m = rule({ "anything-but": { wildcard: ["*/lib/*", "*.tmp"] } });
      expect(m({ f: "/usr/lib/x" })).toBe(false);
      expect(m({ f: "a.tmp" })).toBe(false);
      expect(m({ f: "/usr/bin/x" })).toBe(true);
    });

    it("matches non-string values", () => {
      expect(rule({ "anything-but": { wildcard: "*" } })({ f: 5 })).toBe(true);
      expect(rule({ "anything-but": { wildcard: "*" } })({ f: null })).toBe(true);
      expect(rule({ "anything-but": { wildcard: "*" } })({ f: "" })).toBe(false);
    });

    it("excludes only the empty string with an empty wildcard", () => {
      const m = rule({ "anything-but": { wildcard: "" } });
      expect(m({ f: "" })).toBe(false);
      expect(m({ f: "x" })).toBe(true);
    });
  });

  // AWS documents anything-but lists as "only strings, or only numbers"; event-ruler's README says lists "have
  // to contain entirely strings or entirely numerics", and JsonRuleCompiler.processAnythingButListMatchExpression
  // refuses a mixed list (and an empty one, which has neither) with this message.
  it("refuses a list that mixes strings and numbers", () => {
    expectRefused(
      { f: [{ "anything-but": ["a", 1] }] },
      "Inside anything but list, either all values are number or string, mixed type is not supported",
    );
  });

  it("refuses an empty list with the mixed-type reason, as it holds neither strings nor numbers", () => {
    expectRefused(
      { f: [{ "anything-but": [] }] },
      "Inside anything but list, either all values are number or string, mixed type is not supported",
    );
  });
});

describe("numeric", () => {
  const n = (operand: unknown[]) => rule({ numeric: operand });

  it("matches equal numbers with =", () => {
    expect(n(["=", 5])({ f: 5 })).toBe(true);
    expect(n(["=", 5])({ f: 5.000001 })).toBe(false);
    expect(n(["=", 5])({ f: 4 })).toBe(false);
  });

  it("matches a float with = by value", () => {
    const m = compilePattern('{"f": [{"numeric": ["=", 3.018e2]}]}');
    expect(m({ f: 301.8 })).toBe(true);
    expect(m(JSON.parse('{"f": 301.80}'))).toBe(true);
    expect(m({ f: 301.81 })).toBe(false);
  });

  it("matches an integer written with a fraction or an exponent with =", () => {
    expect(n(["=", 100])(JSON.parse('{"f": 100.0}'))).toBe(true);
    expect(n(["=", 100])(JSON.parse('{"f": 1e2}'))).toBe(true);
  });

  it("excludes the bound with < and >", () => {
    expect(n(["<", 10])({ f: 9.999 })).toBe(true);
    expect(n(["<", 10])({ f: 10 })).toBe(false);
    expect(n([">", 10])({ f: 10.001 })).toBe(true);
    expect(n([">", 10])({ f: 10 })).toBe(false);
  });

  it("includes the bound with <= and >=", () => {
    expect(n(["<=", 10])({ f: 10 })).toBe(true);
    expect(n(["<=", 10])({ f: 10.001 })).toBe(false);
    expect(n([">=", 10])({ f: 10 })).toBe(true);
    expect(n([">=", 10])({ f: 9.999 })).toBe(false);
  });

  it("honours each combination of open and closed bounds in a range", () => {
    const cases: [unknown[], boolean, boolean][] = [
      [[">", 0, "<", 5], false, false],
      [[">=", 0, "<", 5], true, false],
      [[">", 0, "<=", 5], false, true],
      [[">=", 0, "<=", 5], true, true],
    ];
    for (const [operand, atLow, atHigh] of cases) {
      const m = n(operand);
      expect(m({ f: 0 })).toBe(atLow);
      expect(m({ f: 5 })).toBe(atHigh);
      expect(m({ f: 2.5 })).toBe(true);
      expect(m({ f: -0.001 })).toBe(false);
      expect(m({ f: 5.001 })).toBe(false);
    }
  });

  it("compares negative numbers and negative ranges", () => {
    const m = n([">", -10, "<=", -1]);
    expect(m({ f: -5 })).toBe(true);
    expect(m({ f: -1 })).toBe(true);
    expect(m({ f: -10 })).toBe(false);
    expect(m({ f: 0 })).toBe(false);
    expect(n(["<", 0])({ f: -0.5 })).toBe(true);
  });

  it("compares floats in a range", () => {
    const m = n([">=", 0.1, "<", 0.3]);
    expect(m({ f: 0.1 })).toBe(true);
    expect(m({ f: 0.2 })).toBe(true);
    expect(m({ f: 0.3 })).toBe(false);
  });

  it("reads pattern numbers written with an exponent", () => {
    expect(matches('{"f": [{"numeric": [">", 1e3]}]}', { f: 1001 })).toBe(true);
    expect(matches('{"f": [{"numeric": [">", 1e3]}]}', { f: 1000 })).toBe(false);
  });

  it("never matches strings holding numbers, booleans, null, objects or a missing field", () => {
    const m = n([">=", 0]);
    expect(m({ f: "5" })).toBe(false);
    expect(m({ f: true })).toBe(false);
    expect(m({ f: null })).toBe(false);
    expect(m({ f: { v: 5 } })).toBe(false);
    expect(m({})).toBe(false);
    expect(n(["=", 1])({ f: true })).toBe(false);
    expect(n(["=", 0])({ f: false })).toBe(false);
  });

  it("matches when any element of an event array is in range", () => {
    expect(n([">", 100])({ f: [1, "200", 101] })).toBe(true);
    expect(n([">", 100])({ f: [1, "200"] })).toBe(false);
  });

  it("treats negative zero as zero", () => {
    expect(n(["=", 0])(JSON.parse('{"f": -0}'))).toBe(true);
    expect(n([">=", 0])(JSON.parse('{"f": -0}'))).toBe(true);
  });
});

describe("exists", () => {
  it("matches exists true for a leaf of any type, null included", () => {
    const m = rule({ exists: true });
    for (const value of ["", "x", 0, 1.5, false, true, null]) expect(m({ f: value })).toBe(true);
  });

  it("does not count an object as existing: exists works on leaves only", () => {
    expect(rule({ exists: true })({ f: { g: 1 } })).toBe(false);
    expect(rule({ exists: false })({ f: { g: 1 } })).toBe(true);
    expect(rule({ exists: true })({ f: {} })).toBe(false);
  });

  it("does not count an empty array as existing", () => {
    expect(rule({ exists: true })({ f: [] })).toBe(false);
    expect(rule({ exists: false })({ f: [] })).toBe(true);
  });

  it("counts an array of values as existing", () => {
    expect(rule({ exists: true })({ f: ["a"] })).toBe(true);
    expect(rule({ exists: true })({ f: [null] })).toBe(true);
    expect(rule({ exists: false })({ f: ["a"] })).toBe(false);
  });

  it("does not count nested empty arrays or arrays of objects as existing", () => {
    expect(rule({ exists: true })({ f: [[], [[]]] })).toBe(false);
    expect(rule({ exists: true })({ f: [{ g: 1 }] })).toBe(false);
    expect(rule({ exists: true })({ f: [[], [["x"]]] })).toBe(true);
  });

  it("matches exists false when the field is missing, and not when it holds a leaf", () => {
    expect(rule({ exists: false })({})).toBe(true);
    expect(rule({ exists: false })({ f: null })).toBe(false);
    expect(rule({ exists: false })({ f: "" })).toBe(false);
  });

  it("matches exists false when the parent is missing or is itself a leaf", () => {
    const m = compilePattern({ a: { b: [{ exists: false }] } });
    expect(m({})).toBe(true);
    expect(m({ a: "leaf" })).toBe(true);
    expect(m({ a: null })).toBe(true);
    expect(m({ a: {} })).toBe(true);
    expect(m({ a: { b: 1 } })).toBe(false);
  });

  it("does not match exists true when the parent is missing or is a leaf", () => {
    const m = compilePattern({ a: { b: [{ exists: true }] } });
    expect(m({})).toBe(false);
    expect(m({ a: "leaf" })).toBe(false);
  });

  it("matches exists true in an array of objects when any element has the field", () => {
    const m = compilePattern({ a: { b: [{ exists: true }] } });
    expect(m({ a: [{ c: 1 }, { b: 2 }] })).toBe(true);
    expect(m({ a: [{ c: 1 }, {}] })).toBe(false);
  });

  it("does not match exists false in an array of objects when any element has the field", () => {
    const m = compilePattern({ a: { b: [{ exists: false }] } });
    expect(m({ a: [{ c: 1 }, { b: 2 }] })).toBe(false);
    expect(m({ a: [{ c: 1 }, {}] })).toBe(true);
    expect(m({ a: [] })).toBe(true);
  });

  it("combines with rules on other fields by AND", () => {
    const m = compilePattern({ a: ["x"], b: [{ exists: false }], c: [{ exists: true }] });
    expect(m({ a: "x", c: 1 })).toBe(true);
    expect(m({ a: "x", b: 1, c: 1 })).toBe(false);
    expect(m({ a: "x" })).toBe(false);
    expect(m({ a: "y", c: 1 })).toBe(false);
  });

  it("does not confuse a missing field with a value-equal sibling", () => {
    expect(matches({ a: [{ exists: false }] }, { A: 1, "a ": 2 })).toBe(true);
  });
});

describe("cidr", () => {
  const c = (network: string) => rule({ cidr: network });

  it("matches every IPv4 address with /0, and no IPv6 address", () => {
    const m = c("0.0.0.0/0");
    expect(m({ f: "0.0.0.0" })).toBe(true);
    expect(m({ f: "255.255.255.255" })).toBe(true);
    expect(m({ f: "::1" })).toBe(false);
  });

  it("matches addresses inside a /8 and not its neighbours", () => {
    const m = c("10.0.0.0/8");
    expect(m({ f: "10.0.0.0" })).toBe(true);
    expect(m({ f: "10.255.255.255" })).toBe(true);
    expect(m({ f: "9.255.255.255" })).toBe(false);
    expect(m({ f: "11.0.0.0" })).toBe(false);
  });

  it("matches a network whose mask does not fall on a byte boundary", () => {
    const m = c("172.16.0.0/12");
    expect(m({ f: "172.31.255.255" })).toBe(true);
    expect(m({ f: "172.32.0.0" })).toBe(false);
    expect(m({ f: "172.15.255.255" })).toBe(false);
  });

  it("matches the two addresses of a /31", () => {
    const m = c("192.168.1.0/31");
    expect(m({ f: "192.168.1.0" })).toBe(true);
    expect(m({ f: "192.168.1.1" })).toBe(true);
    expect(m({ f: "192.168.1.2" })).toBe(false);
  });

  it("ignores host bits set in the network address", () => {
    expect(c("10.0.0.77/24")({ f: "10.0.0.1" })).toBe(true);
    expect(c("10.0.0.77/24")({ f: "10.0.1.1" })).toBe(false);
  });

  it("matches IPv6 addresses written in full or compressed form", () => {
    const m = c("2001:db8::/32");
    expect(m({ f: "2001:0db8:0000:0000:0000:0000:0000:0001" })).toBe(true);
    expect(m({ f: "2001:db8::1" })).toBe(true);
    expect(m({ f: "2001:DB8:FFFF::" })).toBe(true);
    expect(m({ f: "2001:db9::" })).toBe(false);
    expect(c("2001:0db8:0000:0000:0000:0000:0000:0000/32")({ f: "2001:db8:ab::" })).toBe(true);
  });

  it("matches every IPv6 address with ::/0, and no IPv4 address", () => {
    const m = c("::/0");
    expect(m({ f: "::" })).toBe(true);
    expect(m({ f: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" })).toBe(true);
    expect(m({ f: "10.0.0.1" })).toBe(false);
  });

  it("matches an IPv6 /127 at its boundary", () => {
    const m = c("::2/127");
    expect(m({ f: "::2" })).toBe(true);
    expect(m({ f: "::3" })).toBe(true);
    expect(m({ f: "::4" })).toBe(false);
  });

  it("does not match strings that are not IP addresses", () => {
    const m = c("10.0.0.0/8");
    for (const value of [
      "10.0.0",
      "10.0.0.0.1",
      "10.0.0.256",
      " 10.0.0.1",
      "10.0.0.1 ",
      "10.0.0.1/32",
      "ten",
      "",
    ])
      expect(m({ f: value })).toBe(false);
    expect(c("::/0")({ f: "fe80::1%eth0" })).toBe(false);
    expect(c("::/0")({ f: "1::2::3" })).toBe(false);
    expect(c("::/0")({ f: "1:2:3:4:5:6:7:8:9" })).toBe(false);
  });

  it("does not match numbers, booleans, null or a missing field", () => {
    const m = c("0.0.0.0/0");
    expect(m({ f: 167772161 })).toBe(false);
    expect(m({ f: true })).toBe(false);
    expect(m({ f: null })).toBe(false);
    expect(m({})).toBe(false);
  });

  it("matches when any element of an event array is in the network", () => {
    expect(c("10.0.0.0/8")({ f: ["192.168.0.1", "10.1.2.3"] })).toBe(true);
  });

  it("does not match an IPv4-mapped IPv6 address against the IPv4 network", () => {
    expect(c("10.0.0.0/8")({ f: "::ffff:10.0.0.1" })).toBe(false);
  });

  // event-ruler recognises an address only by Constants.IPv4_REGEX ([0-9]+ dotted four times) or IPv6_REGEX
  // ([0-9a-fA-F:]*:[0-9a-fA-F:]*); "::ffff:10.0.0.1" has dots and colons and fits neither, so it is no address.
  it("does not read an IPv6 address with an embedded IPv4 tail as an address", () => {
    expect(c("::/0")({ f: "::ffff:10.0.0.1" })).toBe(false);
    expect(c("::ffff:0:0/96")({ f: "::ffff:10.0.0.1" })).toBe(false);
  });
});

describe("wildcard", () => {
  const w = (pattern: string) => rule({ wildcard: pattern });

  it("lets a star match zero characters", () => {
    expect(w("*")({ f: "" })).toBe(true);
    expect(w("a*")({ f: "a" })).toBe(true);
    expect(w("*a")({ f: "a" })).toBe(true);
    expect(w("a*b")({ f: "ab" })).toBe(true);
  });

  it("matches a leading, trailing and middle star", () => {
    expect(w("*.png")({ f: "dir/a.png" })).toBe(true);
    expect(w("*.png")({ f: "a.png.bak" })).toBe(false);
    expect(w("arn:*")({ f: "arn:aws:x" })).toBe(true);
    expect(w("arn:*")({ f: "xarn:aws" })).toBe(false);
    expect(w("a*z")({ f: "abcz" })).toBe(true);
    expect(w("a*z")({ f: "abczx" })).toBe(false);
  });

  it("matches several stars with the pieces in order", () => {
    const m = w("*:events:*:event-bus/*");
    expect(m({ f: "arn:aws:events:us-east-1:event-bus/default" })).toBe(true);
    expect(m({ f: "arn:aws:event-bus/default:events:us-east-1" })).toBe(false);
  });

  it("does not let the first and last pieces overlap", () => {
    expect(w("ab*ba")({ f: "aba" })).toBe(false);
    expect(w("ab*ba")({ f: "abba" })).toBe(true);
    expect(w("a*a*a")({ f: "aa" })).toBe(false);
    expect(w("a*a*a")({ f: "aaa" })).toBe(true);
  });

  it("requires a whole-value match without a star", () => {
    expect(w("abc")({ f: "abc" })).toBe(true);
    expect(w("abc")({ f: "abcd" })).toBe(false);
  });

  it("matches only the empty string with an empty wildcard", () => {
    expect(w("")({ f: "" })).toBe(true);
    expect(w("")({ f: "x" })).toBe(false);
  });

  it("reads \\* as a literal star", () => {
    const m = w("a\\*b");
    expect(m({ f: "a*b" })).toBe(true);
    expect(m({ f: "axb" })).toBe(false);
    expect(m({ f: "ab" })).toBe(false);
  });

  it("reads \\\\ as a literal backslash", () => {
    const m = w("a\\\\*");
    expect(m({ f: "a\\" })).toBe(true);
    expect(m({ f: "a\\xyz" })).toBe(true);
    expect(m({ f: "axyz" })).toBe(false);
  });

  it("does not count an escaped star next to a star as consecutive wildcards", () => {
    const m = w("*\\**");
    expect(m({ f: "x*y" })).toBe(true);
    expect(m({ f: "xy" })).toBe(false);
  });

  it("is case sensitive", () => {
    expect(w("A*")({ f: "abc" })).toBe(false);
  });

  it("never matches numbers, booleans, null or a missing field", () => {
    const m = w("*");
    expect(m({ f: 5 })).toBe(false);
    expect(m({ f: true })).toBe(false);
    expect(m({ f: null })).toBe(false);
    expect(m({})).toBe(false);
  });

  it("matches when any element of an event array matches", () => {
    expect(w("b*")({ f: ["abc", "bcd"] })).toBe(true);
  });

  it("matches astral characters under a star", () => {
    expect(w("a*z")({ f: "a🚀z" })).toBe(true);
  });

  it("reports consecutive stars at the position of the second star in ASCII text", () => {
    expectRefused({ f: [{ wildcard: "**" }] }, "Consecutive wildcard characters at pos 1");
    expectRefused({ f: [{ wildcard: "ab**" }] }, "Consecutive wildcard characters at pos 3");
    expectRefused(
      { f: [{ "anything-but": { wildcard: "x**" } }] },
      "Consecutive wildcard characters at pos 2",
    );
  });

  it("refuses a backslash that escapes neither a star nor a backslash", () => {
    expectRefused({ f: [{ wildcard: "a\\b" }] }, "Invalid escape character at pos 2");
    expectRefused({ f: [{ wildcard: "abc\\" }] }, "Invalid escape character at pos 4");
  });

  // event-ruler's WildcardParser counts positions in the UTF-8 bytes of the quoted value ('"' + text + '"'):
  // in "é**" the first star is byte 3 ('"', then é's two bytes); in "é\x" the backslash is byte 3.
  it("reports wildcard syntax errors at UTF-8 byte positions, as AWS counts them", () => {
    expectRefused({ f: [{ wildcard: "é**" }] }, "Consecutive wildcard characters at pos 3");
    expectRefused({ f: [{ wildcard: "é\\x" }] }, "Invalid escape character at pos 3");
  });

  it("refuses a pattern with six wildcards as too complex", () => {
    expectRefused(
      { f: [{ wildcard: "a*b*c*d*e*f*" }] },
      "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
    );
  });

  it("accepts five wildcards between distinct pieces", () => {
    const m = w("*a*b*c*d*");
    expect(m({ f: "xaxbxcxdx" })).toBe(true);
    expect(m({ f: "xdxcxbxax" })).toBe(false);
  });

  it("does not count escaped stars towards the complexity limit", () => {
    const m = w("\\*\\*\\*\\*\\*\\*\\*");
    expect(m({ f: "*******" })).toBe(true);
  });
});

describe("$or", () => {
  it("matches when any branch at the root matches", () => {
    const m = compilePattern({ $or: [{ a: ["1"] }, { b: ["2"] }] });
    expect(m({ a: "1" })).toBe(true);
    expect(m({ b: "2" })).toBe(true);
    expect(m({ a: "2", b: "1" })).toBe(false);
    expect(m({})).toBe(false);
  });

  it("reads the branches of a $or nested in an object relative to that object", () => {
    const m = compilePattern({ detail: { $or: [{ a: ["1"] }, { b: { c: ["2"] } }] } });
    expect(m({ detail: { a: "1" } })).toBe(true);
    expect(m({ detail: { b: { c: "2" } } })).toBe(true);
    expect(m({ a: "1" })).toBe(false);
    expect(m({ detail: { c: "2" } })).toBe(false);
  });

  it("combines a $or with its sibling fields by AND", () => {
    const m = compilePattern({ source: ["s"], $or: [{ a: ["1"] }, { b: ["2"] }] });
    expect(m({ source: "s", b: "2" })).toBe(true);
    expect(m({ source: "x", b: "2" })).toBe(false);
    expect(m({ source: "s" })).toBe(false);
  });

  it("combines two $or groups at different levels by AND", () => {
    const m = compilePattern({ $or: [{ a: ["1"] }, { b: ["2"] }], d: { $or: [{ c: ["3"] }, { e: ["4"] }] } });
    expect(m({ a: "1", d: { e: "4" } })).toBe(true);
    expect(m({ a: "1", d: { f: "4" } })).toBe(false);
    expect(m({ d: { c: "3" } })).toBe(false);
  });

  it("ANDs the fields within one branch", () => {
    const m = compilePattern({ $or: [{ a: ["1"], b: ["2"] }, { c: ["3"] }] });
    expect(m({ a: "1", b: "2" })).toBe(true);
    expect(m({ a: "1" })).toBe(false);
    expect(m({ c: "3" })).toBe(true);
  });

  it("nests a $or inside a $or branch", () => {
    const m = compilePattern({
      $or: [{ a: ["1"], $or: [{ b: ["2"] }, { c: ["3"] }] }, { d: ["4"] }],
    });
    expect(m({ a: "1", c: "3" })).toBe(true);
    expect(m({ a: "1" })).toBe(false);
    expect(m({ d: "4" })).toBe(true);
    expect(m({ b: "2", c: "3" })).toBe(false);
  });

  it("uses any operator inside a branch", () => {
    const m = compilePattern({ $or: [{ n: [{ numeric: [">", 5] }] }, { s: [{ exists: false }] }] });
    expect(m({ n: 6, s: 1 })).toBe(true);
    expect(m({ n: 1 })).toBe(true);
    expect(m({ n: 1, s: 1 })).toBe(false);
  });

  it("treats $or holding values rather than objects as a field named $or", () => {
    const m = compilePattern({ $or: ["a", "b"] });
    expect(m({ $or: "b" })).toBe(true);
    expect(m({ a: "a" })).toBe(false);
  });

  it("treats $or holding an object rather than an array as a nested field named $or", () => {
    const m = compilePattern({ $or: { a: ["1"] } });
    expect(m({ $or: { a: "1" } })).toBe(true);
    expect(m({ a: "1" })).toBe(false);
  });

  it("treats $or holding objects and values mixed as a field named $or with those rules", () => {
    const m = compilePattern({ $or: [{ exists: true }, "x"] });
    expect(m({ $or: "y" })).toBe(true);
    expect(m({})).toBe(false);
    expectRefused({ $or: [{ a: ["1"] }, "x"] }, "Unrecognized match type a");
  });

  it("refuses an empty $or array as an empty rule list", () => {
    expectRefused({ $or: [] }, "Empty arrays are not allowed");
  });

  it("refuses a $or with a single object branch", () => {
    expect(() => compilePattern({ $or: [{ a: ["1"] }] })).toThrow(InvalidPatternError);
  });

  // Only the refusal is asserted: when event-ruler's $or compiler refuses a branch, GenericMachine.addRule
  // retries with the legacy compiler, which may report a different reason.
  it("refuses a $or with an invalid branch", () => {
    expect(() => compilePattern({ $or: [{ a: ["1"] }, { b: [] }] })).toThrow(InvalidPatternError);
    expect(() => compilePattern({ $or: [{ a: ["1"] }, { b: [{ numeric: 5 }] }] })).toThrow(
      InvalidPatternError,
    );
    expect(() => compilePattern({ $or: [{ a: ["1"] }, { b: "x" }] })).toThrow(InvalidPatternError);
  });

  // event-ruler's README: Ruler recognises "$or" as OR only when its array holds 2+ objects and no object uses a
  // Ruler keyword ("numeric", "prefix", ...) as a field name; "Otherwise, Ruler just treats the "$or" as normal
  // field name". GenericMachine.addRule falls back from JsonRuleCompiler to RuleCompiler to do so.
  it("treats $or whose objects use operator names as a field named $or with those rules", () => {
    const m = compilePattern({ $or: [{ prefix: "abc" }, { suffix: "xyz" }] });
    expect(m({ $or: "abc-1" })).toBe(true);
    expect(m({ $or: "1-xyz" })).toBe(true);
    expect(m({ $or: "nope" })).toBe(false);
  });

  it("treats $or with a single operator object as a field named $or", () => {
    const m = compilePattern({ $or: [{ exists: true }] });
    expect(m({ $or: "anything" })).toBe(true);
    expect(m({})).toBe(false);
  });

  it("refuses a $or mixing an ordinary branch with one that uses an operator name as a field", () => {
    expect(() => compilePattern({ $or: [{ a: ["1"] }, { prefix: ["x"] }] })).toThrow(InvalidPatternError);
  });
});

describe("prototype-like keys", () => {
  it("matches a __proto__ key only when the event has it as its own key", () => {
    const m = compilePattern('{"__proto__": ["x"]}');
    expect(m(JSON.parse('{"__proto__": "x"}'))).toBe(true);
    expect(m({})).toBe(false);
    expect(m(JSON.parse('{"__proto__": "y"}'))).toBe(false);
  });

  it("matches exists false on __proto__, constructor and toString for an empty event", () => {
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"])
      expect(matches(`{"${key}": [{"exists": false}]}`, {})).toBe(true);
  });

  it("does not see Object.prototype members through exists true", () => {
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"])
      expect(matches(`{"${key}": [{"exists": true}]}`, {})).toBe(false);
  });

  it("does not walk into Object.prototype members along a path", () => {
    expect(matches({ constructor: { name: ["Object"] } }, {})).toBe(false);
    expect(matches('{"__proto__": {"constructor": {"name": ["Object"]}}}', {})).toBe(false);
    expect(matches({ a: { toString: { name: ["toString"] } } }, { a: {} })).toBe(false);
  });

  it("matches constructor and toString when the event has them as own keys", () => {
    expect(matches({ constructor: ["c"] }, { constructor: "c" })).toBe(true);
    expect(matches({ toString: { x: ["1"] } }, { toString: { x: "1" } })).toBe(true);
    expect(matches({ a: { hasOwnProperty: ["h"] } }, { a: { hasOwnProperty: "h" } })).toBe(true);
  });

  it("does not read array methods or length as fields", () => {
    expect(matches({ a: { length: [{ exists: true }] } }, { a: [] })).toBe(false);
    expect(matches({ a: { map: [{ exists: true }] } }, { a: [1] })).toBe(false);
  });

  it("reads prototype-like names in dotted keys as own keys too", () => {
    expect(matches({ "constructor.name": ["Object"] }, {})).toBe(false);
    expect(matches({ "constructor.name": ["n"] }, { "constructor.name": "n" })).toBe(true);
  });

  it("is not misled by an event whose prototype is null", () => {
    const event = Object.create(null) as Record<string, unknown>;
    event.a = "x";
    expect(matches({ a: ["x"] }, event)).toBe(true);
    expect(matches({ toString: [{ exists: false }] }, event)).toBe(true);
  });

  it("compiles a pattern object with a __proto__ key without touching Object.prototype", () => {
    const before = Object.keys(Object.prototype).length;
    compilePattern('{"__proto__": {"polluted": ["yes"]}}');
    expect(Object.keys(Object.prototype)).toHaveLength(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("invalid patterns", () => {
  describe("the pattern as a whole", () => {
    it("refuses JSON text that is not an object", () => {
      for (const text of ["[]", '["a"]', "1", '"text"', "null", "true"])
        expect(refusal(text).reason).toBe("Filter is not an object");
    });

    it("refuses a parsed value that is not an object", () => {
      expect(refusal([] as unknown as object).reason).toBe("Filter is not an object");
    });

    it("refuses text that is not JSON, naming it as such", () => {
      for (const text of ["", "{", "{a: [1]}", "{'a': ['x']}", '{"a": ["x"],}', "this is not json"]) {
        const err = refusal(text);
        expect(err.reason.startsWith("Filter is not valid JSON")).toBe(true);
        expect(err.message.startsWith("Event pattern is not valid. Reason: Filter is not valid JSON")).toBe(
          true,
        );
      }
    });

    it("refuses a scalar where a rule list or object belongs", () => {
      expectRefused({ a: 1 }, '"a" must be an object or an array');
      expectRefused({ a: "x" }, '"a" must be an object or an array');
      expectRefused({ a: true }, '"a" must be an object or an array');
      expectRefused({ a: null }, '"a" must be an object or an array');
      expectRefused({ d: { "my key": 0 } }, '"my key" must be an object or an array');
    });

    it("refuses an empty rule list at any depth", () => {
      expectRefused({ a: [] }, "Empty arrays are not allowed");
      expectRefused({ a: { b: { c: [] } } }, "Empty arrays are not allowed");
    });

    // JsonRuleCompiler.parseObject (and parseObjectInsideOrRelationship, and the legacy RuleCompiler) end every
    // object with: if (!fieldsPresent) barf("Empty objects are not allowed").
    it("refuses an empty object nested in a pattern", () => {
      expectRefused({ detail: {} }, "Empty objects are not allowed");
    });

    it("refuses an empty object as a $or branch", () => {
      expect(() => compilePattern({ $or: [{}, { a: ["x"] }] })).toThrow(InvalidPatternError);
    });

    it("refuses an empty pattern object", () => {
      expectRefused({}, "Empty objects are not allowed");
    });
  });

  describe("rule values", () => {
    it("refuses a nested array as a rule", () => {
      expectRefused({ a: [["x"]] }, "Match value must be String, number, true, false, or null");
      expectRefused({ a: ["x", []] }, "Match value must be String, number, true, false, or null");
    });

    it("refuses an unknown operator, naming it", () => {
      expectRefused({ a: [{ contains: "x" }] }, "Unrecognized match type contains");
      expectRefused({ a: [{ regex: ".*" }] }, "Unrecognized match type regex");
    });

    it("matches operator names case-sensitively", () => {
      expectRefused({ a: [{ Prefix: "x" }] }, "Unrecognized match type Prefix");
      expectRefused({ a: [{ "ANYTHING-BUT": "x" }] }, "Unrecognized match type ANYTHING-BUT");
      expectRefused({ a: [{ Cidr: "10.0.0.0/8" }] }, "Unrecognized match type Cidr");
    });

    it("refuses a rule object with two operators", () => {
      expectRefused({ a: [{ prefix: "x", suffix: "y" }] }, "Only one key allowed in match expression");
      expectRefused({ a: [{ exists: true, prefix: "x" }] }, "Only one key allowed in match expression");
      expectRefused(
        { a: [{ "equals-ignore-case": "x", wildcard: "y" }] },
        "Only one key allowed in match expression",
      );
      expectRefused(
        { a: [{ cidr: "10.0.0.0/8", exists: true }] },
        "Only one key allowed in match expression",
      );
    });

    // event-ruler reads a match expression token by token: an object with no key fails at the first token
    // (processMatchExpression: "Match expression name not found").
    it("refuses an empty rule object as naming no operator", () => {
      expectRefused({ a: [{}] }, "Match expression name not found");
    });

    // processMatchExpression validates the first key's operand before it looks for a second key.
    it("reports a bad operand of the first operator before a second key", () => {
      expectRefused({ a: [{ prefix: 1, suffix: "y" }] }, "prefix match pattern must be a string");
      expectRefused(
        { a: [{ exists: "yes", prefix: "x" }] },
        "exists match pattern must be either true or false.",
      );
      expectRefused({ a: [{ bogus: 1, prefix: "x" }] }, "Unrecognized match type bogus");
    });

    // After a numeric or anything-but operand, a further key fails the END_OBJECT check with tooManyElements().
    it("reports a key after numeric or anything-but as too many elements", () => {
      expectRefused({ a: [{ numeric: [">", 1], exists: true }] }, "Too many elements in numeric expression");
      expectRefused({ a: [{ "anything-but": "x", prefix: "y" }] }, "Too many elements in numeric expression");
    });
  });

  describe("exists", () => {
    it("refuses an exists operand that is not a boolean", () => {
      for (const operand of ["true", 1, 0, null, [true], {}])
        expectRefused({ a: [{ exists: operand }] }, "exists match pattern must be either true or false.");
    });
  });

  describe("prefix, suffix and equals-ignore-case", () => {
    it("refuses non-string prefix and suffix operands", () => {
      for (const operand of [1, null, true, ["x"]]) {
        expectRefused({ a: [{ prefix: operand }] }, "prefix match pattern must be a string");
        expectRefused({ a: [{ suffix: operand }] }, "suffix match pattern must be a string");
      }
    });

    it("refuses a non-string equals-ignore-case operand, alone or inside prefix and suffix", () => {
      for (const operand of [1, null, true, ["x"], { prefix: "x" }]) {
        expectRefused(
          { a: [{ "equals-ignore-case": operand }] },
          "equals-ignore-case match pattern must be a string",
        );
        expectRefused(
          { a: [{ prefix: { "equals-ignore-case": operand } }] },
          "equals-ignore-case match pattern must be a string",
        );
        expectRefused(
          { a: [{ suffix: { "equals-ignore-case": operand } }] },
          "equals-ignore-case match pattern must be a string",
        );
      }
    });

    // JsonRuleCompiler.processPrefixEqualsIgnoreCaseExpression / processSuffixEqualsIgnoreCaseExpression.
    it("refuses an object operand of prefix or suffix that names nothing", () => {
      expectRefused({ a: [{ prefix: {} }] }, "Prefix expression name not found");
      expectRefused({ a: [{ suffix: {} }] }, "Suffix expression name not found");
    });

    it("refuses an object operand of prefix or suffix other than equals-ignore-case, naming it", () => {
      expectRefused({ a: [{ prefix: { exists: true } }] }, "Unsupported prefix pattern: exists");
      expectRefused({ a: [{ suffix: { wildcard: "*" } }] }, "Unsupported suffix pattern: wildcard");
    });

    it("refuses a second key next to equals-ignore-case inside prefix", () => {
      expectRefused(
        { a: [{ prefix: { "equals-ignore-case": "x", suffix: "y" } }] },
        "Only one key allowed in match expression",
      );
    });
  });

  describe("wildcard and cidr operand types", () => {
    it("refuses a non-string wildcard operand", () => {
      for (const operand of [1, null, true, ["*"], { x: "*" }])
        expectRefused({ a: [{ wildcard: operand }] }, "wildcard match pattern must be a string");
    });

    it("refuses a non-string cidr operand with the prefix message AWS uses", () => {
      for (const operand of [1, null, ["10.0.0.0/8"], { x: 1 }])
        expectRefused({ a: [{ cidr: operand }] }, "prefix match pattern must be a string");
    });
  });

  describe("cidr", () => {
    it("refuses a network without exactly one slash", () => {
      expectRefused({ a: [{ cidr: "10.0.0.0" }] }, "Malformed CIDR, one '/' required");
      expectRefused({ a: [{ cidr: "10.0.0.0/8/8" }] }, "Malformed CIDR, one '/' required");
      expectRefused({ a: [{ cidr: "" }] }, "Malformed CIDR, one '/' required");
    });

    it("refuses mask bits that are not a number", () => {
      expectRefused({ a: [{ cidr: "10.0.0.0/x" }] }, "Malformed CIDR, mask bits must be an integer");
      expectRefused({ a: [{ cidr: "10.0.0.0/8.5" }] }, "Malformed CIDR, mask bits must be an integer");
    });

    it("refuses an address that is not an IP address, naming it", () => {
      expectRefused({ a: [{ cidr: "1.2.3/8" }] }, "Nonstandard IP address: 1.2.3");
      expectRefused({ a: [{ cidr: "/8" }] }, "Nonstandard IP address: ");
      expectRefused({ a: [{ cidr: "host.example/8" }] }, "Nonstandard IP address: host.example");
    });

    // CIDR.cidr: String.split("/") drops a trailing empty string, so "10.0.0.0/" has one part.
    it("refuses a network ending in a slash as lacking the slash", () => {
      expectRefused({ a: [{ cidr: "10.0.0.0/" }] }, "Malformed CIDR, one '/' required");
    });

    // CIDR.cidr: maskBits < 0 → "must not be negative"; IPv4 maskBits > 31 → "IPv4 mask bits must be < 32";
    // IPv6 maskBits > 127 → "IPv6 mask bits must be < 128" (so a single-host /32 or /128 is not a CIDR rule).
    it("refuses negative mask bits", () => {
      expectRefused({ a: [{ cidr: "10.0.0.0/-1" }] }, "Malformed CIDR, mask bits must not be negative");
    });

    it("refuses IPv4 mask bits of 32 or more", () => {
      expectRefused({ a: [{ cidr: "10.0.0.1/32" }] }, "IPv4 mask bits must be < 32");
      expectRefused({ a: [{ cidr: "10.0.0.1/33" }] }, "IPv4 mask bits must be < 32");
    });

    it("refuses IPv6 mask bits of 128 or more", () => {
      expectRefused({ a: [{ cidr: "::1/128" }] }, "IPv6 mask bits must be < 128");
      expectRefused({ a: [{ cidr: "::1/129" }] }, "IPv6 mask bits must be < 128");
    });

    // CIDR.ipToBytes: an address that passes IPv6_REGEX but that InetAddress cannot parse is "Invalid", and
    // one that passes neither regex (dots and colons together) is "Nonstandard".
    it("refuses a malformed IPv6 address as invalid, naming it", () => {
      expectRefused({ a: [{ cidr: "1:2:3:4:5:6:7:8:9/64" }] }, "Invalid IP address: 1:2:3:4:5:6:7:8:9");
    });

    it("refuses an IPv6 network with an embedded IPv4 tail as nonstandard", () => {
      expectRefused({ a: [{ cidr: "::ffff:10.0.0.0/104" }] }, "Nonstandard IP address: ::ffff:10.0.0.0");
    });
  });

  describe("numeric", () => {
    const refusedNumeric = (operand: unknown, reason: string) =>
      expectRefused({ a: [{ numeric: operand }] }, reason);

    it("refuses an operand that is not an array", () => {
      for (const operand of [5, "> 5", null, { ">": 5 }])
        refusedNumeric(operand, "Value of numeric must be an array.");
    });

    it("refuses an unknown comparison, naming it", () => {
      refusedNumeric(["!=", 5], "Unrecognized numeric range operator: !=");
      refusedNumeric(["==", 5], "Unrecognized numeric range operator: ==");
    });

    it("refuses a comparison without a number, naming = as equals", () => {
      refusedNumeric(["=", "5"], "Value of equals must be numeric");
      refusedNumeric(["="], "Value of equals must be numeric");
      refusedNumeric([">", null], "Value of > must be numeric");
      refusedNumeric([">="], "Value of >= must be numeric");
      refusedNumeric(["<", true], "Value of < must be numeric");
      refusedNumeric(["<=", [1]], "Value of <= must be numeric");
      refusedNumeric([">", 0, "<", "5"], "Value of < must be numeric");
      refusedNumeric([">", 0, "<="], "Value of <= must be numeric");
    });

    it("refuses anything after an equality", () => {
      refusedNumeric(["=", 5, "<", 6], "Too many elements in numeric expression");
      refusedNumeric(["=", 5, 6], "Too many elements in numeric expression");
    });

    it("refuses a second lower bound", () => {
      refusedNumeric([">", 0, ">", 5], "Bad numeric range operator: >");
      refusedNumeric([">=", 0, ">=", 5], "Bad numeric range operator: >=");
    });

    it("refuses a range whose bottom is not below its top", () => {
      refusedNumeric([">", 5, "<", 5], "Bottom must be less than top");
      refusedNumeric([">=", 5, "<=", 1], "Bottom must be less than top");
    });

    it("refuses a fifth and sixth term after a complete range", () => {
      refusedNumeric([">", 0, "<", 5, "<", 6], "Too many terms in numeric range expression");
    });

    // JsonRuleCompiler.processNumericMatchExpression / completeNumericRange, token by token:
    it("refuses an empty operand as having no operator", () => {
      refusedNumeric([], "Invalid member in numeric match: ]");
    });

    it("refuses an operand that does not start with an operator string, naming what it found", () => {
      refusedNumeric([5, ">"], "Invalid member in numeric match: 5");
    });

    it("refuses anything after an upper bound as too many elements", () => {
      refusedNumeric(["<", 5, ">", 1], "Too many elements in numeric expression");
      refusedNumeric(["<=", 5, "<", 6], "Too many elements in numeric expression");
    });

    it("refuses = as the second operator of a range as a bad range operator", () => {
      refusedNumeric([">", 0, "=", 5], "Bad numeric range operator: =");
    });

    it("refuses a number where a range's second operator belongs, naming it", () => {
      refusedNumeric([">", 0, 5, 6], "Bad value in numeric range: 5");
    });

    it("refuses any term after a complete range as too many terms", () => {
      refusedNumeric([">", 0, "<", 5, 6], "Too many terms in numeric range expression");
    });
  });

  describe("anything-but", () => {
    const refusedAnythingBut = (operand: unknown, reason: string) =>
      expectRefused({ a: [{ "anything-but": operand }] }, reason);
    const notSingleOrArray = "Value of anything-but must be an array or single string/number value.";

    it("refuses null and booleans as the operand", () => {
      refusedAnythingBut(null, notSingleOrArray);
      refusedAnythingBut(true, notSingleOrArray);
    });

    it("refuses null, booleans, arrays and objects inside the list", () => {
      for (const item of [null, false, ["x"], { x: 1 }])
        refusedAnythingBut(["a", item], "Inside anything but list, start|null|boolean is not supported.");
    });

    it("refuses an operator it cannot negate, naming it", () => {
      refusedAnythingBut({ exists: true }, "Unsupported anything-but pattern: exists");
      refusedAnythingBut({ numeric: [">", 1] }, "Unsupported anything-but pattern: numeric");
      refusedAnythingBut({ cidr: "10.0.0.0/8" }, "Unsupported anything-but pattern: cidr");
      refusedAnythingBut({ "anything-but": "x" }, "Unsupported anything-but pattern: anything-but");
    });

    it("refuses prefix and suffix with a non-string or an empty string", () => {
      refusedAnythingBut({ prefix: 5 }, "prefix/suffix match pattern must be a string");
      refusedAnythingBut({ suffix: ["a", 5] }, "prefix/suffix match pattern must be a string");
      refusedAnythingBut({ prefix: ["a", null] }, "prefix/suffix match pattern must be a string");
      refusedAnythingBut({ prefix: "" }, "Null prefix/suffix not allowed");
      refusedAnythingBut({ suffix: ["a", ""] }, "Null prefix/suffix not allowed");
    });

    it("refuses equals-ignore-case with numbers or null", () => {
      const reason =
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.";
      refusedAnythingBut({ "equals-ignore-case": 5 }, reason);
      refusedAnythingBut({ "equals-ignore-case": ["a", null] }, reason);
    });

    it("refuses wildcard with a non-string or bad syntax", () => {
      refusedAnythingBut({ wildcard: 5 }, "wildcard match pattern must be a string");
      refusedAnythingBut({ wildcard: ["*", 5] }, "wildcard match pattern must be a string");
      refusedAnythingBut({ wildcard: "a\\b" }, "Invalid escape character at pos 2");
    });

    it("refuses an operator object inside the inner operand", () => {
      refusedAnythingBut({ prefix: { "equals-ignore-case": "x" } }, notSingleOrArray);
      refusedAnythingBut({ wildcard: { x: "*" } }, notSingleOrArray);
    });

    // processMatchExpression checks the token after the inner operator name: only an array, a string or a
    // number passes, so null and booleans are refused before any operator-specific check.
    it("refuses null or a boolean as the operand of its prefix, suffix, equals-ignore-case and wildcard forms", () => {
      refusedAnythingBut({ prefix: null }, notSingleOrArray);
      refusedAnythingBut({ suffix: true }, notSingleOrArray);
      refusedAnythingBut({ "equals-ignore-case": null }, notSingleOrArray);
      refusedAnythingBut({ wildcard: false }, notSingleOrArray);
    });

    it("refuses an operand object that names no operator", () => {
      refusedAnythingBut({}, "Anything-But expression name not found");
    });

    it("refuses a second operator in the operand object as too many elements", () => {
      refusedAnythingBut({ prefix: "a", suffix: "b" }, "Too many elements in numeric expression");
    });
  });
});

describe("bad input", () => {
  it("completes on a 10 MB event and finds values at its far end", () => {
    const records = Array.from({ length: 100_000 }, (_, i) => ({
      id: i,
      name: `item-${i}`,
      tags: ["a", "b"],
    }));
    const event = { records, blob: `${"x".repeat(6_000_000)}END`, last: "here" };
    expect(JSON.stringify(event).length).toBeGreaterThan(10_000_000);
    expect(matches({ records: { name: ["item-99999"] } }, event)).toBe(true);
    expect(matches({ records: { name: ["item-100000"] } }, event)).toBe(false);
    expect(matches({ records: { id: [{ numeric: [">=", 99_999] }] } }, event)).toBe(true);
    expect(matches({ blob: [{ suffix: "END" }], last: ["here"] }, event)).toBe(true);
    expect(matches({ blob: [{ wildcard: "x*x*x*END" }] }, event)).toBe(true);
    expect(matches({ blob: [{ "equals-ignore-case": "x" }] }, event)).toBe(false);
    expect(matches({ records: { missing: [{ exists: false }] } }, event)).toBe(true);
  });

  it("completes on a 10 MB event parsed from JSON text", () => {
    const text = `{"a": [${Array.from({ length: 1_100_000 }, (_, i) => `"v${i}"`).join(",")}], "b": "end"}`;
    expect(text.length).toBeGreaterThan(10_000_000);
    const event = JSON.parse(text) as unknown;
    expect(matches({ a: ["v1099999"], b: ["end"] }, event)).toBe(true);
    expect(matches({ a: [{ prefix: "w" }] }, event)).toBe(false);
  });

  describe("an event 100 000 levels deep", () => {
    const depth = 100_000;
    const built = nest(depth, "a", "bottom");
    const parsed = JSON.parse(`${'{"a":'.repeat(depth)}"bottom"${"}".repeat(depth)}`) as unknown;

    it("matches a pattern that follows the deep path a few levels", () => {
      for (const event of [built, parsed]) {
        expect(matches({ a: { a: [{ exists: true }] } }, event)).toBe(false);
        expect(matches({ a: { a: [{ exists: false }] } }, event)).toBe(true);
        expect(matches({ a: { a: { a: ["bottom"] } } }, event)).toBe(false);
      }
    });

    it("matches a pattern on a path the event does not have", () => {
      for (const event of [built, parsed]) {
        expect(matches({ b: ["x"] }, event)).toBe(false);
        expect(matches({ b: [{ exists: false }] }, event)).toBe(true);
        expect(matches({ a: { b: { c: ["x"] } } }, event)).toBe(false);
      }
    });

    it("matches a shallow field next to the deep one", () => {
      const event = { deep: built, top: "x" };
      expect(matches({ top: ["x"] }, event)).toBe(true);
      expect(matches({ top: ["x"], deep: { a: ["y"] } }, event)).toBe(false);
    });

    it("completes on arrays of objects nested 100 000 deep along the path", () => {
      const event = { a: wrapInArrays(depth, { b: "x" }) };
      expect(matches({ a: { b: ["y"] } }, event)).toBe(false);
    });
  });

  describe("deeply nested arrays at a leaf", () => {
    it("finds a value ten arrays deep", () => {
      const event = { f: wrapInArrays(10, "x") };
      expect(matches({ f: ["x"] }, event)).toBe(true);
      expect(matches({ f: [{ prefix: "x" }] }, event)).toBe(true);
      expect(matches({ f: [{ exists: true }] }, event)).toBe(true);
    });

    it("completes without a match on a value 100 000 arrays deep", () => {
      const built = { f: wrapInArrays(100_000, "x") };
      const parsed = JSON.parse(`{"f": ${"[".repeat(100_000)}"x"${"]".repeat(100_000)}}`) as unknown;
      for (const event of [built, parsed]) {
        expect(matches({ f: ["x"] }, event)).toBe(false);
        expect(matches({ f: [{ wildcard: "*" }] }, event)).toBe(false);
        expect(matches({ f: [{ exists: true }] }, event)).toBe(false);
      }
    });
  });

  describe("events that are not objects", () => {
    const patterns: object[] = [{ a: ["x"] }, { a: [{ exists: false }] }, { a: [{ "anything-but": "y" }] }];

    it("never matches null, strings, numbers or booleans", () => {
      for (const pattern of patterns)
        for (const event of [null, undefined, "x", '{"a": "x"}', 0, 1, true, false])
          expect(matches(pattern, event)).toBe(false);
    });

    // An event is a JSON object (event-ruler README: "An Event is a JSON object"); TestEventPattern answers an
    // array event with ValidationException "Parameter Event is not valid." (localstack-esm-notes §4.7), and
    // Sluice itself never matches the other non-objects, exists false included.
    it("never matches an array, even one holding a matching object", () => {
      expect(matches({ a: ["x"] }, [{ a: "x" }])).toBe(false);
      expect(matches({ a: [{ exists: false }] }, [])).toBe(false);
      expect(matches({ a: [{ exists: false }] }, [{ b: 1 }])).toBe(false);
    });
  });

  describe("a pattern 1000 levels deep", () => {
    it("is refused with a clear reason, as object and as text", () => {
      const pattern = nest(1000, "a", ["x"]);
      expect(refusal(pattern).reason).toBe("Pattern nesting exceeds 128 levels");
      expect(refusal(JSON.stringify(pattern)).reason).toBe("Pattern nesting exceeds 128 levels");
    });

    it("is refused when the depth comes from nested $or groups", () => {
      let pattern: object = { a: ["x"] };
      for (let i = 0; i < 1000; i++) pattern = { $or: [pattern, { b: ["y"] }] };
      expect(refusal(pattern).reason).toBe("Pattern nesting exceeds 128 levels");
    });

    it("is refused when the depth comes from dots in one key", () => {
      expect(refusal({ [Array(2000).fill("a").join(".")]: ["x"] }).reason).toBe(
        "Pattern nesting exceeds 128 levels",
      );
    });

    it("compiles and matches at a hundred levels", () => {
      const m = compilePattern(nest(100, "a", ["x"]));
      expect(m(nest(100, "a", "x"))).toBe(true);
      expect(m(nest(99, "a", "x"))).toBe(false);
      expect(m(nest(101, "a", "x"))).toBe(false);
    });
  });

  describe("wildcards near the complexity limit against adversarial strings", () => {
    const long = "a".repeat(1_000_000);

    it("completes on a megabyte of one repeated character", () => {
      expect(matches({ f: [{ wildcard: "*a*a*a*a*b" }] }, { f: long })).toBe(false);
      expect(matches({ f: [{ wildcard: "*a*a*a*a*b" }] }, { f: `${long}b` })).toBe(true);
      expect(matches({ f: [{ wildcard: "a*a*a*a*a*c" }] }, { f: `${long}b` })).toBe(false);
    });

    it("completes on a megabyte of a repeated near-match", () => {
      const value = "ab".repeat(500_000);
      expect(matches({ f: [{ wildcard: "*ab*ab*ab*ab*ac" }] }, { f: value })).toBe(false);
      expect(matches({ f: [{ wildcard: "*ab*ab*ab*ab*ab" }] }, { f: value })).toBe(true);
      expect(matches({ f: [{ wildcard: "ab*ba*ab*ba*abc" }] }, { f: `${value}c` })).toBe(true);
    });

    it("completes with many such wildcards in one rule list and in anything-but", () => {
      const wildcards = Array.from({ length: 50 }, (_, i) => ({ wildcard: `*a*a*a*a*${i}` }));
      expect(matches({ f: wildcards }, { f: long })).toBe(false);
      expect(matches({ f: wildcards }, { f: [long, `${long}49`] })).toBe(true);
      const excluded = { "anything-but": { wildcard: wildcards.map((w) => w.wildcard) } };
      expect(matches({ f: [excluded] }, { f: long })).toBe(true);
      expect(matches({ f: [excluded] }, { f: `${long}7` })).toBe(false);
    });
  });
});
