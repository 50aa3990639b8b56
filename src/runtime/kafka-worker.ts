/**
 * A Kafka mapping (MSK or self-managed): its pollers are members of the mapping's consumer group, so the group
 * shares the topic's partitions between them and any other member (another Sluice node, another consumer).
 * Each partition a poller is given gets a ShardRunner reading that partition's feed one batch at a time, in
 * offset order; a batch goes through StreamBatches, and the offset after the last final record is committed
 * to the group, filtered-out records included. Committed offsets are the checkpoints: they win over
 * StartingPosition, which only applies to partitions the group has never committed.
 *
 * LATEST and AT_TIMESTAMP are pinned when a partition is first assigned, by committing the matching offset for
 * the group, so a restart before the first record arrives does not skip what was written in between.
 */
import { onFailureDestination } from "../destinations/destination.js";
import { kafkaTopicDestination } from "../destinations/kafka-topic.js";
import type { StreamRetryPolicy } from "../pipeline/stream-retry.js";
import { type KafkaClient, type KafkaProducer, kafkaClient, kafkaProducer } from "../sources/kafka/client.js";
import { GroupConsumer } from "../sources/kafka/group-consumer.js";
import type { KafkaAccess } from "../sources/kafka/kafka-access.js";
import { kafkaProblem } from "../sources/kafka/kafka-errors.js";
import { type KafkaRecord, kafkaEnvelopeBytes, kafkaEvent } from "../sources/kafka/kafka-event.js";
import type { ShardPosition, ShardSource } from "../sources/source.js";
import { OrderedWorker, type OrderedWorkerOptions } from "./ordered-worker.js";
import { ShardRunner } from "./shard-runner.js";
import { backoffMs, sleep } from "./sleep.js";
import { StreamBatches } from "./stream-batches.js";

/** After a poller failed to join or crashed. */
const RECONNECT_BACKOFF_MS = [1_000, 30_000] as const;
/**
 * A member silent this long leaves the group. Batches never hold up heartbeats here (fetches only fill feeds),
 * so Kafka's pre-3.0 default is safe, and a rejoining group waits less for members that went away.
 */
const SESSION_TIMEOUT_MS = 10_000;
/**
 * Records a partition's feed takes before the partition is paused: as many as a shard runner reads ahead. A
 * paused partition resumes only with the next fetch, which may wait out another partition's long poll, so a
 * small feed would have a busy partition paused and resumed, and waiting, every few batches.
 */
const FEED_RECORDS = 10_000;
/** A partition's feed wakes its runner when records land; this is only a safety net. */
const FEED_POLL_MS = { active: 1_000, idle: 1_000, idleAfter: 0 } as const;

export interface KafkaWorkerOptions extends OrderedWorkerOptions {
  /** Where the cluster is and how to join it; a BrokerConfigError when the config file lacks something. */
  access: KafkaAccess | Error;
  startingPosition: ShardPosition;
  batchSize: number;
  windowMs: number;
  filter: ((event: Record<string, unknown>) => boolean) | undefined;
  retry: StreamRetryPolicy;
  /** The on-failure destination's ARN, or `kafka://<topic>` of the source cluster. */
  destinationArn: string | undefined;
  region: string;
  /** Group members this mapping runs. */
  pollers: number;
}

/** One partition's runner in a poller. */
interface PartitionRun {
  controller: AbortController;
  done: Promise<void>;
}

export class KafkaWorker extends OrderedWorker {
  private batches: StreamBatches<KafkaRecord> | undefined;
  private producer: Promise<KafkaProducer> | undefined;
  /**
   * Per partition, where the group's commit stands (at first, where fetching started: the commit the group had)
   * and the last fetch's high watermark: the lag metrics' inputs.
   */
  private readonly lag = new Map<number, { committed: bigint; high: bigint }>();
  private members = 0;

  constructor(private readonly options: KafkaWorkerOptions) {
    super(options, "Kafka");
  }

  /** Stops the pollers; batches in flight finish their invocation, and only final records are committed. */
  override async stop(): Promise<void> {
    await super.stop();
    await this.producer?.then((p) => p.disconnect()).catch(() => {});
  }

  protected async run(): Promise<void> {
    const { access, pollers } = this.options;
    const { signal } = this.controller;
    if (access instanceof Error) {
      const { reason, code } = kafkaProblem(access);
      this.result.problem(reason, code);
      return;
    }
    const client = kafkaClient(access.connection, `sluice-${this.options.uuid}`, this.options.log);
    this.batches = this.batchesFor(access, client);
    const envelopeBytes = kafkaEnvelopeBytes(access, access.topic);
    const source: ShardSource = {
      envelopeBytes,
      idlePollMs: FEED_POLL_MS,
      describeError: (err) => kafkaProblem(err).reason,
    };
    this.invoker.warm(pollers);
    await Promise.all(
      Array.from({ length: pollers }, (_, i) => this.poll(i, client, access, source, signal)),
    );
  }

