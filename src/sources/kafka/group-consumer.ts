/**
 * One member of the mapping's consumer group (a poller): it joins the group, takes the partitions the group
 * assigns it, and pushes each fetched batch into that partition's feed. Offsets are committed by the caller,
 * once records are final; the library's automatic commits are off.
 */
import type { KafkaBatch, KafkaConsumer } from "./client.js";
import type { KafkaAccess } from "./kafka-access.js";
import { toKafkaRecord } from "./kafka-event.js";
import { PartitionFeed } from "./partition-feed.js";

/** A partition's feed holds this much before the partition is paused: two of the largest batches, at least. */
const FEED_BYTES = 64 * 1024 * 1024;

export interface GroupConsumerEvents {
  /** The group gave this member these partitions (after every rebalance, the whole set). */
  assigned(partitions: number[]): void;
  /** The consumer failed and stopped (the client's own restarts are off): the caller starts it again. */
  crashed(err: unknown): void;
  /** A fetch brought records of a partition from `first` on; `high` is the offset the next record written gets. */
  fetched(partition: number, first: bigint, high: bigint): void;
}

export class GroupConsumer {
  private readonly feeds = new Map<number, PartitionFeed>();
  /** Starting offsets seeked to and not committed yet. */
  private pins: { topic: string; partition: number; offset: string }[] = [];
  private running = false;
  constructor(
    private readonly consumer: KafkaConsumer,
    private readonly access: KafkaAccess,
    private readonly feedRecords: number,
    private readonly events: GroupConsumerEvents,
  ) {}

  /**
   * Connects, joins the group and starts fetching; rejects when the cluster cannot be reached or refuses.
   * `startAt`: offsets to start partitions the group has never committed at, committed as soon as they are
   * assigned here (LATEST, AT_TIMESTAMP); the others start at the committed offset, or by `fromBeginning`.
   */
  async start(fromBeginning: boolean, startAt = new Map<number, string>()): Promise<void> {
    const { consumer, access } = this;
    const { GROUP_JOIN, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[access.topic] ?? [];
      for (const partition of this.feeds.keys())
        if (!partitions.includes(partition)) this.feeds.delete(partition);
      // Feeds exist before the first fetch of the new assignment lands. The client keeps a partition paused
      // across rebalances: one that comes back here starts with an empty feed, so it must be fetched again.
      for (const partition of partitions) {
        if (this.feeds.has(partition)) continue;
        this.feed(partition);
        consumer.resume([{ topic: access.topic, partitions: [partition] }]);
      }
      for (const partition of partitions) {
        const offset = startAt.get(partition);
        if (offset === undefined) continue;
        startAt.delete(partition);
        consumer.seek({ topic: access.topic, partition, offset });
        this.pins.push({ topic: access.topic, partition, offset });
      }
      // Starting offsets were looked up before this member joined: later assignments start where the group
      // committed (a partition another member had may have moved on since).
      startAt.clear();
      if (this.running) void this.commitPins();
      this.events.assigned(partitions);
    });
    consumer.on(CRASH, ({ payload }) => this.events.crashed(payload.error));
    await consumer.connect();
    await consumer.subscribe({ topic: access.topic, fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, isStale }) => {
        if (!isStale()) this.take(batch);
      },
    }); // The client drops commits made before it counts as running, which it does once the first join is done.
    this.running = true;
    await this.commitPins();
  }

  /** Commits where the partitions with a starting offset start, so that a restart before any record keeps to it. */
  private async commitPins(): Promise<void> {
    const pins = this.pins.splice(0);
    if (pins.length === 0) return;
    // Not committed: the member starts again, and looks the starting offsets up again.
    await this.consumer.commitOffsets(pins).catch((err: unknown) => this.events.crashed(err));
  }

  /** The feed of an assigned partition: its runner reads it. */
  feed(partition: number): PartitionFeed {
    let feed = this.feeds.get(partition);
    if (!feed) {
      const { topic } = this.access;
      feed = new PartitionFeed({ records: this.feedRecords, bytes: FEED_BYTES }, () => {
        try {
          this.consumer.resume([{ topic, partitions: [partition] }]);
        } catch (err) {
          // Only while the consumer is going away: a member that rejoins starts with new feeds.
          this.events.crashed(err);
        }
      });
      this.feeds.set(partition, feed);
    }
    return feed;
  }

  /** Commits that the partition is done up to (not including) `offset`. */
  async commit(partition: number, offset: bigint): Promise<void> {
    await this.consumer.commitOffsets([{ topic: this.access.topic, partition, offset: offset.toString() }]);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private take(batch: KafkaBatch): void {
    const { topic, partition } = batch;
    // A batch of a partition no longer assigned here: its new owner reads it from the committed offset.
    const feed = this.feeds.get(partition);
    const first = batch.firstOffset();
    if (!feed || first === null) return;
    this.events.fetched(partition, BigInt(first), BigInt(batch.highWatermark));
    const full = feed.push(batch.messages.map((m) => toKafkaRecord(topic, partition, m)));
    if (full) this.consumer.pause([{ topic, partitions: [partition] }]);
  }
}
