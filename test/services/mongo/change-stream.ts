// The change-event log behind change streams: every write appends one event with a global sequence number
// and a cluster time; cursors read it from a position (a sequence number) and getMore waits on it.
import { BSON, type Document, Timestamp } from "mongodb";

export type OperationType = "insert" | "update" | "replace" | "delete";

export interface ChangeRecord {
  seq: number;
  clusterTime: Timestamp;
  wallTime: Date;
  db: string;
  coll: string;
  operationType: OperationType;
  documentKey: { _id: unknown };
  /** The document as written, for insert and replace. */
  fullDocument?: Document;
  updateDescription?: { updatedFields: Document; removedFields: string[]; truncatedArrays: [] };
}

export interface ChangeCursor {
  id: number;
  ns: string;
  /** undefined: every database (a cluster-wide stream). */
  db: string | undefined;
  /** undefined: every collection of `db` (a database-level stream). */
  coll: string | undefined;
  updateLookup: boolean;
  /** startAtOperationTime: events before it are not returned even if written after the cursor opened. */
  from: Timestamp | undefined;
  /** The sequence number of the last event this cursor has looked at. */
  after: number;
}

export class CommandError extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
    readonly errorLabels?: string[],
    /** Extra fields for a write error (e.g. keyValue of a duplicate key). */
    readonly details?: Document,
  ) {
    super(message);
  }
}

const historyLost = (): CommandError =>
  new CommandError(
    286,
    "ChangeStreamHistoryLost",
    "Resume of change stream was not possible, as the resume point may no longer be in the oplog.",
    ["NonResumableChangeStreamError"],
  );

/** Stays clear of the 16 MiB reply limit, leaving room for the reply's cursor fields. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;

// Resume tokens: 16 hex digits of a sequence number, then "00" for that event or "01" for a position just
// after it with no event of its own (a postBatchResumeToken of an empty batch). Both resume after the
// sequence number, and sort as the log does. They differ once history expired: an event token needs its
// event still kept (as MongoDB needs the token's oplog entry), a position token only the events after it.
const token = (seq: number, kind: "00" | "01") => ({ _data: seq.toString(16).padStart(16, "0") + kind });
export const eventToken = (seq: number) => token(seq, "00");
export const positionToken = (seq: number) => token(seq, "01");

export class ChangeLog {
  /** Kept events, oldest first, with consecutive sequence numbers. */
  private events: ChangeRecord[] = [];
  private lastSeq = 0;
  private lastTime = new Timestamp({ t: 0, i: 0 });
  /** The newest event expireHistory forgot. */
  private expired: { seq: number; clusterTime: Timestamp } | undefined;
  private readonly waiters = new Set<() => void>();

  /** Events recorded so far, expired ones included. */
  get count(): number {
    return this.lastSeq;
  }

  /** The cluster time the next event would get now: at or before that of every later event, after every earlier one. */
  nextTime(): Timestamp {
    const now = Math.floor(Date.now() / 1000);
    const { t, i } = this.lastTime;
    return now > t ? new Timestamp({ t: now, i: 1 }) : new Timestamp({ t, i: i + 1 });
  }

  record(change: Omit<ChangeRecord, "seq" | "clusterTime" | "wallTime">): void {
    this.lastTime = this.nextTime();
    this.events.push({ ...change, seq: ++this.lastSeq, clusterTime: this.lastTime, wallTime: new Date() });
    for (const wake of this.waiters) wake();
  }

  expire(keep = 0): void {
    const drop = this.events.length - Math.max(0, keep);
    const newest = this.events[drop - 1];
    if (!newest) return;
    this.expired = { seq: newest.seq, clusterTime: newest.clusterTime };
    this.events = this.events.slice(drop);
  }

  /** The position a new change stream starts at, from its $changeStream options; throws if history is lost. */
  startPosition(stage: Document): number {
    const resumeToken: unknown = stage.startAfter ?? stage.resumeAfter;
    if (resumeToken !== undefined) {
      const data = (resumeToken as Document | null)?._data;
      const match = typeof data === "string" ? /^([0-9a-f]{16})(00|01)$/.exec(data) : null;
      if (!match) throw new CommandError(9, "FailedToParse", `invalid resume token: ${JSON.stringify(data)}`);
      const seq = Number.parseInt(match[1] as string, 16);
      const kept = this.expired
        ? match[2] === "00"
          ? seq > this.expired.seq
          : seq >= this.expired.seq
        : true;
      if (!kept || seq > this.lastSeq) throw historyLost();
      return seq;
    }
    if (stage.startAtOperationTime instanceof Timestamp) {
      const from = stage.startAtOperationTime;
      if (this.expired && from.compare(this.expired.clusterTime) <= 0) throw historyLost();
      const first = this.events.find((event) => event.clusterTime.compare(from) >= 0);
      return first ? first.seq - 1 : this.lastSeq;
    }
    return this.lastSeq;
  }

  /**
   * The cursor's next events as change event documents (made by `toEvent`), oldest first: at most `limit`,
   * under MAX_BATCH_BYTES unless a single event is bigger. Moves the cursor past the events it looked at.
   */
  read(cursor: ChangeCursor, limit: number, toEvent: (record: ChangeRecord) => Document): Document[] {
    // Events this cursor had yet to read were forgotten: MongoDB fails the getMore the same way.
    if (this.expired && cursor.after < this.expired.seq) throw historyLost();
    const batch: Document[] = [];
    let bytes = 0;
    const firstSeq = this.events[0]?.seq ?? this.lastSeq + 1;
    for (let i = cursor.after + 1 - firstSeq; i < this.events.length; i++) {
      const record = this.events[i] as ChangeRecord;
      if (watches(cursor, record)) {
        if (batch.length >= limit) break;
        const event = toEvent(record);
        const size = BSON.calculateObjectSize(event, { ignoreUndefined: true });
        if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
        batch.push(event);
        bytes += size;
      }
      cursor.after = record.seq;
    }
    return batch;
  }

  /** Resolves on the next recorded event, after `ms`, or when `signal` aborts; no polling. */
  waitForEvent(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal.addEventListener("abort", done);
    });
  }
}

function watches(cursor: ChangeCursor, record: ChangeRecord): boolean {
  return (
    (cursor.db === undefined || record.db === cursor.db) &&
    (cursor.coll === undefined || record.coll === cursor.coll) &&
    (cursor.from === undefined || record.clusterTime.compare(cursor.from) >= 0)
  );
}
