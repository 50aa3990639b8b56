/**
 * DocumentDB change events in AWS's event shape (reference/aws-esm-facts.md §7.1): each change as
 * `{"event": <change event in relaxed Extended JSON>}` (`$oid`, `$timestamp`, `$date`), the batch as
 * `{"eventSourceArn", "events", "eventSource": "aws:docdb"}`. Relaxed is the MongoDB Java driver's default
 * `toJson()` mode, the one AWS's samples match: plain numbers, `$date` as ISO text.
 */
import { BSON, Long, Timestamp } from "mongodb";
import { JsonEvent } from "../../pipeline/payload-size.js";
import { TextStreamRecord } from "../source.js";

/** The change stream's resume token, as the driver gives it in `_id` and takes in `resumeAfter`. */
export type ResumeToken = Record<string, unknown>;

/**
 * One change, kept as its event entry's JSON text. Its id is its resume token as canonical Extended JSON: the
 * checkpoint a restart resumes after.
 */
export class ChangeRecord extends TextStreamRecord {
  constructor(
    readonly token: ResumeToken,
    json: string,
    arrivedAt: number,
  ) {
    // One invocation at a time per mapping, in change stream order: every change shares the one lane ("").
    super(tokenText(token), json, arrivedAt, "");
  }
}

export const tokenText = (token: ResumeToken) => BSON.EJSON.stringify(token, { relaxed: false });
export const parseToken = (text: string) => BSON.EJSON.parse(text, { relaxed: false }) as ResumeToken;

/** What the record reads of a change event besides writing it out; wallTime comes with MongoDB 6.0 and later. */
export interface Change {
  _id: unknown;
  clusterTime?: Timestamp;
  wallTime?: Date;
}

export function toChangeRecord(change: Change): ChangeRecord {
  // wallTime has milliseconds; clusterTime, which every server gives, has seconds.
  const arrivedAt =
    change.wallTime?.getTime() ??
    (change.clusterTime ? change.clusterTime.getHighBitsUnsigned() * 1000 : Date.now());
  return new ChangeRecord(
    change._id as ResumeToken,
    `{"event":${BSON.EJSON.stringify(exactLongs(change), { relaxed: true })}}`,
    arrivedAt,
  );
}

/**
 * Relaxed Extended JSON writes a 64-bit integer as a JSON number, which JavaScript reads wrong beyond 2^53: those
 * are replaced, in place (the change is the driver's fresh copy), by `{"$numberLong": "..."}`, which every
 * Extended JSON reader reads exactly. Nothing is copied, since most changes hold no such integer.
 */
function exactLongs<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  const entries = value as Record<string, unknown>;
  for (const key of Object.keys(entries)) {
    const v = entries[key];
    // A Timestamp is a Long too, written as {"$timestamp"}.
    if (v instanceof Long && !(v instanceof Timestamp)) {
      if (v.greaterThan(Number.MAX_SAFE_INTEGER) || v.lessThan(Number.MIN_SAFE_INTEGER))
        entries[key] = { $numberLong: v.toString() };
    } else if (
      Array.isArray(v) ||
      (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype)
    )
      exactLongs(v);
  }
  return value;
}

/** `{"eventSourceArn":...,"events":[` and its close: AWS's key order. */
const head = (clusterArn: string) => `{"eventSourceArn":${JSON.stringify(clusterArn)},"events":[`;
const TAIL = '],"eventSource":"aws:docdb"}';

/** The function's event for a batch, joined from the records' JSON text. */
export function documentdbEvent(clusterArn: string, records: readonly ChangeRecord[]): JsonEvent {
  return new JsonEvent(`${head(clusterArn)}${records.map((r) => r.json).join(",")}${TAIL}`);
}

/** The bytes `documentdbEvent` adds to its records', as the 6 MB cap counts. */
export const documentdbEnvelopeBytes = (clusterArn: string) => Buffer.byteLength(head(clusterArn) + TAIL);
