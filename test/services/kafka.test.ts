// The Kafka helpers (test/helpers/kafka.ts) against the mock cluster test/services/up starts.
import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import {
  closeKafka,
  committedOffsets,
  consumeAll,
  produce,
  topicOffsets,
  uniqueTopic,
} from "../helpers/kafka.js";
import { kafkaBootstrap } from "./endpoints.js";

afterAll(closeKafka);

describe("Kafka (librdkafka mock cluster)", () => {
  it("answers at the bootstrap addresses with 3 brokers", async () => {
    const bootstrap = kafkaBootstrap();
    expect(bootstrap).toHaveLength(3);
    const admin = new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...bootstrap].sort());
      expect(cluster.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
      expect(cluster.clusterId).toMatch(/^mockCluster/);
    } finally {
      await admin.disconnect();
    }
  });

  it("creates a topic with 4 partitions on first produce", async () => {
    const topic = uniqueTopic();
    const [metadata] = await produce(topic, [{ value: "hello", partition: 3 }]);
    expect(metadata).toMatchObject({ topicName: topic, partition: 3, errorCode: 0, baseOffset: "0" });
    expect(await topicOffsets(topic)).toEqual([
      { partition: 0, low: 0, high: 0 },
      { partition: 1, low: 0, high: 0 },
      { partition: 2, low: 0, high: 0 },
      { partition: 3, low: 0, high: 1 },
    ]);
  });

  it("gives a consumer group a partition's messages in order, with key, value, headers and timestamp", async () => {
    const topic = uniqueTopic();
    const sent = Array.from({ length: 5 }, (_, i) => ({
      key: `k-${i}`,
      value: `v-${i}`,
      headers: { seq: String(i), raw: Buffer.from([0, i, 255]) },
      partition: 2,
      timestamp: String(1_700_000_000_000 + i),
    }));
    await produce(topic, [
      ...sent,
      { key: null, value: null, partition: 2, timestamp: "1700000000100" }, // a tombstone without key
      { key: "other", value: Buffer.from([1, 2, 3]), partition: 0 },
    ]);

    const got = await consumeAll(topic, 7);
    const p2 = got.filter((m) => m.partition === 2);
    expect(p2.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    sent.forEach((s, i) => {
      const m = p2[i];
      expect(m?.key?.toString()).toBe(s.key);
      expect(m?.value?.toString()).toBe(s.value);
      expect(m?.headers.seq?.toString()).toBe(String(i));
      expect(m?.headers.raw).toEqual(Buffer.from([0, i, 255]));
      expect(m?.timestamp).toBe(s.timestamp);
    });
    expect(p2[5]).toMatchObject({ key: null, value: null, timestamp: "1700000000100" });
    expect(got.find((m) => m.partition === 0)?.value).toEqual(Buffer.from([1, 2, 3]));
  });

  it("reads back committed offsets, and a group resumes from them", async () => {
    const topic = uniqueTopic();
    const groupId = uniqueTopic("group");
    // 2,500 messages: three sends of at most 1,000.
    await produce(
      topic,
      Array.from({ length: 2_500 }, (_, i) => ({ value: `m-${i}`, partition: i % 2 })),
    );
    expect((await topicOffsets(topic)).map((o) => o.high)).toEqual([1_250, 1_250, 0, 0]);
    expect(await committedOffsets(groupId, topic)).toEqual(
      new Map([
        [0, -1],
        [1, -1],
        [2, -1],
        [3, -1],
      ]),
    );

    expect(await consumeAll(topic, 2_500, { groupId, commit: true })).toHaveLength(2_500);
    expect(await committedOffsets(groupId, topic)).toEqual(
      new Map([
        [0, 1_250],
        [1, 1_250],
        [2, -1],
        [3, -1],
      ]),
    );

    await produce(topic, [{ value: "after", partition: 1 }]);
    const [next] = await consumeAll(topic, 1, { groupId });
    expect(next).toMatchObject({ partition: 1, offset: 1_250 });
    expect(next?.value?.toString()).toBe("after");
  });
});
