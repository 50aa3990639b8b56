/**
 * One shard of a stream mapping: reads it forward, drops what the filter rejects, spreads the rest over
 * ParallelizationFactor lanes by order key (a partition key always lands in the same lane, so its records stay
 * in order), cuts each lane's batches (BatchSize, window, 6 MB) and has them processed one at a time per lane.
 * The checkpoint advances only past records whose outcome is final, in shard order, whichever lane finishes
 * first; a shard read to its end is marked ended once everything in it is final, so its children may start.
 */
import type { FastifyBaseLogger } from "fastify";
import { type Batch, Batcher } from "../pipeline/batcher.js";
import { CheckpointLedger } from "../pipeline/checkpoint-ledger.js";
import type { ShardReader, StreamRecord, StreamSource } from "../sources/source.js";
import type { Metrics } from "./metrics.js";
import type { ProcessingResult } from "./processing-result.js";
import { sleep } from "./sleep.js";

/** Kinesis returns at most 10,000 records a read. */
const MAX_READ = 10_000;
/** Records read ahead of the lanes, beyond two full batches per lane: enough to keep them busy, bounded. */
const MIN_READ_AHEAD = 500;
/** Bytes read ahead, at most: Kinesis records reach 1 MB each. */
const MAX_READ_AHEAD_BYTES = 64 * 1024 * 1024;
/** Backoff after a failing read: doubling from the first to the last, with jitter. */
const READ_BACKOFF_MS = [1_000, 30_000] as const;

export interface ShardRunnerOptions<R extends StreamRecord> {
  uuid: string;
  shardId: string;
  source: StreamSource<R>;
  reader: ShardReader<R>;
  /** Where the stored checkpoint stands (undefined: nothing processed yet). */
  checkpoint: string | undefined;
  batchSize: number;
  windowMs: number;
  parallelization: number;
  filter: ((event: Record<string, unknown>) => boolean) | undefined;
  processor: ShardProcessor<R>;
  saveCheckpoint(sequenceNumber: string | undefined, ended: boolean): Promise<void>;
  result: ProcessingResult;
  metrics: Metrics;
  labels: { uuid: string; function: string };
  log: FastifyBaseLogger;
}

/** What the runner hands its batches to, and learns from which records are final. */
export interface ShardProcessor<R extends StreamRecord> {
  /** Runs one batch; resolves with the ids now final (none when the signal stopped it first). */
  process(records: R[], signal: AbortSignal): Promise<string[]>;
  /**
   * Work owed without a new batch (a tumbling window's final invocation): due at `due()`, and once the shard
   * has ended with nothing else left. Resolves with the ids it made final.
   */
  settle?(ended: boolean, signal: AbortSignal): Promise<string[]>;
  due?(): number | undefined;
}

interface Lane<R extends StreamRecord> {
  batcher: Batcher<R>;
  /** Batches cut by count or bytes, waiting their turn. */
  ready: R[][];
  busy: Promise<void> | undefined;
}

export class ShardRunner<R extends StreamRecord> {
  private readonly ledger: CheckpointLedger;
  private readonly lanes: Lane<R>[];
  private readonly maxPending: number;
  private bufferedBytes = 0;
  private saving: Promise<void> = Promise.resolve();
  /** Aborted to wake the loop early: a lane finished, so there may be room to read or a batch to start. */
  private wake = new AbortController();

  constructor(private readonly options: ShardRunnerOptions<R>) {
    this.ledger = new CheckpointLedger(options.checkpoint);
    this.lanes = Array.from({ length: options.parallelization }, () => ({
      batcher: new Batcher<R>({
        maxRecords: options.batchSize,
        windowMs: options.windowMs,
        envelopeBytes: options.source.envelopeBytes,
        windowStartsAt: "flush",
      }),
      ready: [],
      busy: undefined,
    }));
    this.maxPending = Math.max(MIN_READ_AHEAD, 2 * options.batchSize * options.parallelization);
  }

  /** Resolves true once the shard is read to its end and everything in it is final; false when stopped. */
  async run(signal: AbortSignal): Promise<boolean> {
    const { reader, source, result } = this.options;
    let ended = false;
    let idle = false;
    let failures = 0;
    while (!signal.aborted) {
      // A fresh alarm each turn: a lane finishing from here on cuts the coming pause short.
      if (this.wake.signal.aborted) this.wake = new AbortController();
      if (!ended && this.hasRoom()) {
        try {
          const read = await reader.read(Math.min(MAX_READ, this.maxPending - this.ledger.pending), signal);
          failures = 0;
          idle = read.records.length === 0;
          ended = read.ended;
          this.take(read.records);
        } catch (err) {
          if (signal.aborted) break;
          failures++;
          if (result.problem(source.describeError(err)))
            this.options.log.warn(
              { err, uuid: this.options.uuid, shard: this.options.shardId },
              "reading the shard failed",
            );
          const [first, last] = READ_BACKOFF_MS;
          await sleep(Math.min(last, first * 2 ** (failures - 1)) * (0.5 + Math.random() / 2), signal);
          continue;
        }
      }
      const now = Date.now();
      for (const lane of this.lanes) this.dispatch(lane, now, ended, signal);
      this.settle(now, ended, signal);
      if (ended && this.ledger.pending === 0 && this.lanes.every((l) => !l.busy)) {
        await this.save(true);
        return true;
      }
      await this.pause(ended || !this.hasRoom() ? undefined : idle ? source.idlePollMs : 0, signal);
    }
    await Promise.all(this.lanes.map((lane) => lane.busy));
    await this.saving;
    return false;
  }

