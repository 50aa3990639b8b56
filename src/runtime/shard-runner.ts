/**
 * One shard of a stream mapping: reads it forward, drops what the filter rejects, spreads the rest over
 * ParallelizationFactor lanes by order key (a partition key always lands in the same lane, so its records stay
 * in order), cuts each lane's batches (BatchSize, window, 6 MB) and has them processed one at a time per lane.
 * The checkpoint advances only past records whose outcome is final, in shard order, whichever lane finishes
 * first; a shard read to its end is marked ended once everything in it is final, so its children may start.
 * If processing a batch throws (a bug, not a function error), the runner stops rather than go on past records
 * it never finished: the stream worker starts the shard again from its checkpoint.
 */
import type { FastifyBaseLogger } from "fastify";
import { type Batch, Batcher, type WindowStart } from "../pipeline/batcher.js";
import { CheckpointLedger } from "../pipeline/checkpoint-ledger.js";
import type { ShardReader, ShardSource, StreamRecord } from "../sources/source.js";
import type { Metrics } from "./metrics.js";
import type { ProcessingResult } from "./processing-result.js";
import { backoffMs, sleep } from "./sleep.js";

/** Kinesis returns at most 10,000 records a read. */
const MAX_READ = 10_000;
/**
 * Records read ahead of the lanes: a whole read's worth, or two full batches per lane if more. Reads are few
 * and large (GetRecords allows 5 calls a second per shard): the next one waits until half has been used.
 */
const MIN_READ_AHEAD = MAX_READ;
/** Bytes read ahead, at most: Kinesis records reach 1 MB each. */
const MAX_READ_AHEAD_BYTES = 64 * 1024 * 1024;
/** Backoff after a failing read: doubling from the first to the last, with jitter. */
const READ_BACKOFF_MS = [1_000, 30_000] as const;

/**
 * What the runner's alarm is aborted with: a pause ends, nothing failed. Given, so that an abort, which comes
 * every batch, does not build a DOMException with its stack trace.
 */
const WOKEN = "woken";

/** What the runner hands its batches to, and learns from which records are final. */
export interface ShardProcessor<R extends StreamRecord> {
  /** Runs one batch; resolves with the ids now final (none when the signal stopped it first). */
  process(records: R[], signal: AbortSignal): Promise<string[]>;
  /**
   * Work owed without a new batch (a tumbling window's final invocation): due at `due()` once the reader has
   * caught up with the shard, and at once when the shard has ended. Resolves with the ids it made final.
   */
  settle?(ended: boolean, signal: AbortSignal): Promise<string[]>;
  due?(): number | undefined;
}

export interface ShardRunnerOptions<R extends StreamRecord> {
  uuid: string;
  shardId: string;
  source: ShardSource;
  reader: ShardReader<R>;
  /** Where the stored checkpoint stands (undefined: nothing processed yet). */
  checkpoint: string | undefined;
  batchSize: number;
  windowMs: number;
  /** Where a batch's window starts: the lane's last batch (Kinesis, DynamoDB), or its first record (Kafka). */
  windowStartsAt?: WindowStart;
  parallelization: number;
  filter: ((event: Record<string, unknown>) => boolean) | undefined;
  processor: ShardProcessor<R>;
  saveCheckpoint(sequenceNumber: string | undefined, ended: boolean): Promise<void>;
  result: ProcessingResult;
  metrics: Metrics;
  labels: { uuid: string; function: string };
  log: FastifyBaseLogger;
}

export type ShardRunEnd = "ended" | "stopped" | "failed";

interface Lane<R extends StreamRecord> {
  batcher: Batcher<R>;
  /** Batches cut by count or bytes, waiting their turn. */
  ready: R[][];
  busy: Promise<void> | undefined;
}

export class ShardRunner<R extends StreamRecord> {
  private readonly ledger: CheckpointLedger;
  private readonly lanes: Lane<R>[];
  private readonly maxBuffered: number;
  /** Records handed to lanes and not yet back from processing: what read-ahead counts. */
  private buffered = 0;
  private bufferedBytes = 0;
  private saving: Promise<void> = Promise.resolve();
  /** A write is waiting for the one in progress: it will carry any position reached meanwhile. */
  private queuedSave = false;
  /** Aborted to end a pause early: a lane finished, or the runner is stopping. */
  private wake = new AbortController();
  /** The alarm the reader already rings when records arrive. */
  private watched: AbortController | undefined;
  /** The reader said records wait: read them now, whenever the next poll was due. */
  private arrived = false;
  private failure: unknown;
  /** The last read found nothing new, or the service said the read is at the shard's tip. */
  private caughtUp = false;

