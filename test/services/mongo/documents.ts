// Document helpers for the test server: value equality, equality filters and the update operators it knows.
// Documents are never changed in place (an update makes a new one), so change events can share them.
import { BSON, type Document, Double, Int32, Long } from "mongodb";
import { CommandError } from "./change-stream.js";

/** A value's identity: its BSON encoding, so types count as in BSON (Int32 1 is not Double 1, unlike MongoDB). */
export function valueKey(value: unknown): string {
  const bytes = BSON.serialize({ v: value });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

const sameValue = (a: unknown, b: unknown): boolean =>
  a === undefined || b === undefined ? a === b : valueKey(a) === valueKey(b);

export const unsupported = (what: string): CommandError =>
  new CommandError(2, "BadValue", `${what} is not supported by the Sluice MongoDB test server`);

function checkField(field: string): void {
  if (field.includes(".")) throw unsupported(`the dotted path '${field}'`);
}

/**
 * A predicate for an equality filter on top-level fields ({field: null} also matches a missing field, as in
 * MongoDB). Throws at once on anything else, rather than match wrongly.
 */
export function compileFilter(filter: Document | undefined): (doc: Document) => boolean {
  const conditions = Object.entries(filter ?? {});
  for (const [field, wanted] of conditions) {
    if (field.startsWith("$")) throw unsupported(`the query operator ${field}`);
    if (typeof wanted === "object" && wanted !== null && Object.keys(wanted).some((k) => k.startsWith("$"))) {
      throw unsupported(`a query operator on '${field}'`);
    }
    checkField(field);
  }
  return (doc) =>
    conditions.every(([field, wanted]) =>
      wanted === null ? doc[field] == null : sameValue(doc[field], wanted),
    );
}

function increment(current: unknown, by: unknown): unknown {
  const isNumber = (v: unknown) => v instanceof Int32 || v instanceof Double || v instanceof Long;
  if (current === undefined) current = new Int32(0);
  if (!isNumber(current) || !isNumber(by)) {
    throw new CommandError(14, "TypeMismatch", "Cannot apply $inc to a value of non-numeric type");
  }
  // The sum takes the wider type, as in MongoDB: Double over Long over Int32 (which widens on overflow).
  if (current instanceof Double || by instanceof Double) return new Double(Number(current) + Number(by));
  const toLong = (v: unknown) => (v instanceof Long ? v : Long.fromNumber(Number(v)));
  const sum = toLong(current).add(toLong(by));
  const int32 = current instanceof Int32 && by instanceof Int32 && sum.toNumber() === (sum.toNumber() | 0);
  return int32 ? new Int32(sum.toNumber()) : sum;
}

export interface UpdateResult {
  doc: Document;
  /** u was a whole replacement document, not update operators. */
  replaced: boolean;
}

const UPDATE_OPERATORS = new Set(["$set", "$unset", "$inc"]);

const immutableId = () =>
  new CommandError(
    66,
    "ImmutableField",
    "Performing an update on the path '_id' would modify the immutable field '_id'",
  );

/** Applies an update statement's `u`: a replacement document, or $set / $unset / $inc on top-level fields. */
export function applyUpdate(old: Document, u: unknown): UpdateResult {
  if (typeof u !== "object" || u === null || Array.isArray(u)) throw unsupported("an update pipeline");
  const update = u as Document;
  if (!Object.keys(update).some((key) => key.startsWith("$"))) {
    if (old._id !== undefined && update._id !== undefined && !sameValue(old._id, update._id))
      throw immutableId();
    // _id stays first and keeps its value; a replacement without _id keeps the old one.
    return { doc: { _id: old._id, ...update }, replaced: true };
  }
  const doc: Document = { ...old };
  for (const [operator, fields] of Object.entries(update)) {
    if (!UPDATE_OPERATORS.has(operator)) {
      throw new CommandError(
        9,
        "FailedToParse",
        `Unknown modifier: ${operator}. Expected a valid update modifier`,
      );
    }
    for (const [field, value] of Object.entries(fields as Document)) {
      checkField(field);
      if (field === "_id" && (operator !== "$set" || !sameValue(old._id, value))) throw immutableId();
      if (operator === "$set") doc[field] = value;
      else if (operator === "$inc") doc[field] = increment(doc[field], value);
      else delete doc[field];
    }
  }
  return { doc, replaced: false };
}

/** An update event's updateDescription: the fields whose value changed or appeared, and those removed. */
export function describeUpdate(
  old: Document,
  doc: Document,
): { updatedFields: Document; removedFields: string[]; truncatedArrays: [] } {
  const updatedFields: Document = {};
  for (const [field, value] of Object.entries(doc)) {
    if (!sameValue(old[field], value)) updatedFields[field] = value;
  }
  const removedFields = Object.keys(old).filter((field) => !(field in doc));
  return { updatedFields, removedFields, truncatedArrays: [] };
}

/** True when the two documents have the same fields, in the same order, with the same values. */
export function sameDocument(a: Document, b: Document): boolean {
  return Buffer.compare(BSON.serialize(a), BSON.serialize(b)) === 0;
}