  private batchesFor(access: KafkaAccess, client: KafkaClient): StreamBatches<KafkaRecord> {
    const { options } = this;
    const arn = options.destinationArn;
    const destination =
      arn === undefined
        ? undefined
        : arn.startsWith("kafka://")
          ? kafkaTopicDestination(arn, async (topic, message) => {
              await (await this.connectedProducer(client)).send({ topic, messages: [message] });
            })
          : onFailureDestination(arn, options.region);
    return new StreamBatches<KafkaRecord>({
      ...options,
      streamArn: access.eventSourceArn ?? "",
      invoker: this.invoker,
      labels: this.labels,
      result: this.result,
      batchEvent: (records) => kafkaEvent(access, records),
      tumblingWindowMs: 0,
      retriesExhausted: "RetriesExhausted",
      countInvokeErrors: true,
      onFailure: destination && {
        destination,
        batchInfo: (_shard, batch, count, payload) => {
          const first = batch[0] as KafkaRecord;
          return {
            batchInfoKey: "KafkaBatchInfo",
            batchInfo: {
              batchSize: count,
              ...(access.eventSourceArn !== undefined ? { eventSourceArn: access.eventSourceArn } : {}),
              bootstrapServers: access.bootstrapServers,
              payloadSize: Buffer.byteLength(JSON.stringify(payload)),
              recordInfo: { offset: first.offset, timestamp: new Date(first.arrivedAt).toISOString() },
            },
          };
        },
      },
      signal: this.controller.signal,
    });
  }

  /** The kafka:// destination's producer, connected once; a failed connect is tried again next time. */
  private connectedProducer(client: KafkaClient): Promise<KafkaProducer> {
    this.producer ??= (async () => {
      const producer = kafkaProducer(client);
      try {
        await producer.connect();
        return producer;
      } catch (err) {
        this.producer = undefined;
        throw err;
      }
    })();
    return this.producer;
  }

  /** One group member, joined again after a crash, with backoff, until the worker stops. */
  private async poll(
    poller: number,
    client: KafkaClient,
    access: KafkaAccess,
    source: ShardSource,
    signal: AbortSignal,
  ): Promise<void> {
    const { log, uuid, metrics } = this.options;
    let failures = 0;
    const stopped = new Promise<"stopped">((resolve) =>
      signal.addEventListener("abort", () => resolve("stopped"), { once: true }),
    );
    while (!signal.aborted) {
      const runs = new Map<number, PartitionRun>();
      const stopping = new Map<number, Promise<void>>();
      let gaveUp!: (err: unknown) => void;
      const crash = new Promise<unknown>((resolve) => {
        gaveUp = resolve;
      });
      const member: GroupConsumer = new GroupConsumer(
        client.consumer({
          groupId: access.groupId,
          allowAutoTopicCreation: false,
          // Fetches wait at most a second for records, so that a stopping poller is not held up long.
          maxWaitTimeInMs: 1_000,
          sessionTimeout: SESSION_TIMEOUT_MS,
          // A crashed member does not rejoin by itself while its runners go on: this loop starts it again,
          // runners and feeds anew, from the committed offsets.
          retry: { restartOnFailure: async () => false },
        }),
        access,
        FEED_RECORDS,
        {
          assigned: (partitions) => {
            for (const [partition, run] of runs) {
              if (partitions.includes(partition)) continue;
              run.controller.abort();
              runs.delete(partition);
              stopping.set(partition, run.done);
              // Its lag is its new owner's to report.
              this.lag.delete(partition);
            }
            for (const partition of partitions) {
              if (runs.has(partition)) continue;
              runs.set(
                partition,
                this.runPartition(member, access, source, partition, stopping.get(partition), gaveUp),
              );
            }
            log.info({ uuid, poller, partitions }, "Kafka partitions assigned");
          },
          fetched: (partition, first, high) => {
            const known = this.lag.get(partition);
            this.updateLag(partition, known?.committed ?? first, high);
          },
          crashed: (err) => {
            // Disconnecting a stopping poller fails what it had in flight: nothing to report.
            if (signal.aborted) return;
            metrics.pollingErrors.inc(this.labels);
            gaveUp(err);
          },
        },
      );
      try {
        const joining = (async () => {
          const startAt = await this.startingOffsets(client, access);
          await member.start(this.options.startingPosition.type === "TRIM_HORIZON", startAt);
          return "joined" as const;
        })();
        // Joining may take the client's retries (most of a minute for a cluster that is not there): a stop
        // does not wait for them.
        joining.catch(() => {});
        const joined = await Promise.race([joining, stopped]);
        // A join that outlives the stop leaves its member behind: it goes once the join is done.
        if (joined === "stopped")
          void joining.then(
            () => member.stop(),
            () => {},
          );
        if (joined === "joined") {
          failures = 0;
          this.result.recovered();
          this.joined(+1);
          try {
            const err = await Promise.race([crash, stopped]);
            if (!signal.aborted) throw err;
          } finally {
            this.joined(-1);
          }
        }
      } catch (err) {
        if (!signal.aborted) {
          failures++;
          const { reason, code } = kafkaProblem(err);
          if (this.result.problem(reason, code)) log.warn({ err, uuid, poller }, "the Kafka consumer failed");
        }
      }
      for (const run of runs.values()) run.controller.abort();
      await Promise.all([...[...runs.values()].map((run) => run.done), ...stopping.values()]);
      await member.stop().catch(() => {});
      if (!signal.aborted && failures > 0)
        await sleep(backoffMs(failures, RECONNECT_BACKOFF_MS, true), signal);
    }
  }