  constructor(private readonly options: ShardRunnerOptions<R>) {
    this.ledger = new CheckpointLedger(options.checkpoint);
    this.lanes = Array.from({ length: options.parallelization }, () => ({
      batcher: new Batcher<R>({
        maxRecords: options.batchSize,
        windowMs: options.windowMs,
        envelopeBytes: options.source.envelopeBytes,
        windowStartsAt: options.windowStartsAt ?? "flush",
      }),
      ready: [],
      busy: undefined,
    }));
    this.maxBuffered = Math.max(MIN_READ_AHEAD, 2 * options.batchSize * options.parallelization);
  }

  async run(signal: AbortSignal): Promise<ShardRunEnd> {
    const { reader, source, result } = this.options;
    // One listener for the whole run: the current alarm (renewed every turn) also rings on stop.
    const stop = () => this.wake.abort(WOKEN);
    signal.addEventListener("abort", stop, { once: true });
    let ended = false;
    let failures = 0;
    /** Reads wait for this: after an empty read, an idle poll; after a failed one, a backoff. */
    let nextReadAt = 0;
    /** When a read last returned records: the idle poll slows down once the shard stays empty. */
    let recordsAt = Date.now();
    try {
      while (!signal.aborted && this.failure === undefined) {
        // A fresh alarm each turn: a lane finishing from here on cuts the coming pause short.
        if (this.wake.signal.aborted) this.wake = new AbortController();
        // Lanes start on what is already read before the next read goes out, and work while it is out.
        this.dispatchAll(ended, signal);
        if (!ended && this.hasRoom() && (Date.now() >= nextReadAt || this.arrived)) {
          this.arrived = false;
          try {
            const read = await reader.read(Math.min(MAX_READ, this.maxBuffered - this.buffered), signal);
            failures = 0;
            // Kinesis may answer a read with no records while more wait (MillisBehindLatest > 0): read on then.
            this.caughtUp = read.behindMs === undefined ? read.records.length === 0 : read.behindMs === 0;
            const now = Date.now();
            if (read.records.length > 0) recordsAt = now;
            const { active, idle, idleAfter } = source.idlePollMs;
            nextReadAt = !this.caughtUp ? 0 : now + (now - recordsAt >= idleAfter ? idle : active);
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
            nextReadAt = Date.now() + backoffMs(failures, READ_BACKOFF_MS, true);
          }
          this.dispatchAll(ended, signal);
        }
        if (ended && this.ledger.pending === 0 && this.lanes.every((l) => !l.busy)) {
          await this.save(true);
          return "ended";
        }
        await this.pause(!ended && this.hasRoom() ? Math.max(0, nextReadAt - Date.now()) : undefined);
      }
      await Promise.all(this.lanes.map((lane) => lane.busy));
      await this.saving;
      return this.failure === undefined ? "stopped" : "failed";
    } finally {
      signal.removeEventListener("abort", stop);
    }
  }

  private dispatchAll(ended: boolean, signal: AbortSignal): void {
    const now = Date.now();
    for (const lane of this.lanes) this.dispatch(lane, now, ended, signal);
    if (this.settleable(now, ended)) this.settle(ended, signal);
  }

  /** Room for a read: no more than half the read-ahead left, and under the byte bound. */
  private hasRoom(): boolean {
    return this.buffered <= this.maxBuffered / 2 && this.bufferedBytes < MAX_READ_AHEAD_BYTES;
  }

  /** New records: into the ledger in shard order; the filter's rejects are final at once, the rest go to lanes. */
  private take(records: R[]): void {
    if (records.length === 0) return;
    const { filter, metrics, labels, parallelization } = this.options;
    metrics.polled.inc(labels, records.length);
    this.ledger.enter(records.map((r) => r.id));
    const dropped: string[] = [];
    const oversized: string[] = [];
    const now = Date.now();
    for (const record of records) {
      const kept = !filter || filter(record.event);
      record.dropEvent?.();
      if (!kept) {
        dropped.push(record.id);
        continue;
      }
      const lane = this.lanes[
        parallelization === 1 ? 0 : laneOf(record.orderKey, parallelization)
      ] as Lane<R>;
      this.buffered++;
      this.bufferedBytes += record.bytes;
      for (const cut of lane.batcher.add(record, now)) {
        if (cut.kind === "batch") lane.ready.push(cut.records);
        // Larger than any invocation can carry (a DocumentDB change of up to 16 MB; Kinesis and DynamoDB records
        // never are): dropped and counted, as AWS drops them.
        else {
          this.buffered--;
          this.bufferedBytes -= cut.record.bytes;
          oversized.push(cut.record.id);
          this.options.log.error({ uuid: this.options.uuid, id: cut.record.id }, "record over 6 MB dropped");
        }
      }
    }
    if (dropped.length > 0) metrics.filteredOut.inc(labels, dropped.length);
    if (oversized.length > 0) metrics.oversized.inc(labels, oversized.length);
    if (dropped.length + oversized.length > 0) this.finish([...dropped, ...oversized]);
  }

