/**
 * The stream machinery, written once against StreamSource (Kinesis, DynamoDB Streams; later Kafka, DocumentDB).
 * It keeps one ShardRunner per readable shard: a shard starts once its parents are read to their end (or have
 * left the stream), so after a split or a merge a partition key's records still arrive in order; new shards are
 * found by listing the stream now and then, and at once when a shard ends. Each batch goes through AWS's retry
 * rules (pipeline/stream-retry.ts); what they give up is sent to the on-failure destination.
 *
 * Where a shard starts: after its checkpoint; at the mapping's StartingPosition for the shards the mapping found
 * when it first listed the stream (those get an empty checkpoint row at once, so a restart keeps to it); at
 * TRIM_HORIZON for any shard found later, a child of resharding, so none of its records is missed.
 */
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { Destination } from "../destinations/destination.js";
import { failureRecord, streamBatchInfo } from "../destinations/failure-record.js";
import type { InvokeResult, Invoker } from "../functions/invoke.js";
import type { Outcome } from "../pipeline/outcome.js";
import {
  type Attempt,
  type Discard,
  runStreamBatch,
  type StreamRetryPolicy,
} from "../pipeline/stream-retry.js";
import { stateOf } from "../pipeline/windows.js";
import type { Shard, ShardPosition, StreamRecord, StreamSource } from "../sources/source.js";
import type { ShardCheckpoint, Store } from "../store/store.js";
import { MappingInvoker } from "./mapping-invoker.js";
import { Metrics } from "./metrics.js";
import { ProcessingResult } from "./processing-result.js";
import { type ShardProcessor, ShardRunner } from "./shard-runner.js";
import { backoffMs, sleep } from "./sleep.js";
import { TumblingWindows } from "./tumbling-windows.js";

/** How often the stream is listed for new shards while nothing ends. */
const SHARD_DISCOVERY_MS = 10_000;
/** Backoff before retrying a failed batch: doubling from the first to the last. */
const RETRY_BACKOFF_MS = [250, 30_000] as const;
/** After a failed listing of the stream's shards. */
const LISTING_BACKOFF_MS = [1_000, 30_000] as const;
/** Between deliveries of one on-failure record. */
const DELIVERY_BACKOFF_MS = [1_000, 4_000] as const;
/** Before a shard whose runner failed is started again. */
const RESTART_DELAY_MS = 1_000;
/** Deliveries of one on-failure record before it is reported as lost. */
const DELIVERY_ATTEMPTS = 4;

export interface StreamWorkerOptions<R extends StreamRecord> {
  uuid: string;
  functionArn: string;
  kind: "kinesis" | "dynamodb";
  /** The stream's ARN, as the on-failure record names it (a consumer's stream, for enhanced fan-out). */
  streamArn: string;
  source: StreamSource<R>;
  invoker: Invoker;
  startingPosition: ShardPosition;
  batchSize: number;
  windowMs: number;
  parallelization: number;
  /** TumblingWindowInSeconds in ms; 0: no windows. */
  tumblingWindowMs: number;
  filter: ((event: Record<string, unknown>) => boolean) | undefined;
  retry: StreamRetryPolicy;
  destination: Destination | undefined;
  store: Pick<Store, "getCheckpoints" | "putCheckpoint" | "putCheckpoints">;
  metrics: Metrics;
  log: FastifyBaseLogger;
  onProcessingResult(result: string): void;
}

