import { describe, expect, it } from "vitest";
import type { KafkaMessage } from "../../../src/sources/kafka/client.js";
import { toKafkaRecord } from "../../../src/sources/kafka/kafka-event.js";
import { PartitionFeed } from "../../../src/sources/kafka/partition-feed.js";

const records = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) =>
    toKafkaRecord("t", 0, {
      key: null,
      value: Buffer.from("v"),
      timestamp: "1",
      attributes: 0,
      offset: String(from + i),
      headers: {},
    } as KafkaMessage),
  );

describe("a partition's feed", () => {
  it("asks for its partition back once read down to half, however the reads fall", async () => {
    let resumed = 0;
    const feed = new PartitionFeed({ records: 100, bytes: 1_000_000 }, () => resumed++);
    expect(feed.push(records(0, 105))).toBe(true);
    // A read that leaves more than half: still paused.
    expect((await feed.read(50)).records).toHaveLength(50);
    expect(resumed).toBe(0);
    // A later read that starts below full but ends at half resumes, once.
    await feed.read(5);
    expect(resumed).toBe(1);
    await feed.read(50);
    expect(resumed).toBe(1);
  });

  it("skips records it already took in, as after a rebalance that left the partition here", async () => {
    const feed = new PartitionFeed({ records: 100, bytes: 1_000_000 }, () => {});
    feed.push(records(0, 10));
    await feed.read(10);
    feed.push(records(5, 10));
    const read = await feed.read(100);
    expect(read.records.map((r) => r.offset)).toEqual(["10", "11", "12", "13", "14"]);
    expect(read.behindMs).toBe(0);
  });

  it("wakes a waiting reader when records arrive", async () => {
    const feed = new PartitionFeed({ records: 100, bytes: 1_000_000 }, () => {});
    const waiting = feed.readable(new AbortController().signal);
    feed.push(records(0, 1));
    await expect(waiting).resolves.toBeUndefined();
  });
});
