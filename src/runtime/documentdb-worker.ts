/**
 * A DocumentDB mapping: the cluster's change stream on the mapping's database (or one collection), read in the
 * background into a feed, and one shard runner invoking the function with one batch at a time, in change
 * stream order, as AWS does. A failing batch is retried until it succeeds. After each batch the resume token of
 * the last change is stored: a restart, even after kill -9, resumes just after it. When the change stream no
 * longer holds the events after that token (they expired), reading cannot go on without skipping some: the
 * mapping is disabled, as AWS disables it, and says why.
 */
import { type ChangeStreamOptions, MongoClient, Timestamp } from "mongodb";
import { RETRY_UNTIL_SUCCESS } from "../pipeline/stream-retry.js";
import {
  type ChangeRecord,
  documentdbEnvelopeBytes,
  documentdbEvent,
  parseToken,
  type ResumeToken,
  tokenText,
} from "../sources/documentdb/change-event.js";
import { ChangeStreamFeed } from "../sources/documentdb/change-stream-feed.js";
import type { DocumentdbAccess } from "../sources/documentdb/documentdb-access.js";
import { documentdbProblem } from "../sources/documentdb/documentdb-errors.js";
import type { ShardPosition } from "../sources/source.js";
import type { Store } from "../store/store.js";
import { OrderedWorker, type OrderedWorkerOptions } from "./ordered-worker.js";
import { ShardRunner } from "./shard-runner.js";
import { backoffMs, sleep } from "./sleep.js";
import { StreamBatches } from "./stream-batches.js";

/** The checkpoint's shard: a mapping reads one change stream. */
const SHARD_ID = "change-stream";
/** Changes read ahead of the runner, at most: as a Kinesis shard's read-ahead. */
const FEED_BOUNDS = { records: 10_000, bytes: 64 * 1024 * 1024 };
/** How long the server holds a read open for new changes. */
const MAX_AWAIT_MS = 1_000;
/** The feed wakes its runner when changes land; this is only a safety net. */
const FEED_POLL_MS = { active: 1_000, idle: 1_000, idleAfter: 0 } as const;
/** After the cluster could not be read. */
const RECONNECT_BACKOFF_MS = [1_000, 30_000] as const;
/** Before a runner that failed starts again. */
const RESTART_DELAY_MS = 1_000;
/**
 * How often a quiet collection's position, moved on by the cluster's other changes, is stored at most: every
 * minute, or ten times within the change stream's retention if that is shorter.
 */
const positionSaveMs = (retentionMs: number) => Math.min(60_000, retentionMs / 10);
/** A cluster that cannot be reached is reported after this long, rather than the driver's 30 s. */
const SERVER_SELECTION_TIMEOUT_MS = 10_000;

export interface DocumentdbWorkerOptions extends OrderedWorkerOptions {
  /** Where the cluster is and what to watch; a BrokerConfigError when the config file lacks something. */
  access: DocumentdbAccess | Error;
  /** Where reading starts before any checkpoint: TRIM_HORIZON, or a time (LATEST is the mapping's creation). */
  startingPosition: ShardPosition;
  batchSize: number;
  windowMs: number;
  store: Pick<Store, "getCheckpoints" | "putCheckpoint">;
  /** Lambda disables the mapping, with this StateTransitionReason. */
  disable(reason: string): Promise<void>;
}

export class DocumentdbWorker extends OrderedWorker {
  /** Reading the change stream failed, and has not worked since. */
  private readFailing = false;
  constructor(private readonly options: DocumentdbWorkerOptions) {
    super(options, "DocumentDB");
  }

  protected async run(): Promise<void> {
    const { access } = this.options;
    const { signal } = this.controller;
    if (access instanceof Error) {
      const { reason, code } = documentdbProblem(access);
      this.result.problem(reason, code);
      return;
    }
    let client: MongoClient;
    try {
      client = new MongoClient(access.uri, {
        ...(access.auth ? { auth: access.auth } : {}),
        appName: "sluice",
        serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS,
      });
    } catch (err) {
      this.result.problem(
        `The DocumentDB cluster's uri is not a valid connection string: ${(err as Error).message}`,
        "ESM_CONFIG_NOT_VALID",
      );
      return;
    }
    // Closing the client ends a read waiting for a cluster that cannot be reached, which closing the stream does not.
    const close = () => void client.close().catch(() => {});
    signal.addEventListener("abort", close, { once: true });
    this.invoker.warm(1);
    try {
      // A runner that failed (a bug, not a function error) starts again from the stored checkpoint.
      while (!signal.aborted && (await this.runFromCheckpoint(client, access, signal)) === "failed")
        await sleep(RESTART_DELAY_MS, signal);
    } finally {
      signal.removeEventListener("abort", close);
      await client.close().catch(() => {});
    }
  }

