/**
 * The rules of one field (the array a pattern gives for a key), compiled into one predicate over the field's
 * leaf values plus the two `exists` flags. Rules in an array are ORed. Validation messages are EventBridge's.
 */
import { compileCidr, matchesCidr } from "./cidr.js";
import { invalid } from "./errors.js";
import { compileWildcard, matchesWildcard } from "./wildcard.js";

/** A value at a leaf of an event: what JSON has besides objects and arrays. */
export type Leaf = string | number | boolean | null;
export type LeafTest = (value: Leaf) => boolean;

export interface FieldRules {
  /** True when some leaf value passes; undefined when the field has only `exists` rules. */
  test: LeafTest | undefined;
  /** `exists: true`: the field has a leaf value. */
  existsTrue: boolean;
  /** `exists: false`: the field has no leaf value. */
  existsFalse: boolean;
}

export function compileRules(rules: readonly unknown[]): FieldRules {
  const exact = new ExactValues();
  const tests: LeafTest[] = [];
  let existsTrue = false;
  let existsFalse = false;
  for (const rule of rules) {
    if (rule === null || typeof rule === "string" || typeof rule === "number" || typeof rule === "boolean") {
      exact.add(rule);
      continue;
    }
    if (typeof rule !== "object" || Array.isArray(rule))
      throw invalid("Match value must be String, number, true, false, or null");
    // EventBridge reads a rule object token by token: the first operator and its operand, then the end.
    const keys = Object.keys(rule);
    if (keys.length === 0) throw invalid("Match expression name not found");
    const operator = keys[0] as string;
    const operand = (rule as Record<string, unknown>)[operator];
    const compiled = operator === "exists" ? existsFlag(operand) : compileOperator(operator, operand);
    if (keys.length > 1)
      throw invalid(
        operator === "numeric" || operator === "anything-but"
          ? "Too many elements in numeric expression"
          : "Only one key allowed in match expression",
      );
    if (typeof compiled === "boolean") {
      if (compiled) existsTrue = true;
      else existsFalse = true;
    } else {
      tests.push(compiled);
    }
  }
  const exactTest = exact.test();
  if (exactTest) tests.unshift(exactTest);
  return { test: anyOf(tests), existsTrue, existsFalse };
}

function anyOf(tests: LeafTest[]): LeafTest | undefined {
  if (tests.length <= 1) return tests[0];
  return (value) => {
    for (const test of tests) if (test(value)) return true;
    return false;
  };
}

function existsFlag(operand: unknown): boolean {
  if (typeof operand !== "boolean") throw invalid("exists match pattern must be either true or false.");
  return operand;
}

function compileOperator(operator: string, operand: unknown): LeafTest {
  switch (operator) {
    case "prefix":
      return affixTest(operand, "prefix");
    case "suffix":
      return affixTest(operand, "suffix");
    case "equals-ignore-case": {
      if (typeof operand !== "string") throw invalid("equals-ignore-case match pattern must be a string");
      const expected = caseless(operand);
      return (value) => typeof value === "string" && expected.equals(value);
    }
    case "anything-but":
      return anythingBut(operand);
    case "numeric":
      return numeric(operand);
    case "cidr": {
      if (typeof operand !== "string") throw invalid("prefix match pattern must be a string");
      const cidr = compileCidr(operand);
      return (value) => typeof value === "string" && matchesCidr(cidr, value);
    }
    case "wildcard": {
      if (typeof operand !== "string") throw invalid("wildcard match pattern must be a string");
      const wildcard = compileWildcard(operand);
      return (value) => typeof value === "string" && matchesWildcard(wildcard, value);
    }
    default:
      throw invalid(`Unrecognized match type ${operator}`);
  }
}

/** `prefix` / `suffix`, with a string or `{"equals-ignore-case": string}`. */
function affixTest(operand: unknown, kind: "prefix" | "suffix"): LeafTest {
  const mustBeString = () => invalid(`${kind} match pattern must be a string`);
  if (typeof operand === "string") {
    return kind === "prefix"
      ? (value) => typeof value === "string" && value.startsWith(operand)
      : (value) => typeof value === "string" && value.endsWith(operand);
  }
  if (typeof operand !== "object" || operand === null || Array.isArray(operand)) throw mustBeString();
  const keys = Object.keys(operand);
  if (keys.length === 0)
    throw invalid(`${kind === "prefix" ? "Prefix" : "Suffix"} expression name not found`);
  const inner = keys[0] as string;
  if (inner !== "equals-ignore-case") throw invalid(`Unsupported ${kind} pattern: ${inner}`);
  const text = (operand as Record<string, unknown>)[inner];
  if (typeof text !== "string") throw invalid("equals-ignore-case match pattern must be a string");
  if (keys.length > 1) throw invalid("Only one key allowed in match expression");
  const expected = caseless(text);
  return kind === "prefix"
    ? (value) => typeof value === "string" && expected.isPrefixOf(value)
    : (value) => typeof value === "string" && expected.isSuffixOf(value);
}

