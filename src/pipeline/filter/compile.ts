/**
 * Compiles an EventBridge / Lambda event pattern once into a matcher. A pattern is an AND of fields (each a
 * dotted path to a leaf, with its rules) and of `$or` groups (each an OR of sub-patterns). Matching walks only
 * the paths the pattern names; event arrays fan out (a field matches if any element does), and an event key
 * that itself contains dots (`"state.status"`) stands for the nested path, as EventBridge flattens both sides.
 */
import { invalid } from "./errors.js";
import { compileRules, type FieldRules, type Leaf, type LeafTest } from "./rules.js";

export type Matcher = (event: unknown) => boolean;

/** Nesting beyond this is refused: a pattern that deep is a mistake or an attack (Lambda caps text at 4 KB). */
const MAX_PATTERN_DEPTH = 256;
/** Event arrays nested deeper than this are not searched further: a bounded cost (and stack) per event. */
const MAX_ARRAY_DEPTH = 64;

interface Field {
  /** Path segments; pattern keys with dots are split, so `{"a": {"b.c": [..]}}` is a, b, c. */
  path: readonly string[];
  /** For each segment i: the keys `path[i..j]` joined with dots, for j > i (event keys with dots). */
  joined: readonly (readonly string[])[];
  /** Segments that must be read as own properties: names Object.prototype also has. */
  own: readonly boolean[];
  rules: FieldRules;
}

interface Conjunction {
  /** By dotted path: a path given twice (`"a.b"` and `{"a": {"b"}}`) keeps the last, like a duplicate key. */
  fields: Map<string, Field>;
  ors: Conjunction[][];
}

/** Operator names: a `$or` whose objects use one is an ordinary field named `$or`, as in EventBridge. */
const OPERATOR_NAMES = new Set([
  "prefix",
  "suffix",
  "equals-ignore-case",
  "anything-but",
  "numeric",
  "exists",
  "cidr",
  "wildcard",
]);

export function compilePatternObject(pattern: unknown): Matcher {
  if (typeof pattern !== "object" || pattern === null || Array.isArray(pattern))
    throw invalid("Filter is not an object");
  const root = conjunction();
  addMembers(root, pattern as Record<string, unknown>, [], 0);
  const compiled = freeze(root);
  return (event) =>
    typeof event === "object" && event !== null && !Array.isArray(event) && matches(compiled, event);
}

const conjunction = (): Conjunction => ({ fields: new Map(), ors: [] });

function addMembers(into: Conjunction, node: Record<string, unknown>, prefix: string[], depth: number): void {
  if (depth > MAX_PATTERN_DEPTH) throw invalid(`Pattern nesting exceeds ${MAX_PATTERN_DEPTH} levels`);
  const entries = Object.entries(node);
  if (entries.length === 0) throw invalid("Empty objects are not allowed");
  for (const [key, value] of entries) {
    if (key === "$or" && isOrGroup(value)) {
      into.ors.push(
        value.map((branch) => {
          const group = conjunction();
          addMembers(group, branch, prefix, depth + 1);
          return group;
        }),
      );
      continue;
    }
    const path = [...prefix, ...key.split(".")];
    if (Array.isArray(value)) {
      if (value.length === 0) throw invalid("Empty arrays are not allowed");
      const joined = path.join(".");
      into.fields.delete(joined);
      into.fields.set(joined, field(path, compileRules(value)));
    } else if (typeof value === "object" && value !== null) {
      addMembers(into, value as Record<string, unknown>, path, depth + 1);
    } else {
      throw invalid(`"${key}" must be an object or an array`);
    }
  }
}

/**
 * `$or` is the operator when its value is an array of at least two objects none of which uses an operator name
 * as a key; otherwise it is an ordinary field whose rules are that array.
 */
function isOrGroup(value: unknown): value is Record<string, unknown>[] {
  return (
    Array.isArray(value) &&
    value.length >= 2 &&
    value.every(
      (v) =>
        typeof v === "object" &&
        v !== null &&
        !Array.isArray(v) &&
        Object.keys(v).every((key) => !OPERATOR_NAMES.has(key)),
    )
  );
}

/** The matching form: fields as an array, in pattern order. */
interface Compiled {
  fields: Field[];
  ors: Compiled[][];
}

function freeze(c: Conjunction): Compiled {
  return { fields: [...c.fields.values()], ors: c.ors.map((group) => group.map(freeze)) };
}

function field(path: string[], rules: FieldRules): Field {
  return {
    path,
    joined: path.map((_, i) => path.slice(i + 1).map((__, k) => path.slice(i, i + k + 2).join("."))),
    own: path.map((segment) => segment in Object.prototype),
    rules,
  };
}

function matches(compiled: Compiled, event: object): boolean {
  for (const f of compiled.fields) if (!fieldMatches(f, event)) return false;
  for (const group of compiled.ors) {
    let any = false;
    for (const branch of group) {
      if (matches(branch, event)) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

const ANY_LEAF: LeafTest = () => true;

function fieldMatches(f: Field, event: object): boolean {
  const { test, existsTrue, existsFalse } = f.rules;
  if (test && anyLeaf(f, event, 0, test, 0)) return true;
  if (existsTrue || existsFalse) {
    const exists = anyLeaf(f, event, 0, ANY_LEAF, 0);
    return existsTrue ? exists || (existsFalse && !exists) : !exists;
  }
  return false;
}

/** Whether some leaf value at `f.path[i..]` below `node` passes `test`; `arrays` counts enclosing arrays. */
function anyLeaf(f: Field, node: unknown, i: number, test: LeafTest, arrays: number): boolean {
  if (i === f.path.length) return anyLeafValue(node, test, arrays);
  if (typeof node !== "object" || node === null) return false;
  if (Array.isArray(node)) {
    if (arrays >= MAX_ARRAY_DEPTH) return false;
    for (const element of node) if (anyLeaf(f, element, i, test, arrays + 1)) return true;
    return false;
  }
  const record = node as Record<string, unknown>;
  const key = f.path[i] as string;
  const child = f.own[i] ? own(record, key) : record[key];
  if (child !== undefined && anyLeaf(f, child, i + 1, test, arrays)) return true;
  // Slow path, taken only on a miss: event keys such as "a.b" that stand for several segments at once.
  const joined = f.joined[i] as readonly string[];
  if (joined.length === 0 || !hasDottedKey(record)) return false;
  for (let k = 0; k < joined.length; k++) {
    const value = own(record, joined[k] as string);
    if (value !== undefined && anyLeaf(f, value, i + k + 2, test, arrays)) return true;
  }
  return false;
}

/** A leaf position holds a value, or an array of them (nested arrays flatten); objects are not leaves. */
function anyLeafValue(node: unknown, test: LeafTest, arrayDepth: number): boolean {
  if (Array.isArray(node)) {
    if (arrayDepth >= MAX_ARRAY_DEPTH) return false;
    for (const element of node) if (anyLeafValue(element, test, arrayDepth + 1)) return true;
    return false;
  }
  if (typeof node === "object" && node !== null) return false;
  if (typeof node !== "string" && typeof node !== "number" && typeof node !== "boolean" && node !== null)
    return false;
  return test(node as Leaf);
}

function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function hasDottedKey(record: Record<string, unknown>): boolean {
  for (const key in record) if (key.includes(".")) return true;
  return false;
}
