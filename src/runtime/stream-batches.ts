/**
 * A stream mapping's batches, whatever the source (Kinesis, DynamoDB Streams, Kafka): each goes through AWS's
 * retry rules (pipeline/stream-retry.ts), or a shard's tumbling windows; what the rules give up is sent to the
 * on-failure destination, or counted as dropped.
 */
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { Destination } from "../destinations/destination.js";
import { type FailureRecordInput, failureRecord } from "../destinations/failure-record.js";
import type { InvokeResult } from "../functions/invoke.js";
import type { Outcome } from "../pipeline/outcome.js";
import {
  type Attempt,
  type Discard,
  runStreamBatch,
  type StreamRetryPolicy,
} from "../pipeline/stream-retry.js";
import { stateOf } from "../pipeline/windows.js";
import type { StreamRecord } from "../sources/source.js";
import type { MappingInvoker } from "./mapping-invoker.js";
import type { Metrics } from "./metrics.js";
import type { ProcessingResult } from "./processing-result.js";
import type { ShardProcessor } from "./shard-runner.js";
import { backoffMs, sleep } from "./sleep.js";
import { TumblingWindows } from "./tumbling-windows.js";

/** Backoff before retrying a failed batch: doubling from the first to the last. */
const RETRY_BACKOFF_MS = [250, 30_000] as const;
/** Between deliveries of one on-failure record. */
const DELIVERY_BACKOFF_MS = [1_000, 4_000] as const;
/** Deliveries of one on-failure record before it is reported as lost. */
const DELIVERY_ATTEMPTS = 4;

/** What the on-failure record says about the records given up, under its source's key. */
export type BatchInfo = Pick<FailureRecordInput, "batchInfoKey" | "batchInfo">;

export interface OnFailure<R extends StreamRecord> {
  destination: Destination;
  /** The on-failure record's batch info for `count` records of a shard given up, `batch` standing for them. */
  batchInfo(shardId: string, batch: R[], count: number, payload: unknown): BatchInfo;
}

export interface StreamBatchesOptions<R extends StreamRecord> {
  uuid: string;
  functionArn: string;
  /** The stream's ARN, as tumbling-window events name it. */
  streamArn: string;
  invoker: MappingInvoker;
  labels: { uuid: string; function: string };
  result: ProcessingResult;
  metrics: Metrics;
  log: FastifyBaseLogger;
  /** The function's event for a batch of one shard. */
  batchEvent(records: readonly R[]): unknown;
  /** TumblingWindowInSeconds in ms; 0: no windows. */
  tumblingWindowMs: number;
  retry: StreamRetryPolicy;
  /** Where records given up go, and what their on-failure record says of them; undefined: they are dropped. */
  onFailure: OnFailure<R> | undefined;
  /** Count failed batches in InvokeErrorCount, a metric of Kafka mappings only. */
  countInvokeErrors?: boolean;
  /** The on-failure condition for records whose retries ran out: Kafka names it apart from the streams. */
  retriesExhausted?: string;
  /** The mapping's worker stopping: on-failure deliveries give up, leaving their records unfinished. */
  signal: AbortSignal;
}

export class StreamBatches<R extends StreamRecord> {
  constructor(private readonly options: StreamBatchesOptions<R>) {}

  /** Plain batches, or with TumblingWindowInSeconds a shard's windows. */
  processorFor(shardId: string): ShardProcessor<R> {
    const { tumblingWindowMs, batchEvent, streamArn } = this.options;
    if (tumblingWindowMs === 0)
      return {
        process: async (records, signal) => {
          const ran = await this.run(shardId, records, (batch) => batchEvent(batch), {}, signal);
          return ran.final ? records.map((r) => r.id) : [];
        },
      };
    return new TumblingWindows<R>(tumblingWindowMs, shardId, streamArn, (records, event, options, signal) =>
      this.run(shardId, records, event, options, signal),
    );
  }

