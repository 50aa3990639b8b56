/**
 * A small interpreter for the Lambda API model's member constraints. Lambda checks these before any handler
 * logic and answers `ValidationException` with one sentence per violation, e.g.
 * `1 validation error detected: Value '11' at 'parallelizationFactor' failed to satisfy constraint: Member must
 * have value less than or equal to 10`. A member of the wrong JSON type is not a constraint violation but a body
 * that cannot be deserialised: `InvalidRequestContentException`, as Lambda's JSON reader answers.
 */
import { InvalidRequestContentException, ValidationException } from "../runtime/errors.js";

export type Shape =
  | { type: "string"; min?: number; max?: number; pattern?: string; enum?: readonly string[] }
  | { type: "integer"; min?: number; max?: number }
  | { type: "boolean" }
  | { type: "timestamp" }
  | { type: "list"; member: Shape; min?: number; max?: number }
  | { type: "map"; key: Shape; value: Shape; max?: number }
  | { type: "structure"; members: Readonly<Record<string, Shape>>; required?: readonly string[] };

export type Structure = Extract<Shape, { type: "structure" }>;

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;

/**
 * Checks `value` against `shape` and returns a copy holding only the members the model declares (members not in
 * the model are ignored, as Lambda does, and so never reach the service or the store). Throws
 * InvalidRequestContentException on a type mismatch, and ValidationException listing every constraint violation.
 */
export function validateAgainstModel(value: unknown, shape: Structure): Record<string, unknown> {
  const violations: string[] = [];
  const pruned = visit(value ?? {}, shape, "", violations) as Record<string, unknown>;
  if (violations.length === 0) return pruned;
  const count = violations.length === 1 ? "1 validation error" : `${violations.length} validation errors`;
  throw new ValidationException(`${count} detected: ${violations.join("; ")}`);
}

function visit(value: unknown, shape: Shape, path: string, out: string[]): unknown {
  if (value === null || value === undefined) return undefined;
  switch (shape.type) {
    case "string": {
      if (typeof value !== "string") throw typeMismatch(path, "String", value);
      const fail = (rule: string) => out.push(violation(value, path, rule));
      if (shape.min !== undefined && value.length < shape.min)
        fail(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value.length > shape.max)
        fail(`Member must have length less than or equal to ${shape.max}`);
      if (shape.enum && !shape.enum.includes(value))
        fail(`Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
      if (shape.pattern !== undefined && !fullMatch(shape.pattern, value))
        fail(`Member must satisfy regular expression pattern: ${shape.pattern}`);
      return value;
    }
    case "integer": {
      if (typeof value !== "number" || !Number.isInteger(value)) throw typeMismatch(path, "Integer", value);
      if (value < INT_MIN || value > INT_MAX)
        throw new InvalidRequestContentException(
          `Could not parse request body into json: Numeric value (${value}) out of range of int at '${path}'`,
        );
      if (shape.min !== undefined && value < shape.min)
        out.push(violation(value, path, `Member must have value greater than or equal to ${shape.min}`));
      if (shape.max !== undefined && value > shape.max)
        out.push(violation(value, path, `Member must have value less than or equal to ${shape.max}`));
      return value;
    }
    case "boolean":
      if (typeof value !== "boolean") throw typeMismatch(path, "Boolean", value);
      return value;
    case "timestamp":
      if (typeof value !== "number" || !Number.isFinite(value)) throw typeMismatch(path, "Timestamp", value);
      return value;
    case "list": {
      if (!Array.isArray(value)) throw typeMismatch(path, "List", value);
      // Members first: a member of the wrong type makes the whole body unreadable, whatever the list's length.
      const items = value.map((item, i) => {
        const itemPath = `${path}.${i + 1}.member`;
        if (item === null) out.push(violation(null, itemPath, "Member must not be null"));
        return visit(item, shape.member, itemPath, out);
      });
      if (shape.min !== undefined && value.length < shape.min)
        out.push(violation(value, path, `Member must have length greater than or equal to ${shape.min}`));
      if (shape.max !== undefined && value.length > shape.max)
        out.push(violation(value, path, `Member must have length less than or equal to ${shape.max}`));
      return items;
    }
    case "map": {
      if (!isPlainObject(value)) throw typeMismatch(path, "Map", value);
      const entries = Object.entries(value).map(([k, v]): [string, unknown] => {
        visit(k, shape.key, `${path}.key`, out);
        if (v === null) out.push(violation(null, `${path}.${k}`, "Member must not be null"));
        return [k, visit(v, shape.value, `${path}.${k}`, out)];
      });
      if (shape.max !== undefined && entries.length > shape.max)
        out.push(violation(value, path, `Member must have length less than or equal to ${shape.max}`));
      // fromEntries defines own properties, so a key such as "__proto__" stays data.
      return Object.fromEntries(entries);
    }
    case "structure": {
      if (!isPlainObject(value)) throw typeMismatch(path, "Structure", value);
      for (const name of shape.required ?? []) {
        if (!Object.hasOwn(value, name) || value[name] === null || value[name] === undefined)
          out.push(violation(null, join(path, name), "Member must not be null"));
      }
      const members: [string, unknown][] = [];
      for (const [name, member] of Object.entries(shape.members)) {
        if (!Object.hasOwn(value, name)) continue;
        const pruned = visit(value[name], member, join(path, name), out);
        if (pruned !== undefined) members.push([name, pruned]);
      }
      return Object.fromEntries(members);
    }
  }
}

/** Coral names members in lowerCamelCase by lowering only the first character: `KMSKeyArn` → `kMSKeyArn`. */
function join(path: string, member: string): string {
  const name = member.charAt(0).toLowerCase() + member.slice(1);
  return path === "" ? name : `${path}.${name}`;
}

function violation(value: unknown, path: string, rule: string): string {
  return `Value ${render(value)} at '${path}' failed to satisfy constraint: ${rule}`;
}

/** Longest rendering of a value in a message; a request may carry megabytes. */
const MAX_RENDERED = 1024;

/** Renders a value as Lambda's Java service prints it in validation messages. */
function render(value: unknown): string {
  if (value === null || value === undefined) return "null";
  const text = javaString(value, 0);
  return `'${text.length > MAX_RENDERED ? `${text.slice(0, MAX_RENDERED)}...` : text}'`;
}

function javaString(value: unknown, depth: number): string {
  if (depth > 8 && typeof value === "object" && value !== null) return "...";
  if (Array.isArray(value)) return `[${value.map((v) => javaString(v, depth + 1)).join(", ")}]`;
  if (isPlainObject(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${javaString(v, depth + 1)}`)
      .join(", ")}}`;
  return String(value);
}

const patternCache = new Map<string, RegExp>();

function fullMatch(pattern: string, value: string): boolean {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`);
    patternCache.set(pattern, re);
  }
  return re.test(value);
}

function typeMismatch(path: string, expected: string, value: unknown): InvalidRequestContentException {
  const got = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  return new InvalidRequestContentException(
    `Could not parse request body into json: Cannot deserialize value of type ${expected} at '${path}' from ${got}`,
  );
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
