/**
 * What Kinesis and DynamoDB Streams share: a shard read forward through iterators that expire. DynamoDB Streams
 * speaks Kinesis's shard-iterator protocol (GetShardIterator, GetRecords, NextShardIterator).
 */
import type { ShardPosition, ShardRead, ShardReader, StreamRecord } from "./source.js";

/** One GetRecords answer, as both services give it. */
export interface ShardPage<T> {
  records: T[];
  /** Absent once the shard is closed and read to its end. */
  nextIterator: string | undefined;
  behindMs?: number | undefined;
}

/** The service calls a reader makes, bound to one shard. */
export interface ShardCalls<T> {
  /** GetShardIterator at a position. */
  iterator(from: ShardPosition, signal: AbortSignal): Promise<string>;
  /** GetRecords from an iterator, at most `limit` records. */
  records(iterator: string, limit: number, signal: AbortSignal): Promise<ShardPage<T>>;
  /** The error says the iterator has expired (Kinesis's last 5 minutes, DynamoDB Streams's 15). */
  expired(err: unknown): boolean;
  /** The error says the position is older than the stream keeps (DynamoDB Streams: TrimmedDataAccessException). */
  trimmed?(err: unknown): boolean;
}

export class IteratorShardReader<T, R extends StreamRecord> implements ShardReader<R> {
  private iterator: string | undefined;
  private ended = false;

  constructor(
    private readonly calls: ShardCalls<T>,
    /** Where a new iterator starts: the starting position, then just after the last record returned. */
    private from: ShardPosition,
    /** The service's cap on records per GetRecords. */
    private readonly maxLimit: number,
    private readonly toRecord: (raw: T) => R,
  ) {}

  async read(max: number, signal: AbortSignal): Promise<ShardRead<R>> {
    if (this.ended) return { records: [], ended: true };
    try {
      const page = await this.page(Math.max(1, Math.min(max, this.maxLimit)), signal);
      const records = page.records.map(this.toRecord);
      const last = records.at(-1);
      if (last) this.from = { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: last.id };
      this.iterator = page.nextIterator;
      this.ended = page.nextIterator === undefined;
      return {
        records,
        ended: this.ended,
        ...(page.behindMs !== undefined ? { behindMs: page.behindMs } : {}),
      };
    } catch (err) {
      // The iterator is kept: records an aborted call may have fetched are read again next time.
      if (signal.aborted) return { records: [], ended: false };
      throw err;
    }
  }

  /** One GetRecords, with a fresh iterator when the last one expired or its position has been trimmed. */
  private async page(limit: number, signal: AbortSignal): Promise<ShardPage<T>> {
    try {
      return await this.fetch(limit, signal);
    } catch (err) {
      // What is past the stream's retention is gone, as on AWS: go on from the oldest record still there.
      if (this.calls.trimmed?.(err)) this.from = { type: "TRIM_HORIZON" };
      else if (!this.calls.expired(err)) throw err;
      this.iterator = undefined;
      return this.fetch(limit, signal);
    }
  }

  private async fetch(limit: number, signal: AbortSignal): Promise<ShardPage<T>> {
    this.iterator ??= await this.calls.iterator(this.from, signal);
    return this.calls.records(this.iterator, limit, signal);
  }
}
