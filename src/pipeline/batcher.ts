/**
 * Gathers records into batches and says when to invoke. Pure and synchronous: it keeps no timers, and every
 * call that depends on time takes `now` (ms) from the caller, so tests drive it with plain numbers.
 *
 * A batch is cut, whichever comes first (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html):
 * - BatchSize records are in (`add` returns it);
 * - the next record would push the payload over 6 MB (`add` returns the batch, and that record starts the next);
 * - the batching window has elapsed (`due(now)` turns true at `nextDeadline()`; the caller then calls `flush`).
 *
 * `add` never cuts on time. Records that arrive together (one ReceiveMessage, one GetRecords) are added one by
 * one at the same `now` and stay in one batch, which is what a window of 0 means: "as fast as possible", not
 * "one record per invoke". After adding a poll's records, the caller asks `due(now)`.
 *
 * Usage, per shard or per poller:
 * ```ts
 * for (const record of polled) for (const cut of batcher.add(record, now)) emit(cut);
 * if (batcher.due(now)) emit(batcher.flush(now));
 * // sleep until batcher.nextDeadline() or the next poll, whichever is sooner
 * ```
 */
import { MAX_PAYLOAD_BYTES, RECORDS_ENVELOPE_BYTES } from "./payload-size.js";

/**
 * When a batching window opens.
 * - `"firstRecord"`: when the first record enters an empty batch. AWS documents this for Amazon MSK,
 *   self-managed Kafka, Amazon MQ and DocumentDB ("A batching window begins as soon as the first record
 *   arrives"). The default.
 * - `"flush"`: when the previous batch left the batcher, or at `restartWindow(now)`. AWS documents this for
 *   SQS, Kinesis and DynamoDB Streams ("the next batching window begins as soon as the previous function
 *   invocation completes"). Before any batch has left, the window opens at the first record. After a quiet
 *   spell the window has long elapsed, so the first new record is due at once, as in AWS's wording.
 *
 * Only these two: they are the two rules AWS documents. The batcher cannot see invocations, so a caller that
 * wants AWS's "completes" exactly (streams: one invocation at a time per shard) calls `restartWindow(now)`
 * when the invocation settles; without it the window runs from the cut.
 */
export type WindowStart = "firstRecord" | "flush";

export interface BatcherOptions {
  /** BatchSize: the most records in one batch (AWS: 1..10,000; FIFO SQS 10). */
  maxRecords: number;
  /** The payload cap in bytes, envelope included. Default `MAX_PAYLOAD_BYTES` (6 MB), which AWS fixes. */
  maxBytes?: number;
  /**
   * MaximumBatchingWindowInSeconds in milliseconds (500 for the Kafka, MQ and DocumentDB default).
   * 0: a batch is due as soon as it holds a record.
   */
  windowMs: number;
  /**
   * Bytes of the invoke payload that are not record entries. Default `RECORDS_ENVELOPE_BYTES`,
   * the 14 bytes of `{"Records":[]}` that SQS, Kinesis and DynamoDB Streams events share.
   */
  envelopeBytes?: number;
  /** When the window opens; see `WindowStart`. Default `"firstRecord"`. */
  windowStartsAt?: WindowStart;
}

/** Why a batch was cut: full by count, full by bytes, its window elapsed, or the caller flushed it early. */
export type CutReason = "count" | "bytes" | "window" | "forced";

/** A batch: a small value that owns its records array. */
export interface Batch<R> {
  readonly kind: "batch";
  /** In the order they were added. */
  readonly records: R[];
  /** The payload size: `envelopeBytes` plus every record's `bytes`; never more than `maxBytes`. */
  readonly bytes: number;
  /** `now` when its first record was added. */
  readonly openedAt: number;
  readonly reason: CutReason;
}

/**
 * A record that cannot fit any batch: the envelope and the record alone exceed `maxBytes`. It is not invoked.
 * What happens to it depends on the source (AWS: Kafka records over 6 MB "can go unprocessed"; a stream would
 * block or skip it), so the batcher only reports it.
 */
export interface Oversized<R> {
  readonly kind: "oversized";
  readonly record: R;
  /** The payload it alone would make: `envelopeBytes + record.bytes`. */
  readonly bytes: number;
}

/** What `add` hands back, in record order. */
export type Cut<R> = Batch<R> | Oversized<R>;

export class Batcher<R extends { bytes: number }> {
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly windowMs: number;
  readonly envelopeBytes: number;
  readonly windowStartsAt: WindowStart;