  /** A partition's runner, started once the runner it had before in this poller has let go. */
  private runPartition(
    member: GroupConsumer,
    access: KafkaAccess,
    source: ShardSource,
    partition: number,
    previous: Promise<void> | undefined,
    failed: (err: unknown) => void,
  ): PartitionRun {
    const { uuid, log, metrics } = this.options;
    const controller = new AbortController();
    const shardId = `${access.topic}-${partition}`;
    const batches = this.batches as StreamBatches<KafkaRecord>;
    const reader = member.feed(partition);
    const done = (previous ?? Promise.resolve())
      .then(() => {
        if (controller.signal.aborted) return;
        const runner = new ShardRunner<KafkaRecord>({
          uuid,
          shardId,
          source,
          reader,
          checkpoint: undefined,
          batchSize: this.options.batchSize,
          windowMs: this.options.windowMs,
          windowStartsAt: "firstRecord",
          parallelization: 1,
          filter: this.options.filter,
          processor: batches.processorFor(shardId),
          saveCheckpoint: async (id) => {
            if (id === undefined) return;
            const next = BigInt(id.slice(id.lastIndexOf(":") + 1)) + 1n;
            try {
              await member.commit(partition, next);
            } catch (err) {
              metrics.commitErrors.inc(this.labels);
              throw err;
            }
            const before = this.lag.get(partition);
            if (before && next > before.committed)
              metrics.committed.inc(this.labels, Number(next - before.committed));
            this.updateLag(partition, next, before?.high ?? next);
          },
          result: this.result,
          metrics,
          labels: this.labels,
          log,
        });
        // A runner that failed has taken records out of its feed: the member starts again from the commits.
        return runner.run(controller.signal).then((end) => {
          if (end === "failed")
            failed(new Error(`processing ${shardId} failed; reading it again from its commit`));
        });
      })
      .catch((err: unknown) => log.error({ err, uuid, shard: shardId }, "a Kafka partition runner failed"));
    return { controller, done };
  }

  /** ConcurrentPollers: the group members this mapping has joined. */
  private joined(change: number): void {
    this.members += change;
    this.options.metrics.pollers.set(this.labels, this.members);
  }

  /** The lag gauges; AWS's OffsetLag is the topic's, the sum over partitions. */
  private updateLag(partition: number, committed: bigint, high: bigint): void {
    const { metrics } = this.options;
    this.lag.set(partition, { committed, high });
    const lags = [...this.lag.values()].map((l) => Math.max(0, Number(l.high - l.committed)));
    const sum = lags.reduce((a, b) => a + b, 0);
    metrics.offsetLag.set(this.labels, sum);
    metrics.sumOffsetLag.set(this.labels, sum);
    metrics.maxOffsetLag.set(this.labels, Math.max(0, ...lags));
  }

  /**
   * LATEST or AT_TIMESTAMP: where each partition the group has never committed starts. The member that gets such
   * a partition commits it there on joining, so that a restart before its first record starts there again.
   */
  private async startingOffsets(client: KafkaClient, access: KafkaAccess): Promise<Map<number, string>> {
    const position = this.options.startingPosition;
    if (position.type === "TRIM_HORIZON") return new Map();
    const admin = client.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: access.groupId, topics: [access.topic] });
      const fresh = new Set(
        (committed?.partitions ?? []).filter((p) => p.offset === "-1").map((p) => p.partition),
      );
      if (fresh.size === 0) return new Map();
      const offsets =
        position.type === "AT_TIMESTAMP"
          ? await admin.fetchTopicOffsetsByTimestamp(access.topic, position.timestampMs)
          : (await admin.fetchTopicOffsets(access.topic)).map((p) => ({
              partition: p.partition,
              offset: p.high,
            }));
      return new Map(offsets.filter((p) => fresh.has(p.partition)).map((p) => [p.partition, p.offset]));
    } finally {
      await admin.disconnect();
    }
  }
}