  private async runFromCheckpoint(
    client: MongoClient,
    access: DocumentdbAccess,
    signal: AbortSignal,
  ): Promise<"stopped" | "failed"> {
    const { uuid, store, log, metrics } = this.options;
    const stored = (await store.getCheckpoints(uuid)).find((c) => c.shardId === SHARD_ID)?.sequenceNumber;
    const run = new AbortController();
    const stop = () => run.abort();
    signal.addEventListener("abort", stop, { once: true });
    /** The last change pushed into the feed, and the last position stored: equal once all is processed. */
    let taken = stored;
    let saved = stored;
    let positionSavedAt = 0;
    const save = (sequenceNumber: string | undefined) => {
      saved = sequenceNumber;
      return store.putCheckpoint(uuid, { shardId: SHARD_ID, sequenceNumber, ended: false });
    };
    const feed = new ChangeStreamFeed({
      open: (after) => this.open(client, access, after),
      after: stored === undefined ? undefined : parseToken(stored),
      bounds: FEED_BOUNDS,
      opened: () => {
        if (!this.readFailing) return;
        this.readFailing = false;
        this.result.recovered();
      },
      passed: (token) => {
        // A quiet collection's position moves on with the cluster's, now and then, so that a restart after a
        // long quiet spell resumes within the change stream's retention.
        const now = Date.now();
        if (
          run.signal.aborted ||
          taken !== saved ||
          now - positionSavedAt < positionSaveMs(access.retentionMs)
        )
          return;
        positionSavedAt = now;
        taken = tokenText(token);
        save(taken).catch((err: unknown) =>
          log.error({ err, uuid }, "saving the change stream's position failed"),
        );
      },
      landed: (last) => {
        taken = last.id;
      },
      failed: (err, failures, after) => this.failed(err, failures, after !== undefined, run.signal),
    });
    const batches = new StreamBatches<ChangeRecord>({
      uuid,
      functionArn: this.options.functionArn,
      streamArn: access.clusterArn,
      invoker: this.invoker,
      labels: this.labels,
      result: this.result,
      metrics,
      log,
      batchEvent: (records) => documentdbEvent(access.clusterArn, records),
      tumblingWindowMs: 0,
      retry: RETRY_UNTIL_SUCCESS,
      onFailure: undefined,
      signal,
    });
    const runner = new ShardRunner<ChangeRecord>({
      uuid,
      shardId: SHARD_ID,
      source: {
        envelopeBytes: documentdbEnvelopeBytes(access.clusterArn),
        idlePollMs: FEED_POLL_MS,
        describeError: (err) => documentdbProblem(err).reason,
      },
      reader: feed,
      checkpoint: stored,
      batchSize: this.options.batchSize,
      windowMs: this.options.windowMs,
      windowStartsAt: "firstRecord",
      parallelization: 1,
      // Lambda refuses filter criteria on DocumentDB mappings.
      filter: undefined,
      processor: batches.processorFor(SHARD_ID),
      saveCheckpoint: save,
      result: this.result,
      metrics,
      labels: this.labels,
      log,
    });
    // A pump that throws (a failed disable) ends the run; the runner stops with it.
    const pumping = feed.pump(run.signal).catch((err: unknown) => {
      log.error({ err, uuid }, "reading the change stream stopped");
      run.abort();
    });
    try {
      const end = await runner.run(run.signal);
      return end === "failed" ? "failed" : "stopped";
    } finally {
      run.abort();
      signal.removeEventListener("abort", stop);
      await pumping;
    }
  }

  /** The change stream just after `after`, or at the mapping's starting position. */
  private open(client: MongoClient, access: DocumentdbAccess, after: ResumeToken | undefined) {
    const db = client.db(access.database);
    const options: ChangeStreamOptions = {
      fullDocument: access.fullDocument,
      maxAwaitTimeMS: MAX_AWAIT_MS,
      // Longs beyond 2^53 keep their value, written as {"$numberLong": ...} in the event.
      promoteLongs: false,
      ...(after ? { resumeAfter: after } : { startAtOperationTime: this.startTime(access) }),
    };
    return access.collection === undefined
      ? db.watch([], options)
      : db.collection(access.collection).watch([], options);
  }

  /** TRIM_HORIZON: as far back as the cluster keeps change stream events; otherwise the position's time. */
  private startTime(access: DocumentdbAccess): Timestamp {
    const position = this.options.startingPosition;
    const ms = position.type === "AT_TIMESTAMP" ? position.timestampMs : Date.now() - access.retentionMs;
    return new Timestamp({ t: Math.floor(ms / 1000), i: 0 });
  }

  /**
   * A failed read: reported, then tried again after a backoff. Expired events after a resume point disable the
   * mapping, since reading on would skip them; a starting position older than the change stream's history is a
   * configuration to fix, and is retried.
   */
  private async failed(
    err: unknown,
    failures: number,
    resuming: boolean,
    signal: AbortSignal,
  ): Promise<boolean> {
    const { uuid, log } = this.options;
    const problem = documentdbProblem(err);
    this.readFailing = true;
    if (problem.expired && resuming) {
      this.result.problem(problem.reason);
      log.error({ err, uuid }, "the change stream's events expired; disabling the mapping");
      await this.options.disable(`PROBLEM: ${problem.reason}`);
      return false;
    }
    if (problem.expired)
      this.result.problem(
        "The starting position is older than the change stream's history. For TRIM_HORIZON, set the " +
          "cluster's changeStreamRetentionSeconds in the config file to its change_stream_log_retention_duration.",
        "ESM_CONFIG_NOT_VALID",
      );
    else this.result.problem(problem.reason, problem.code);
    if (failures === 1) log.warn({ err, uuid }, "reading the change stream failed");
    await sleep(backoffMs(failures, RECONNECT_BACKOFF_MS, true), signal);
    return !signal.aborted;
  }
}