const NOT_SINGLE_OR_ARRAY = "Value of anything-but must be an array or single string/number value.";

function anythingBut(operand: unknown): LeafTest {
  if (typeof operand === "string" || typeof operand === "number") return (value) => value !== operand;
  if (Array.isArray(operand)) {
    const types = new Set<string>();
    for (const item of operand) {
      if (typeof item !== "string" && typeof item !== "number")
        throw invalid("Inside anything but list, start|null|boolean is not supported.");
      types.add(typeof item);
    }
    if (types.size !== 1)
      throw invalid(
        "Inside anything but list, either all values are number or string, mixed type is not supported",
      );
    const excluded = new Set<unknown>(operand);
    return (value) => !excluded.has(value);
  }
  if (typeof operand !== "object" || operand === null) throw invalid(NOT_SINGLE_OR_ARRAY);
  const keys = Object.keys(operand);
  if (keys.length === 0) throw invalid("Anything-But expression name not found");
  const operator = keys[0] as string;
  if (!ANYTHING_BUT_FORMS.has(operator)) throw invalid(`Unsupported anything-but pattern: ${operator}`);
  const inner = (operand as Record<string, unknown>)[operator];
  if (inner === null || typeof inner === "boolean" || (typeof inner === "object" && !Array.isArray(inner)))
    throw invalid(NOT_SINGLE_OR_ARRAY);
  const test = anythingButForm(operator as AnythingButForm, inner);
  if (keys.length > 1) throw invalid("Too many elements in numeric expression");
  return test;
}

type AnythingButForm = "prefix" | "suffix" | "equals-ignore-case" | "wildcard";
const ANYTHING_BUT_FORMS = new Set<string>(["prefix", "suffix", "equals-ignore-case", "wildcard"]);

/** The object forms of anything-but; each excludes strings only, so a number, a boolean or null passes. */
function anythingButForm(operator: AnythingButForm, inner: unknown): LeafTest {
  const excludes =
    (test: (value: string) => boolean): LeafTest =>
    (value) =>
      typeof value !== "string" || !test(value);
  switch (operator) {
    case "prefix":
    case "suffix": {
      const affixes = stringList(inner, "prefix/suffix match pattern must be a string");
      if (affixes.some((a) => a === "")) throw invalid("Null prefix/suffix not allowed");
      return operator === "prefix"
        ? excludes((value) => affixes.some((a) => value.startsWith(a)))
        : excludes((value) => affixes.some((a) => value.endsWith(a)));
    }
    case "equals-ignore-case": {
      const texts = stringList(
        inner,
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
      ).map(caseless);
      return excludes((value) => texts.some((t) => t.equals(value)));
    }
    case "wildcard": {
      const wildcards = stringList(inner, "wildcard match pattern must be a string").map(compileWildcard);
      return excludes((value) => wildcards.some((w) => matchesWildcard(w, value)));
    }
  }
}

/** A string or a non-empty list of strings; an object in either place is not an anything-but operand. */
function stringList(operand: unknown, wrongType: string): string[] {
  if (typeof operand === "string") return [operand];
  if (Array.isArray(operand)) {
    if (operand.length === 0) throw invalid("Empty arrays are not allowed");
    if (operand.every((item) => typeof item === "string")) return operand as string[];
    throw invalid(wrongType);
  }
  if (typeof operand === "object" && operand !== null) throw invalid(NOT_SINGLE_OR_ARRAY);
  throw invalid(wrongType);
}

const OPERATORS = new Set(["=", ">", ">=", "<", "<="]);
const UPPER_BOUNDS = new Set(["<", "<="]);

/**
 * `numeric`: `["=", n]`, one bound `[op, n]`, or a range `[">"|">=", low, "<"|"<=", high]`, read in order as
 * EventBridge reads it, so each malformed operand gets EventBridge's reason.
 */
