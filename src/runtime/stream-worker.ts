/**
 * The shard machinery of the streams AWS lists (Kinesis, DynamoDB Streams), written once against StreamSource.
 * It keeps one ShardRunner per readable shard: a shard starts once its parents are read to their end (or have
 * left the stream), so after a split or a merge a partition key's records still arrive in order; new shards are
 * found by listing the stream now and then, and at once when a shard ends. Batches go through StreamBatches.
 *
 * Where a shard starts: after its checkpoint; at the mapping's StartingPosition for the shards the mapping found
 * when it first listed the stream (those get an empty checkpoint row at once, so a restart keeps to it); at
 * TRIM_HORIZON for any shard found later, a child of resharding, so none of its records is missed.
 */
import type { Destination } from "../destinations/destination.js";
import { streamBatchInfo } from "../destinations/failure-record.js";
import type { StreamRetryPolicy } from "../pipeline/stream-retry.js";
import type { Shard, ShardPosition, StreamRecord, StreamSource } from "../sources/source.js";
import type { ShardCheckpoint, Store } from "../store/store.js";
import { OrderedWorker, type OrderedWorkerOptions } from "./ordered-worker.js";
import { ShardRunner } from "./shard-runner.js";
import { backoffMs, sleep } from "./sleep.js";
import { StreamBatches } from "./stream-batches.js";

/** How often the stream is listed for new shards while nothing ends. */
const SHARD_DISCOVERY_MS = 10_000;
/** After a failed listing of the stream's shards. */
const LISTING_BACKOFF_MS = [1_000, 30_000] as const;
/** Before a shard whose runner failed is started again. */
const RESTART_DELAY_MS = 1_000;

export interface StreamWorkerOptions<R extends StreamRecord> extends OrderedWorkerOptions {
  kind: "kinesis" | "dynamodb";
  /** The stream's ARN, as the on-failure record names it (a consumer's stream, for enhanced fan-out). */
  streamArn: string;
  source: StreamSource<R>;
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
}

export class StreamWorker<R extends StreamRecord> extends OrderedWorker {
  private readonly runners = new Map<string, Promise<void>>();
  private readonly batches: StreamBatches<R>;
  private checkpoints = new Map<string, ShardCheckpoint>();
  /** Aborted to list the stream again now: a shard ended, so its children may be ready. */
  private relist = new AbortController();

  constructor(private readonly options: StreamWorkerOptions<R>) {
    super(options, "stream");
    const { kind, streamArn, source } = options;
    this.batches = new StreamBatches<R>({
      ...options,
      invoker: this.invoker,
      labels: this.labels,
      result: this.result,
      batchEvent: (records) => source.batchEvent(records),
      onFailure: options.destination && {
        destination: options.destination,
        batchInfo: (shardId, batch, count) => {
          const [first, last] = [batch[0] as R, batch.at(-1) as R];
          return streamBatchInfo(kind, {
            shardId,
            startSequenceNumber: first.id,
            endSequenceNumber: last.id,
            firstArrivalMs: first.arrivedAt,
            lastArrivalMs: last.arrivedAt,
            batchSize: count,
            streamArn,
          });
        },
      },
      signal: this.controller.signal,
    });
  }

  protected async run(): Promise<void> {
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
      processor: this.batches.processorFor(shardId),
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
}