export class StreamWorker<R extends StreamRecord> {
  private readonly controller = new AbortController();
  private readonly runners = new Map<string, Promise<void>>();
  private readonly labels;
  private readonly result: ProcessingResult;
  private readonly invoker: MappingInvoker;
  private checkpoints = new Map<string, ShardCheckpoint>();
  /** Aborted to list the stream again now: a shard ended, so its children may be ready. */
  private relist = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly options: StreamWorkerOptions<R>) {
    this.labels = Metrics.labels(options.uuid, options.functionArn);
    this.result = new ProcessingResult(options.onProcessingResult);
    this.invoker = new MappingInvoker(options.invoker, options.functionArn, options.metrics, this.labels);
  }

  /** Starts once `after` resolves: the mapping's previous worker must have let go of the shards. */
  start(after: Promise<void> = Promise.resolve()): void {
    this.running = after
      .then(() => this.run())
      .catch((err: unknown) =>
        this.options.log.error({ err, uuid: this.options.uuid }, "the stream worker failed"),
      );
  }

  /** Stops reading; batches in flight finish their current invocation, and nothing unfinished is checkpointed. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { signal } = this.controller;
    if (signal.aborted) return;
    const { source, store, uuid } = this.options;
    this.checkpoints = new Map((await store.getCheckpoints(uuid)).map((c) => [c.shardId, c]));
    // Stopping rings the current alarm too: the pause below waits on the alarm alone.
    signal.addEventListener("abort", () => this.relist.abort(), { once: true });
    let failures = 0;
    while (!signal.aborted) {
      if (this.relist.signal.aborted) this.relist = new AbortController();
      try {
        await this.startReadyShards(await source.shards());
        failures = 0;
      } catch (err) {
        failures++;
        if (this.result.problem(source.describeError(err)))
          this.options.log.warn({ err, uuid }, "listing the stream's shards failed");
      }
      const wait = failures === 0 ? SHARD_DISCOVERY_MS : backoffMs(failures, LISTING_BACKOFF_MS);
      await sleep(wait, this.relist.signal);
    }
    await Promise.all(this.runners.values());
  }

  private async startReadyShards(shards: Shard[]): Promise<void> {
    const listed = new Set(shards.map((s) => s.id));
    const firstListing = this.checkpoints.size === 0;
    if (firstListing) {
      const start = shards.map((shard) => ({ shardId: shard.id, sequenceNumber: undefined, ended: false }));
      await this.options.store.putCheckpoints(this.options.uuid, start);
      for (const checkpoint of start) this.checkpoints.set(checkpoint.shardId, checkpoint);
    }
    for (const shard of shards) {
      const checkpoint = this.checkpoints.get(shard.id);
      if (this.runners.has(shard.id) || checkpoint?.ended) continue;
      // A parent no longer listed has been trimmed away: nothing of it is left to read first, unless its
      // runner is still at work on what it had read.
      const parentsDone = shard.parentIds.every(
        (p) => this.checkpoints.get(p)?.ended || (!listed.has(p) && !this.runners.has(p)),
      );
      if (!parentsDone) continue;
      const from: ShardPosition =
        checkpoint?.sequenceNumber !== undefined
          ? { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: checkpoint.sequenceNumber }
          : checkpoint
            ? this.options.startingPosition
            : { type: "TRIM_HORIZON" };
      this.startShard(shard.id, from, checkpoint?.sequenceNumber);
    }
    // As many invocations at once as there are lanes reading.
    this.invoker.warm(this.runners.size * this.options.parallelization);
  }

  private startShard(shardId: string, from: ShardPosition, sequenceNumber: string | undefined): void {
    const { source, uuid, log } = this.options;
    const runner = new ShardRunner<R>({
      uuid,
      shardId,
      source,
      reader: source.openShard(shardId, from),
      checkpoint: sequenceNumber,
      batchSize: this.options.batchSize,
      windowMs: this.options.windowMs,
      parallelization: this.options.parallelization,
      filter: this.options.filter,
      processor: this.processorFor(shardId),
      saveCheckpoint: (seq, ended) => this.save({ shardId, sequenceNumber: seq, ended }),
      result: this.result,
      metrics: this.options.metrics,
      labels: this.labels,
      log,
    });
    const running = runner
      .run(this.controller.signal)
      .then((end) => {
        // An ended shard may have children ready; a failed runner is started again from its checkpoint.
        if (end === "ended") this.relist.abort();
        if (end === "failed") setTimeout(() => this.relist.abort(), RESTART_DELAY_MS).unref();
      })
      .catch((err: unknown) => log.error({ err, uuid, shard: shardId }, "a shard runner failed"))
      .finally(() => this.runners.delete(shardId));
    this.runners.set(shardId, running);
  }

  private async save(checkpoint: ShardCheckpoint): Promise<void> {
    this.checkpoints.set(checkpoint.shardId, checkpoint);
    await this.options.store.putCheckpoint(this.options.uuid, checkpoint);
  }

  /** Plain batches, or with TumblingWindowInSeconds a shard's windows. */
  private processorFor(shardId: string): ShardProcessor<R> {
    const { tumblingWindowMs, source, streamArn } = this.options;
    if (tumblingWindowMs === 0)
      return {
        process: async (records, signal) => {
          const ran = await this.runBatch(shardId, records, (batch) => source.batchEvent(batch), {}, signal);
          return ran.final ? records.map((r) => r.id) : [];
        },
      };
    return new TumblingWindows<R>(tumblingWindowMs, shardId, streamArn, (records, event, options, signal) =>
      this.runBatch(shardId, records, event, options, signal),
    );
  }

  /**
   * One batch through AWS's retry rules. A window's invocations must answer with a `state` (kept for the next
   * one). A window's final invocation carries no records: the window's first and last stand for it, so it is
   * neither bisected nor aged out (its records were all delivered in time), and an on-failure record counts
   * the whole window.
   */
  private async runBatch(
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
    const carried = (event as { Records?: unknown[] }).Records?.length ?? batch.length;
    // AWS's IteratorAge: how old the batch's newest record is as the batch goes out.
    const newest = batch.at(-1);
    if (newest && carried > 0)
      this.options.metrics.iteratorAge.set(this.labels, Math.max(0, Date.now() - newest.arrivedAt));
    return this.invoker.invoke(event, carried);
  }

  private count(batch: R[], outcome: Outcome): void {
    const { metrics } = this.options;
    if (outcome.kind === "success") this.result.ok();
    else if (outcome.kind === "partial") {
      metrics.failedInvoke.inc(this.labels, outcome.failedIds.length);
      this.result.ok();
    } else {
      metrics.failedInvoke.inc(this.labels, batch.length);
      this.result.failed(outcome);
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
    const { destination, metrics, log, uuid, functionArn, kind, streamArn } = this.options;
    const first = batch[0] as R;
    const last = batch.at(-1) as R;
    if (!destination) {
      metrics.dropped.inc(this.labels, count);
      return true;
    }
    const attempt = why.last;
    const record = failureRecord({
      requestId: attempt?.requestId ?? randomUUID(),
      functionArn,
      condition: why.condition,
      approximateInvokeCount: why.approximateInvokeCount,
      ...(attempt
        ? {
            response: {
              statusCode: 200,
              executedVersion: this.invoker.executedVersion,
              ...(!attempt.result.ok && attempt.result.kind === "function"
                ? { functionError: attempt.result.functionError }
                : {}),
            },
          }
        : {}),
      ...streamBatchInfo(kind, {
        shardId,
        startSequenceNumber: first.id,
        endSequenceNumber: last.id,
        firstArrivalMs: first.arrivedAt,
        lastArrivalMs: last.arrivedAt,
        batchSize: count,
        streamArn,
      }),
      timestamp: new Date(),
    });
    const { signal } = this.controller;
    for (let delivery = 1; ; delivery++) {
      try {
        await destination.deliver(record, { uuid, shardId, payload, signal });
        metrics.destinationDelivered.inc(this.labels, count);
        return true;
      } catch (err) {
        // Stopping: the records stay unfinished, so they are read and given up again after the restart.
        if (signal.aborted) return false;
        if (delivery >= DELIVERY_ATTEMPTS) {
          metrics.destinationFailures.inc(this.labels);
          metrics.dropped.inc(this.labels, count);
          this.result.problem((err as Error).message);
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