function numeric(operand: unknown): LeafTest {
  if (!Array.isArray(operand)) throw invalid("Value of numeric must be an array.");
  if (operand.length === 0) throw invalid("Invalid member in numeric match: ]");
  const [op, n] = operand as unknown[];
  if (typeof op !== "string") throw invalid(`Invalid member in numeric match: ${JSON.stringify(op)}`);
  if (!OPERATORS.has(op)) throw invalid(`Unrecognized numeric range operator: ${op}`);
  if (typeof n !== "number") throw invalid(`Value of ${op === "=" ? "equals" : op} must be numeric`);
  if (op === "=" || UPPER_BOUNDS.has(op)) {
    if (operand.length > 2) throw invalid("Too many elements in numeric expression");
    if (op === "=") return (value) => value === n;
    return op === "<"
      ? (value) => typeof value === "number" && value < n
      : (value) => typeof value === "number" && value <= n;
  }
  const lowerInclusive = op === ">=";
  if (operand.length === 2)
    return lowerInclusive
      ? (value) => typeof value === "number" && value >= n
      : (value) => typeof value === "number" && value > n;
  const [, , upperOp, upper] = operand as unknown[];
  if (typeof upperOp !== "string") throw invalid(`Bad value in numeric range: ${JSON.stringify(upperOp)}`);
  if (!UPPER_BOUNDS.has(upperOp)) throw invalid(`Bad numeric range operator: ${upperOp}`);
  if (typeof upper !== "number") throw invalid(`Value of ${upperOp} must be numeric`);
  if (operand.length > 4) throw invalid("Too many terms in numeric range expression");
  if (n >= upper) throw invalid("Bottom must be less than top");
  const upperInclusive = upperOp === "<=";
  return (value) =>
    typeof value === "number" &&
    (lowerInclusive ? value >= n : value > n) &&
    (upperInclusive ? value <= upper : value < upper);
}

/** Exact values: strings and numbers in sets, the three literals as flags. */
class ExactValues {
  private readonly strings = new Set<string>();
  private readonly numbers = new Set<number>();
  private hasTrue = false;
  private hasFalse = false;
  private hasNull = false;

  add(value: Leaf): void {
    if (typeof value === "string") this.strings.add(value);
    else if (typeof value === "number") this.numbers.add(value);
    else if (value === true) this.hasTrue = true;
    else if (value === false) this.hasFalse = true;
    else this.hasNull = true;
  }

  test(): LeafTest | undefined {
    const { strings, numbers, hasTrue, hasFalse, hasNull } = this;
    const literals = hasTrue || hasFalse || hasNull;
    if (strings.size === 0 && numbers.size === 0 && !literals) return undefined;
    if (numbers.size === 0 && !literals) {
      if (strings.size === 1) {
        const only = strings.values().next().value as string;
        return (value) => value === only;
      }
      return (value) => typeof value === "string" && strings.has(value);
    }
    return (value) => {
      if (typeof value === "string") return strings.has(value);
      if (typeof value === "number") return numbers.has(value);
      return value === null ? hasNull : value ? hasTrue : hasFalse;
    };
  }
}

/**
 * Case-insensitive comparison as EventBridge does it: each character of the pattern stands for exactly its
 * lower-case or its upper-case form (so "ß" also matches "SS", and "k" does not match the Kelvin sign).
 */
interface Caseless {
  equals(value: string): boolean;
  isPrefixOf(value: string): boolean;
  isSuffixOf(value: string): boolean;
}

function caseless(text: string): Caseless {
  const forms = Array.from(text, (c) => {
    const lower = c.toLowerCase();
    const upper = c.toUpperCase();
    return lower === upper ? [c] : [lower, upper];
  });
  if (forms.every((f) => f.every((form) => form.length === 1))) {
    // Every form one UTF-16 unit: compare unit by unit, without allocating.
    const lower = forms.map((f) => f[0]).join("");
    const upper = forms.map((f) => f.at(-1)).join("");
    const n = lower.length;
    const at = (value: string, from: number) => {
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(from + i);
        if (c !== lower.charCodeAt(i) && c !== upper.charCodeAt(i)) return false;
      }
      return true;
    };
    return {
      equals: (value) => value.length === n && at(value, 0),
      isPrefixOf: (value) => value.length >= n && at(value, 0),
      isSuffixOf: (value) => value.length >= n && at(value, value.length - n),
    };
  }
  // A suffix match starts within the span the forms' total lengths allow: a bounded number of starts.
  const shortest = forms.reduce((sum, f) => sum + Math.min(...f.map((form) => form.length)), 0);
  const longest = forms.reduce((sum, f) => sum + Math.max(...f.map((form) => form.length)), 0);
  return {
    equals: (value) => endsReached(value, forms, 0).includes(value.length),
    isPrefixOf: (value) => endsReached(value, forms, 0).length > 0,
    isSuffixOf: (value) => {
      for (let start = Math.max(0, value.length - longest); start <= value.length - shortest; start++)
        if (endsReached(value, forms, start).includes(value.length)) return true;
      return false;
    },
  };
}

/** Where in `value` a match of all `forms`, starting at `start`, can end (forms may differ in length). */
function endsReached(value: string, forms: readonly string[][], start: number): number[] {
  let positions = [start];
  for (const choices of forms) {
    const next = new Set<number>();
    for (const p of positions)
      for (const form of choices) if (value.startsWith(form, p)) next.add(p + form.length);
    if (next.size === 0) return [];
    positions = [...next];
  }
  return positions;
}