  #records: R[] = [];
  #bytes: number;
  #openedAt = 0;
  /** `"flush"` mode: when the last batch left (or `restartWindow`); undefined until then. */
  #lastCutAt: number | undefined;

  constructor(options: BatcherOptions) {
    const {
      maxRecords,
      maxBytes = MAX_PAYLOAD_BYTES,
      windowMs,
      envelopeBytes = RECORDS_ENVELOPE_BYTES,
      windowStartsAt = "firstRecord",
    } = options;
    if (!Number.isInteger(maxRecords) || maxRecords < 1) {
      throw new RangeError(`maxRecords must be an integer of at least 1, not ${maxRecords}`);
    }
    if (!Number.isFinite(windowMs) || windowMs < 0) {
      throw new RangeError(`windowMs must be a finite number of at least 0, not ${windowMs}`);
    }
    if (!Number.isInteger(envelopeBytes) || envelopeBytes < 0) {
      throw new RangeError(`envelopeBytes must be an integer of at least 0, not ${envelopeBytes}`);
    }
    if (!Number.isFinite(maxBytes) || maxBytes <= envelopeBytes) {
      throw new RangeError(`maxBytes must leave room for records after the envelope, not ${maxBytes}`);
    }
    this.maxRecords = maxRecords;
    this.maxBytes = maxBytes;
    this.windowMs = windowMs;
    this.envelopeBytes = envelopeBytes;
    this.windowStartsAt = windowStartsAt;
    this.#bytes = envelopeBytes;
  }

  /** Records in the open batch. */
  get size(): number {
    return this.#records.length;
  }

  /**
   * Adds a record at time `now` and returns what became complete, in record order: a batch the record did not
   * fit (it starts the next one), a batch it filled (BatchSize, or exactly `maxBytes`), or the record itself as
   * `oversized`. An oversized record first cuts the open batch, so the records before it are never held back
   * behind it and order is kept.
   */
  add(record: R, now: number): Cut<R>[] {
    const share = record.bytes;
    if (!Number.isFinite(share) || share < 0) {
      throw new RangeError(`a record's bytes must be a finite number of at least 0, not ${share}`);
    }
    const cuts: Cut<R>[] = [];
    if (this.envelopeBytes + share > this.maxBytes) {
      if (this.#records.length > 0) cuts.push(this.#cut("bytes", now));
      cuts.push({ kind: "oversized", record, bytes: this.envelopeBytes + share });
      return cuts;
    }
    if (this.#bytes + share > this.maxBytes) cuts.push(this.#cut("bytes", now));
    if (this.#records.length === 0) this.#openedAt = now;
    this.#records.push(record);
    this.#bytes += share;
    if (this.#records.length >= this.maxRecords) cuts.push(this.#cut("count", now));
    else if (this.#bytes === this.maxBytes) cuts.push(this.#cut("bytes", now));
    return cuts;
  }

  /** True when the open batch holds records and its window has elapsed at `now`. */
  due(now: number): boolean {
    const deadline = this.nextDeadline();
    return deadline !== undefined && now >= deadline;
  }

  /**
   * When the open batch's window elapses: the time to call `flush` if nothing cuts it earlier. Undefined while
   * the batch is empty. It may lie in the past (`"flush"` mode after a quiet spell, or a late caller).
   */
  nextDeadline(): number | undefined {
    if (this.#records.length === 0) return undefined;
    const opened = this.windowStartsAt === "flush" ? (this.#lastCutAt ?? this.#openedAt) : this.#openedAt;
    return opened + this.windowMs;
  }

  /**
   * Hands out the open batch, due or not (reason `"window"` if due, `"forced"` if flushed early, e.g. on
   * shutdown). Undefined when it is empty.
   */
  flush(now: number): Batch<R> | undefined {
    if (this.#records.length === 0) return undefined;
    return this.#cut(this.due(now) ? "window" : "forced", now);
  }

  /**
   * `"flush"` mode: the previous invocation completed at `now`, so the next window runs from here (AWS: "the
   * next batching window begins as soon as the previous function invocation completes"). No effect in
   * `"firstRecord"` mode, where the window is the batch's own.
   */
  restartWindow(now: number): void {
    this.#lastCutAt = now;
  }

  #cut(reason: CutReason, now: number): Batch<R> {
    const batch: Batch<R> = {
      kind: "batch",
      records: this.#records,
      bytes: this.#bytes,
      openedAt: this.#openedAt,
      reason,
    };
    this.#records = [];
    this.#bytes = this.envelopeBytes;
    this.#lastCutAt = now;
    return batch;
  }
}
