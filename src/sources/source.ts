import { JsonEvent, jsonBytes } from "../pipeline/payload-size.js";

/**
 * What a source gives the pipeline. A source turns broker messages into event records in AWS's exact shape and
 * settles them when the pipeline says how their invocation ended; it never invokes a function.
 */

export interface SourceRecord {
  /** The id a partial batch response names: SQS messageId, a sequence number, "topic-partition:offset". */
  id: string;
  /** The record exactly as AWS puts it in the function's event. */
  event: Record<string, unknown>;
  /** Its share of the invocation payload: the event's JSON bytes plus a separator. */
  bytes: number;
  /** The event's JSON text, when the source kept it from sizing the record: batches are joined from it. */
  json?: string;
  /**
   * Called once the filter has read `event`: a record that can give its event back from its JSON text drops the
   * object here, so what waits in read-ahead or prefetch is text alone (see TextRecord).
   */
  dropEvent?(): void;
  /** Epoch ms the broker received it: for record age, IteratorAge and windows. */
  arrivedAt: number;
  /** What must stay in order: an SQS FIFO message group, a partition key. */
  orderKey?: string;
}

/**
 * The event most sources give a function: `{"Records": [...]}`, each record as AWS shapes it; joined from the
 * records' JSON text when they all kept it.
 */
export function recordsEvent(records: readonly SourceRecord[]): unknown {
  if (records.every((r) => r.json !== undefined))
    return new JsonEvent(`{"Records":[${records.map((r) => r.json).join(",")}]}`);
  return { Records: records.map((r) => r.event) };
}

/** SQS, RabbitMQ, ActiveMQ: many consumers, a settle decision per message. */
export interface QueueSource<R extends SourceRecord = SourceRecord> {
  /** The most records one receive returns (SQS: 10); a receive that returns this many means more are waiting. */
  readonly maxPerReceive: number;
  /**
   * Whether a receive may be cut short when the mapping stops: true where it only waits on what a consumer was
   * already sent (Amazon MQ); false for SQS, whose long poll may still take messages after it is abandoned.
   */
  readonly cancellableReceive: boolean;
  /**
   * Up to `max` records (at most maxPerReceive), waiting up to `waitMs` for the first; an aborted signal ends the
   * wait early.
   */
  receive(max: number, waitMs: number, signal: AbortSignal): Promise<R[]>;
  /** The records are done with: delete / ack them. Resolves with the ids the broker confirmed. */
  ack(records: readonly R[]): Promise<string[]>;
  /** The function's event for a batch, in AWS's shape (`{"Records": [...]}` for SQS). */
  batchEvent(records: readonly R[]): unknown;
  /** The bytes of that event besides the records' own: what the 6 MB payload cap counts on top. */
  readonly envelopeBytes: number;
  /** Hand the records back now (on shutdown), instead of after the broker's own redelivery delay. */
  release(records: readonly R[]): Promise<void>;
  /**
   * The function failed the batch these records were in: have them delivered again, under the broker's
   * redelivery rules (SQS: they reappear after the visibility timeout, so there is nothing to do).
   */
  retry(records: readonly R[]): Promise<void>;
  /**
   * Records no invocation can carry (over 6 MB): handed to the broker's dead-letter handling, where the queue
   * has one (SQS: left for the queue's redrive policy).
   */
  deadLetter(records: readonly R[]): Promise<void>;
  /** Why a receive failed, worded for the mapping's LastProcessingResult (after "PROBLEM: "). */
  describeError(err: unknown): string;
  /**
   * The StateTransitionReason code a receive error stands for (`EVENT_SOURCE_AUTHN_ERROR`, ...), when it is one
   * Lambda reports that way.
   */
  errorCode?(err: unknown): string | undefined;
  close(): Promise<void>;
}