  private hasRoom(): boolean {
    return this.ledger.pending < this.maxPending && this.bufferedBytes < MAX_READ_AHEAD_BYTES;
  }

  /** New records: into the ledger in shard order; the filter's rejects are final at once, the rest go to lanes. */
  private take(records: R[]): void {
    if (records.length === 0) return;
    const { filter, metrics, labels, parallelization } = this.options;
    metrics.polled.inc(labels, records.length);
    this.ledger.enter(records.map((r) => r.id));
    const dropped: string[] = [];
    const now = Date.now();
    for (const record of records) {
      if (filter && !filter(record.event)) {
        dropped.push(record.id);
        continue;
      }
      const lane = this.lanes[
        parallelization === 1 ? 0 : laneOf(record.orderKey, parallelization)
      ] as Lane<R>;
      this.bufferedBytes += record.bytes;
      for (const cut of lane.batcher.add(record, now)) {
        if (cut.kind === "batch") lane.ready.push(cut.records);
        // Larger than any invocation can carry (Kinesis and DynamoDB records never are): given up, logged.
        else {
          this.bufferedBytes -= cut.record.bytes;
          dropped.push(cut.record.id);
          this.options.log.error({ uuid: this.options.uuid, id: cut.record.id }, "record over 6 MB dropped");
        }
      }
    }
    if (dropped.length > 0) {
      metrics.filteredOut.inc(labels, dropped.length);
      this.finish(dropped);
    }
  }

  /** Starts the lane's next batch if it is idle and one is due (or everything left, once the shard ended). */
  private dispatch(lane: Lane<R>, now: number, ended: boolean, signal: AbortSignal): void {
    if (lane.busy) return;
    let records = lane.ready.shift();
    if (!records && lane.batcher.size > 0 && (ended || lane.batcher.due(now)))
      records = (lane.batcher.flush(now) as Batch<R>).records;
    if (!records) return;
    const batch = records;
    for (const record of batch) this.bufferedBytes -= record.bytes;
    this.occupy(lane, this.options.processor.process(batch, signal));
  }

  /** Runs the processor's owed work on the first lane when it is due, or when the shard has nothing else left. */
  private settle(now: number, ended: boolean, signal: AbortSignal): void {
    const { processor } = this.options;
    const lane = this.lanes[0] as Lane<R>;
    if (!processor.settle || this.lanes.some((l) => l.busy || l.ready.length > 0 || l.batcher.size > 0))
      return;
    const due = processor.due?.();
    if (due === undefined || (due > now && !ended)) return;
    this.occupy(lane, processor.settle(ended, signal));
  }

  private occupy(lane: Lane<R>, work: Promise<string[]>): void {
    lane.busy = work
      .then((ids) => this.finish(ids))
      .catch((err: unknown) =>
        this.options.log.error(
          { err, uuid: this.options.uuid, shard: this.options.shardId },
          "a batch failed",
        ),
      )
      .finally(() => {
        lane.busy = undefined;
        lane.batcher.restartWindow(Date.now());
        this.wake.abort();
      });
  }

  private finish(ids: string[]): void {
    if (ids.length > 0 && this.ledger.finish(ids) !== undefined) void this.save(false);
  }

  /** Checkpoint writes one after another, each with the position as it stands when its turn comes. */
  private save(ended: boolean): Promise<void> {
    this.saving = this.saving
      .then(() => this.options.saveCheckpoint(this.ledger.position, ended))
      .catch((err: unknown) =>
        this.options.log.error(
          { err, uuid: this.options.uuid, shard: this.options.shardId },
          "saving a checkpoint failed",
        ),
      );
    return this.saving;
  }

  /** Waits `ms` (undefined: until woken), or until a lane finishes, a batch falls due, or the signal aborts. */
  private async pause(ms: number | undefined, signal: AbortSignal): Promise<void> {
    const deadlines = [
      ...this.lanes.filter((l) => !l.busy).map((l) => l.batcher.nextDeadline()),
      this.options.processor.due?.(),
    ].filter((d): d is number => d !== undefined);
    const untilDue = deadlines.length > 0 ? Math.max(0, Math.min(...deadlines) - Date.now()) : undefined;
    const wait = Math.min(ms ?? Number.POSITIVE_INFINITY, untilDue ?? Number.POSITIVE_INFINITY);
    if (wait === 0) return;
    await sleep(Number.isFinite(wait) ? wait : 2 ** 31 - 1, AbortSignal.any([signal, this.wake.signal]));
  }
}

/** FNV-1a over the key: cheap, stable, and spreads partition keys evenly over the lanes. */
function laneOf(key: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % lanes;
}
