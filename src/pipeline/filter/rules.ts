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
    const keys = Object.keys(rule);
    if (keys.length !== 1) throw invalid("Only one key allowed in match expression");
    const operator = keys[0] as string;
    const operand = (rule as Record<string, unknown>)[operator];
    if (operator === "exists") {
      if (typeof operand !== "boolean") throw invalid("exists match pattern must be either true or false.");
      if (operand) existsTrue = true;
      else existsFalse = true;
      continue;
    }
    tests.push(compileOperator(operator, operand));
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
  const entries = Object.entries(operand);
  const [inner, text] = entries[0] ?? [];
  if (entries.length !== 1 || inner !== "equals-ignore-case") throw mustBeString();
  if (typeof text !== "string") throw invalid("equals-ignore-case match pattern must be a string");
  const expected = caseless(text);
  return kind === "prefix"
    ? (value) => typeof value === "string" && expected.isPrefixOf(value)
    : (value) => typeof value === "string" && expected.isSuffixOf(value);
}

const NOT_SINGLE_OR_ARRAY = "Value of anything-but must be an array or single string/number value.";

function anythingBut(operand: unknown): LeafTest {
  if (typeof operand === "string" || typeof operand === "number") return (value) => value !== operand;
  if (Array.isArray(operand)) {
    if (operand.length === 0) throw invalid("Empty arrays are not allowed");
    for (const item of operand)
      if (typeof item !== "string" && typeof item !== "number")
        throw invalid("Inside anything but list, start|null|boolean is not supported.");
    const excluded = new Set<unknown>(operand);
    return (value) => !excluded.has(value);
  }
  if (typeof operand !== "object" || operand === null) throw invalid(NOT_SINGLE_OR_ARRAY);
  const entries = Object.entries(operand);
  if (entries.length !== 1) throw invalid("Only one key allowed in match expression");
  const [operator, inner] = entries[0] as [string, unknown];
  // Each form excludes strings only: a number, a boolean or null passes.
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
    default:
      throw invalid(`Unsupported anything-but pattern: ${operator}`);
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

const LOWER_BOUNDS = new Set([">", ">="]);
const UPPER_BOUNDS = new Set(["<", "<="]);
const OPERATORS = new Set(["=", ...LOWER_BOUNDS, ...UPPER_BOUNDS]);

/** `numeric`: `["=", n]`, one bound `[op, n]`, or a range `[">"|">=", low, "<"|"<=", high]`. */
function numeric(operand: unknown): LeafTest {
  if (!Array.isArray(operand)) throw invalid("Value of numeric must be an array.");
  let lower = Number.NEGATIVE_INFINITY;
  let lowerInclusive = false;
  let upper = Number.POSITIVE_INFINITY;
  let upperInclusive = false;
  let equals: number | undefined;
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    if (typeof op !== "string" || !OPERATORS.has(op))
      throw invalid(`Unrecognized numeric range operator: ${String(op)}`);
    const n = operand[i + 1];
    if (typeof n !== "number") throw invalid(`Value of ${op === "=" ? "equals" : op} must be numeric`);
    if (op === "=") {
      if (operand.length > 2) throw invalid("Too many elements in numeric expression");
      equals = n;
    } else if (LOWER_BOUNDS.has(op)) {
      if (i !== 0) throw invalid(`Bad numeric range operator: ${op}`);
      lower = n;
      lowerInclusive = op === ">=";
    } else {
      if (i !== 0 && i !== 2) throw invalid("Too many terms in numeric range expression");
      if (i === 0 && operand.length > 2) throw invalid(`Bad numeric range operator: ${String(operand[2])}`);
      upper = n;
      upperInclusive = op === "<=";
    }
  }
  if (operand.length === 0) throw invalid("Value of numeric must be an array.");
  if (operand.length > 4) throw invalid("Too many terms in numeric range expression");
  if (equals !== undefined) {
    const target = equals;
    return (value) => value === target;
  }
  if (lower >= upper) throw invalid("Bottom must be less than top");
  return (value) =>
    typeof value === "number" &&
    (lowerInclusive ? value >= lower : value > lower) &&
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

/** Case-insensitive comparison against a fixed text, without allocating for ASCII values. */
interface Caseless {
  equals(value: string): boolean;
  isPrefixOf(value: string): boolean;
  isSuffixOf(value: string): boolean;
}

function caseless(text: string): Caseless {
  const lower = text.toLowerCase();
  const ascii = isAscii(lower);
  /** Whether value[from, from + lower.length) equals `lower` ignoring ASCII case; undefined: not ASCII. */
  const compareAt = (value: string, from: number): boolean | undefined => {
    for (let i = 0; i < lower.length; i++) {
      let c = value.charCodeAt(from + i);
      if (c >= 128) return undefined;
      if (c >= 65 && c <= 90) c += 32;
      if (c !== lower.charCodeAt(i)) return false;
    }
    return true;
  };
  return {
    equals: (value) =>
      ascii
        ? value.length === lower.length && (compareAt(value, 0) ?? value.toLowerCase() === lower)
        : value.toLowerCase() === lower,
    isPrefixOf: (value) =>
      ascii
        ? value.length >= lower.length && (compareAt(value, 0) ?? value.toLowerCase().startsWith(lower))
        : value.toLowerCase().startsWith(lower),
    isSuffixOf: (value) =>
      ascii
        ? value.length >= lower.length &&
          (compareAt(value, value.length - lower.length) ?? value.toLowerCase().endsWith(lower))
        : value.toLowerCase().endsWith(lower),
  };
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 128) return false;
  return true;
}
