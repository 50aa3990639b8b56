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
  /** Epoch ms the broker received it: for record age, IteratorAge and windows. */
  arrivedAt: number;
  /** What must stay in order: an SQS FIFO message group, a partition key. */
  orderKey?: string;
}

/** SQS, RabbitMQ, ActiveMQ: many consumers, a settle decision per message. */
export interface QueueSource<R extends SourceRecord = SourceRecord> {
  /** The most records one receive returns (SQS: 10); a receive that returns this many means more are waiting. */
  readonly maxPerReceive: number;
  /** Up to `max` records (at most maxPerReceive), waiting up to `waitMs` for the first; an aborted signal ends the wait early. */
  receive(max: number, waitMs: number, signal: AbortSignal): Promise<R[]>;
  /** The records are done with: delete / ack them. Resolves with the ids the broker confirmed. */
  ack(records: readonly R[]): Promise<string[]>;
  /** The function's event for a batch, in AWS's shape (`{"Records": [...]}` for SQS). */
  batchEvent(records: readonly R[]): unknown;
  /** The bytes of that event besides the records' own: what the 6 MB payload cap counts on top. */
  readonly envelopeBytes: number;
  /** Hand the records back now (on shutdown), instead of after the broker's own redelivery delay. */
  release(records: readonly R[]): Promise<void>;
  /** Why a receive failed, worded for the mapping's LastProcessingResult (after "PROBLEM: "). */
  describeError(err: unknown): string;
  close(): Promise<void>;
}