  /**
   * One batch through AWS's retry rules. A window's invocations must answer with a `state` (kept for the next
   * one). A window's final invocation carries no records: the window's first and last stand for it, so it is
   * neither bisected nor aged out (its records were all delivered in time), and an on-failure record counts
   * the whole window.
   */
  private async run(
    shardId: string,
    records: R[],
    event: (batch: R[], state: unknown) => unknown,
    window: { state?: unknown; closing?: { count: number } },
    signal: AbortSignal,
  ): Promise<{ final: boolean; state: unknown }> {
    const windowed = "state" in window;
    const { closing } = window;
    let state = window.state;
    const final = await runStreamBatch(
      records,
      closing
        ? { ...this.options.retry, bisectOnError: false, maximumRecordAgeMs: undefined }
        : this.options.retry,
      {
        invoke: async (batch) => {
          const attempt = await this.invoke(batch, event(batch, state));
          if (!windowed || !attempt.result.ok) return attempt;
          const answered = stateOf(attempt.result.payload);
          if (answered.ok) {
            state = answered.state;
            return attempt;
          }
          return { ...attempt, result: missingState(attempt.result.durationMs) };
        },
        discard: (batch, why) =>
          this.discard(shardId, batch, why, closing?.count ?? batch.length, event(batch, state)),
        backoff: (retry, backoffSignal) => sleep(backoffMs(retry, RETRY_BACKOFF_MS), backoffSignal),
        now: Date.now,
        onOutcome: (batch, outcome) => this.count(batch, outcome),
      },
      signal,
    );
    return { final, state };
  }

  private invoke(batch: R[], event: unknown): Promise<Attempt> {
    const { metrics, labels, invoker } = this.options;
    // A window's final invocation carries no records; Kafka's events carry exactly the batch.
    const carried = (event as { Records?: unknown[] }).Records?.length ?? batch.length;
    // AWS's IteratorAge: how old the batch's newest record is as the batch goes out.
    const newest = batch.at(-1);
    if (newest && carried > 0) metrics.iteratorAge.set(labels, Math.max(0, Date.now() - newest.arrivedAt));
    return invoker.invoke(event, carried);
  }

  private count(batch: R[], outcome: Outcome): void {
    const { metrics, labels, result } = this.options;
    if (outcome.kind === "success") result.ok();
    else if (outcome.kind === "partial") {
      metrics.failedInvoke.inc(labels, outcome.failedIds.length);
      result.ok();
    } else {
      metrics.failedInvoke.inc(labels, batch.length);
      if (this.options.countInvokeErrors) metrics.invokeErrors.inc(labels);
      result.failed(outcome);
    }
  }

  /**
   * Records given up: with a destination, its on-failure record is delivered (a few tries, then reported as a
   * delivery failure); without one, or when delivery fails, they count as dropped, as AWS counts them.
   */
  private async discard(
    shardId: string,
    batch: R[],
    why: Discard,
    count: number,
    payload: unknown,
  ): Promise<boolean> {
    const { onFailure, metrics, labels, log, uuid, functionArn, signal } = this.options;
    if (!onFailure) {
      metrics.dropped.inc(labels, count);
      return true;
    }
    const attempt = why.last;
    const record = failureRecord({
      requestId: attempt?.requestId ?? randomUUID(),
      functionArn,
      condition:
        why.condition === "RetryAttemptsExhausted"
          ? (this.options.retriesExhausted ?? why.condition)
          : why.condition,
      approximateInvokeCount: why.approximateInvokeCount,
      ...(attempt
        ? {
            response: {
              statusCode: 200,
              executedVersion: this.options.invoker.executedVersion,
              ...(!attempt.result.ok && attempt.result.kind === "function"
                ? { functionError: attempt.result.functionError }
                : {}),
            },
          }
        : {}),
      ...onFailure.batchInfo(shardId, batch, count, payload),
      timestamp: new Date(),
    });
    for (let delivery = 1; ; delivery++) {
      try {
        await onFailure.destination.deliver(record, { uuid, shardId, payload, signal });
        metrics.destinationDelivered.inc(labels, count);
        return true;
      } catch (err) {
        // Stopping: the records stay unfinished, so they are read and given up again after the restart.
        if (signal.aborted) return false;
        if (delivery >= DELIVERY_ATTEMPTS) {
          metrics.destinationFailures.inc(labels);
          metrics.dropped.inc(labels, count);
          this.options.result.problem((err as Error).message);
          log.error({ err, uuid, shard: shardId, records: count }, "on-failure record lost");
          return true;
        }
        await sleep(backoffMs(delivery, DELIVERY_BACKOFF_MS), signal);
        if (signal.aborted) return false;
      }
    }
  }
}

/** AWS counts a windowed invocation whose response has no `state` as failed. */
function missingState(durationMs: number): InvokeResult {
  return {
    ok: false,
    kind: "function",
    functionError: "Unhandled",
    error: {
      errorType: "Sluice.MissingWindowState",
      errorMessage: 'a tumbling window invocation must answer with {"state": ...}',
    },
    durationMs,
  };
}
