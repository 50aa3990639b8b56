/**
 * Compiles an EventBridge / Lambda event pattern once into a matcher. A pattern is an AND of fields (each a
 * dotted path to a leaf, with its rules) and of `$or` groups (each an OR of sub-patterns). Matching walks only
 * the paths the pattern names; event arrays fan out (a field matches if any element does), and an event key
 * that itself contains dots (`"state.status"`) stands for the nested path, as EventBridge flattens both sides.
 */
import { invalid } from "./errors.js";
import { compileRules, type FieldRules, type LeafTest } from "./rules.js";

export type Matcher = (event: unknown) => boolean;

/**
 * Paths longer than this (by nesting or by dots in a key) are refused: a pattern that deep is a mistake or an
 * attack, and the code generated for a path grows with the square of its length (Lambda caps text at 4 KB).
 */
const MAX_PATTERN_DEPTH = 128;
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
  return generate(root);
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
    if (path.length > MAX_PATTERN_DEPTH) throw invalid(`Pattern nesting exceeds ${MAX_PATTERN_DEPTH} levels`);
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

function field(path: string[], rules: FieldRules): Field {
  return {
    path,
    joined: path.map((_, i) => path.slice(i + 1).map((__, k) => path.slice(i, i + k + 2).join("."))),
    own: path.map((segment) => segment in Object.prototype),
    rules,
  };
}

/**
 * Generates the matcher's code: per field, one small function per path step with the keys written in as string
 * literals, so every property read has an inline cache of its own (a shared walker's keyed reads would be
 * megamorphic). Only keys become code, always through JSON.stringify; rule tests stay closures passed in.
 */
function generate(root: Conjunction): Matcher {
  const tests: (LeafTest | undefined)[] = [];
  const code: string[] = [];
  const expression = (c: Conjunction): string => {
    const terms = [...c.fields.values()].map((f) => {
      const k = tests.push(f.rules.test) - 1;
      emitField(f, k, code);
      return `f${k}(e)`;
    });
    for (const group of c.ors) terms.push(`(${group.map(expression).join(" || ")})`);
    return terms.join(" && ");
  };
  const body = expression(root);
  const source = `"use strict";
${code.join("\n")}
return function match(e) { return typeof e === "object" && e !== null && !Array.isArray(e) && ${body}; };`;
  return new Function("tests", "MAX_ARRAY_DEPTH", source)(tests, MAX_ARRAY_DEPTH) as Matcher;
}

/** Field k: `f{k}(event)` decides it; walkers `w{k}t_i` apply its test, `w{k}x_i` only look for a leaf. */
function emitField(f: Field, k: number, code: string[]): void {
  const { test, existsTrue, existsFalse } = f.rules;
  const lines = [`function f${k}(e) {`];
  if (test) {
    code.push(`const t${k} = tests[${k}];`);
    emitWalkers(f, `w${k}t`, `t${k}(node)`, code);
    lines.push(`  if (w${k}t_0(e, 0)) return true;`);
  }
  if (existsTrue || existsFalse) {
    emitWalkers(f, `w${k}x`, "true", code);
    lines.push(`  const exists = w${k}x_0(e, 0);`);
    lines.push(existsTrue ? `  return exists || (${existsFalse} && !exists);` : "  return !exists;");
  } else {
    lines.push("  return false;");
  }
  code.push(...lines, "}");
}

/**
 * `{name}_i(node, arrays)`: whether a leaf at path[i..] below `node` passes `leaf` (an expression on `node`).
 * Arrays fan out at every step, up to MAX_ARRAY_DEPTH levels.
 */
function emitWalkers(f: Field, name: string, leaf: string, code: string[]): void {
  const n = f.path.length;
  const fanOut = (i: number) =>
    `if (arrays >= MAX_ARRAY_DEPTH) return false; for (let j = 0; j < node.length; j++) if (${name}_${i}(node[j], arrays + 1)) return true; return false;`;
  code.push(`function ${name}_${n}(node, arrays) {
  if (typeof node === "object") { if (node === null) return ${leaf}; if (!Array.isArray(node)) return false; ${fanOut(n)} }
  if (typeof node === "string" || typeof node === "number" || typeof node === "boolean") return ${leaf};
  return false;
}`);
  for (let i = n - 1; i >= 0; i--) {
    const key = JSON.stringify(f.path[i]);
    // A segment Object.prototype also has ("constructor", "__proto__") must be an own property to count.
    const read = f.own[i] ? `(Object.hasOwn(node, ${key}) ? node[${key}] : undefined)` : `node[${key}]`;
    // Event keys such as "a.b" stand for several segments at once; they hold a dot, so no Object.prototype
    // member can answer for them and a plain read is safe.
    const dotted = (f.joined[i] as readonly string[])
      .map((joinedKey, j) => {
        const value = `node[${JSON.stringify(joinedKey)}]`;
        return `  if (${value} !== undefined && ${name}_${i + j + 2}(${value}, arrays)) return true;`;
      })
      .join("\n");
    code.push(`function ${name}_${i}(node, arrays) {
  if (typeof node !== "object" || node === null) return false;
  if (Array.isArray(node)) { ${fanOut(i)} }
  const child = ${read};
  if (child !== undefined && ${name}_${i + 1}(child, arrays)) return true;
${dotted}
  return false;
}`);
  }
}
