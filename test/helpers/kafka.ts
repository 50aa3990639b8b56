/**
 * Kafka for tests, through kafkajs, against the mock cluster that test/services/up starts (librdkafka's, 3
 * brokers; see ../services/endpoints.ts). Topics auto-create with 4 partitions on first use, so a test
 * just produces to a fresh `uniqueTopic()`; test files run in parallel on the one cluster.
 *
 * Mock quirks (librdkafka 2.0.2): CreateTopics fails (rely on auto-creation); `fetchTopicOffsetsByTimestamp`
 * returns the high offsets whatever the timestamp; describeCluster's controller is 0, not a broker (1-3). A
 * new group's first join takes 3 s; a join to a group that had members (even after they left) waits the
 * session timeout minus 1 s, so consumers in tests want a short `sessionTimeout`. A consumer's stop waits
 * for its in-flight fetch (`maxWaitTimeInMs`, kafkajs's default 5 s).
 */
import { randomUUID } from "node:crypto";
import {
  type Admin,
  type IHeaders,
  Kafka,
  logLevel,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from "kafkajs";
import { kafkaBootstrap } from "../services/endpoints.js";

export interface TestMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer>;
  partition?: number;
  /** Milliseconds since the epoch, as a string (kafkajs's form). Default: the producer's clock. */
  timestamp?: string;
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Values are Buffers (an array for a repeated header name). */
  headers: IHeaders;
  timestamp: string;
}

/** Messages per `send`: one request per 1,000 keeps large arrays under the request size limit. */
const SEND_BATCH = 1_000;

let kafka: Kafka | undefined;
let producerReady: Promise<Producer> | undefined;
let adminReady: Promise<Admin> | undefined;

// The broker list is a function so that clients made after a `down`/`up` (new random ports) find the mock.
// NOTHING: kafkajs logs expected mock behaviour (e.g. leader elections of a new topic) as errors;
// failures reach the tests as rejected promises anyway.
const client = () =>
  (kafka ??= new Kafka({
    clientId: "sluice-tests",
    brokers: () => kafkaBootstrap(),
    logLevel: logLevel.NOTHING,
  }));

/** Connects once, lazily; a failed connect is forgotten so that the next call tries again. */
function cached<T extends { connect(): Promise<void> }>(make: () => T, forget: () => void): Promise<T> {
  const instance = make();
  return instance.connect().then(
    () => instance,
    (error: unknown) => {
      forget();
      throw error;
    },
  );
}

const producer = () =>
  (producerReady ??= cached(
    // The default (Java-compatible) partitioner, without kafkajs's warning about the v2 change.
    () => client().producer({ createPartitioner: Partitioners.DefaultPartitioner }),
    () => {
      producerReady = undefined;
    },
  ));

const admin = () =>
  (adminReady ??= cached(
    () => client().admin(),
    () => {
      adminReady = undefined;
    },
  ));

export const uniqueTopic = (prefix = "t") => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * Produces `messages` to `topic` (acks from all replicas), in sends of 1,000, in order. Resolves with the
 * RecordMetadata of every send, concatenated (one entry per partition per send, with its base offset).
 */
export async function produce(topic: string, messages: TestMessage[]): Promise<RecordMetadata[]> {
  const p = await producer();
  const metadata: RecordMetadata[] = [];
  for (let i = 0; i < messages.length; i += SEND_BATCH) {
    metadata.push(...(await p.send({ topic, messages: messages.slice(i, i + SEND_BATCH) })));
  }
  return metadata;
}

/** Makes `topic` (4 partitions) with no records: the mock creates a topic asked about, as CreateTopics fails. */
export async function createTopic(topic: string): Promise<void> {
  await (await admin()).fetchTopicMetadata({ topics: [topic] });
}

/** Each partition's low (first) and high (next to be written) offset, by partition. */
export async function topicOffsets(
  topic: string,
): Promise<{ partition: number; low: number; high: number }[]> {
  const offsets = await (await admin()).fetchTopicOffsets(topic);
  return offsets
    .map(({ partition, low, high }) => ({ partition, low: Number(low), high: Number(high) }))
    .sort((a, b) => a.partition - b.partition);
}

/** The offsets `groupId` committed on `topic`'s partitions (the next to read); -1 where it has none. */
export async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const [result] = await (await admin()).fetchOffsets({ groupId, topics: [topic] });
  return new Map((result?.partitions ?? []).map(({ partition, offset }) => [partition, Number(offset)]));
}

/**
 * The first `count` messages a new consumer in `groupId` (default: a fresh group, so from the beginning of
 * every partition) reads from `topic`, in arrival order (in order within a partition). Commits nothing
 * unless `commit` is set, then exactly the returned messages (offset + 1 per partition). Rejects after
 * `timeoutMs` (default 20 s), saying how many it got.
 */
export async function consumeAll(
  topic: string,
  count: number,
  options: { groupId?: string; timeoutMs?: number; commit?: boolean } = {},
): Promise<ConsumedMessage[]> {
  const { groupId = uniqueTopic("check"), timeoutMs = 20_000, commit = false } = options;
  // Short fetch waits and session: disconnect in ~0.1 s instead of 5 s, rejoin `groupId` in 2 s instead of 29 s.
  const consumer = client().consumer({
    groupId,
    maxWaitTimeInMs: 100,
    sessionTimeout: 3_000,
    heartbeatInterval: 500,
  });
  const messages: ConsumedMessage[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`consumeAll(${topic}): ${messages.length} of ${count} messages in ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      if (count === 0) resolve();
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            if (messages.length >= count) return; // the rest of the batch after the count
            const { key, value, headers = {}, timestamp } = message;
            messages.push({
              topic,
              partition,
              offset: Number(message.offset),
              key,
              value,
              headers,
              timestamp,
            });
            if (messages.length === count) resolve();
          },
        })
        .catch(reject);
    });
    if (commit) {
      const next = new Map<number, number>();
      for (const m of messages) next.set(m.partition, Math.max(next.get(m.partition) ?? 0, m.offset + 1));
      await consumer.commitOffsets(
        [...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })),
      );
    }
    return messages;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}

/** Disconnects the cached producer and admin client (for afterAll). */
export async function closeKafka(): Promise<void> {
  const ready = [producerReady, adminReady];
  producerReady = adminReady = undefined;
  await Promise.all(ready.map((p) => p?.then((c) => c.disconnect()).catch(() => {})));
}