  /** Starts the lane's next batch if it is idle and one is due (or everything left, once the shard ended). */
  private dispatch(lane: Lane<R>, now: number, ended: boolean, signal: AbortSignal): void {
    if (lane.busy) return;
    let records = lane.ready.shift();
    if (!records && lane.batcher.size > 0 && (ended || lane.batcher.due(now)))
      records = (lane.batcher.flush(now) as Batch<R>).records;
    if (!records) return;
    const batch = records;
    this.occupy(lane, this.options.processor.process(batch, signal), () => {
      this.buffered -= batch.length;
      for (const record of batch) this.bufferedBytes -= record.bytes;
      lane.batcher.restartWindow(Date.now());
    });
  }

  /** Whether the processor's owed work may run now: every lane idle and empty, and its time has come. */
  private settleable(now: number, ended: boolean): boolean {
    const { processor } = this.options;
    if (!processor.settle) return false;
    if (this.lanes.some((l) => l.busy || l.ready.length > 0 || l.batcher.size > 0)) return false;
    const due = processor.due?.();
    return due !== undefined && (ended || (this.caughtUp && due <= now));
  }

  private settle(ended: boolean, signal: AbortSignal): void {
    const { processor } = this.options;
    this.occupy(this.lanes[0] as Lane<R>, processor.settle?.(ended, signal) ?? Promise.resolve([]), () => {});
  }

  private occupy(lane: Lane<R>, work: Promise<string[]>, done: () => void): void {
    lane.busy = work
      .then((ids) => this.finish(ids))
      .catch((err: unknown) => {
        this.failure = err;
        this.options.log.error(
          { err, uuid: this.options.uuid, shard: this.options.shardId },
          "processing a batch failed; the shard starts again from its checkpoint",
        );
      })
      .finally(() => {
        lane.busy = undefined;
        done();
        this.wake.abort(WOKEN);
      });
  }

  private finish(ids: string[]): void {
    if (ids.length > 0 && this.ledger.finish(ids) !== undefined) void this.save(false);
  }

  /**
   * Checkpoint writes one after another, each with the position as it stands when its turn comes: a write asked
   * for while another waits its turn is that one (the final, ended write excepted), so batches finishing faster
   * than a write (a Kafka commit, a store write) share writes.
   */
  private save(ended: boolean): Promise<void> {
    if (this.queuedSave && !ended) return this.saving;
    this.queuedSave = true;
    this.saving = this.saving
      .then(() => {
        this.queuedSave = false;
        return this.options.saveCheckpoint(this.ledger.position, ended);
      })
      .catch((err: unknown) =>
        this.options.log.error(
          { err, uuid: this.options.uuid, shard: this.options.shardId },
          "saving a checkpoint failed",
        ),
      );
    return this.saving;
  }

  /**
   * Waits `ms` (undefined: until woken), or less when an idle lane's batch or the processor's owed work falls
   * due first; a lane finishing or a stop ends it at once. Only deadlines something can act on count, so the
   * loop never spins while lanes are busy.
   */
  private async pause(ms: number | undefined): Promise<void> {
    const now = Date.now();
    const deadlines = this.lanes.filter((l) => !l.busy).map((l) => l.batcher.nextDeadline());
    const owed = this.options.processor.due?.();
    if (owed !== undefined && this.settleable(Math.max(now, owed), false)) deadlines.push(owed);
    const due = deadlines.filter((d): d is number => d !== undefined);
    const untilDue = due.length > 0 ? Math.max(0, Math.min(...due) - now) : Number.POSITIVE_INFINITY;
    const wait = Math.min(ms ?? Number.POSITIVE_INFINITY, untilDue);
    if (wait === 0) return;
    const { reader } = this.options;
    // Once per alarm: a pause that times out leaves the alarm, and its waiter, for the next turn.
    if (ms !== undefined && reader.readable && this.watched !== this.wake) {
      const alarm = this.wake;
      this.watched = alarm;
      void reader.readable(alarm.signal).then(() => {
        if (alarm.signal.aborted) return;
        this.arrived = true;
        alarm.abort(WOKEN);
      });
    }
    await sleep(Number.isFinite(wait) ? wait : 2 ** 31 - 1, this.wake.signal);
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