/** Kinesis, DynamoDB Streams (and later Kafka, DocumentDB): ordered shards read from a position, checkpointed. */
export interface StreamRecord extends SourceRecord {
  /** The shard's sequence number: `id` too, as partial batch responses name records by it. */
  id: string;
  /** What must stay in order under ParallelizationFactor: the partition key, or the item's key. */
  orderKey: string;
}

/**
 * A record that, once filtered, is kept as its JSON text alone. A shard's read-ahead holds up to 10,000 records,
 * a broker's prefetch as many: as text they take about half the memory of text plus object graph, and leave the
 * garbage collector nothing to trace, which on a busy process was what slowed the invocations after a large
 * read. Sources that see tens of thousands of records a second write the text directly, never building the
 * event object; others pass the object the text was made from, which the filter then reads. Later readers of
 * `event` (filters of written records, tumbling windows, destinations) get it parsed back.
 */
export class TextRecord implements SourceRecord {
  readonly bytes: number;

  constructor(
    readonly id: string,
    readonly json: string,
    readonly arrivedAt: number,
    private kept?: Record<string, unknown>,
  ) {
    this.bytes = jsonBytes(json);
  }

  get event(): Record<string, unknown> {
    return this.kept ?? (JSON.parse(this.json) as Record<string, unknown>);
  }

  dropEvent(): void {
    this.kept = undefined;
  }
}

export class TextStreamRecord extends TextRecord implements StreamRecord {
  constructor(
    id: string,
    json: string,
    arrivedAt: number,
    readonly orderKey: string,
    event?: Record<string, unknown>,
  ) {
    super(id, json, arrivedAt, event);
  }
}

/** Where reading a shard starts: a mapping's StartingPosition, or just after its checkpoint. */
export type ShardPosition =
  | { type: "TRIM_HORIZON" }
  | { type: "LATEST" }
  | { type: "AT_TIMESTAMP"; timestampMs: number }
  | { type: "AFTER_SEQUENCE_NUMBER"; sequenceNumber: string };

export interface Shard {
  id: string;
  /** Shards to read to their end before this one starts: a split's parent, or a merge's two parents. */
  parentIds: string[];
}

export interface ShardRead<R extends StreamRecord> {
  /** In shard order; empty when nothing new is there yet. */
  records: R[];
  /** The shard is closed and every record of it has been returned: nothing more will come. */
  ended: boolean;
  /** How far the read is behind the shard's newest record, when the service says (Kinesis MillisBehindLatest). */
  behindMs?: number;
}

/** One shard, read forward. It renews expired iterators itself, resuming after the last record it returned. */
export interface ShardReader<R extends StreamRecord> {
  read(max: number, signal: AbortSignal): Promise<ShardRead<R>>;
  /**
   * Resolves once records wait to be read, or the signal aborts: readers the broker pushes records into (Kafka)
   * wake the runner at once instead of being polled.
   */
  readable?(signal: AbortSignal): Promise<void>;
}

/** What a shard runner needs of its source besides the reader. */
export type ShardSource = Pick<StreamSource, "envelopeBytes" | "idlePollMs" | "describeError">;

export interface StreamSource<R extends StreamRecord = StreamRecord> {
  /** Every shard the stream still holds, open or closed, with its parents. */
  shards(): Promise<Shard[]>;
  openShard(shardId: string, from: ShardPosition): ShardReader<R>;
  /** The function's event for a batch of one shard (`{"Records": [...]}`). */
  batchEvent(records: readonly R[]): unknown;
  /** The bytes of that event besides the records' own: what the 6 MB payload cap counts on top. */
  readonly envelopeBytes: number;
  /**
   * How long to wait before reading a caught-up shard again: `active` ms while records came within the last
   * `idleAfter` ms, `idle` ms once the shard has stayed empty that long.
   */
  readonly idlePollMs: { readonly active: number; readonly idle: number; readonly idleAfter: number };
  /** Why a read failed, worded for the mapping's LastProcessingResult (after "PROBLEM: "). */
  describeError(err: unknown): string;
  close(): Promise<void>;
}
