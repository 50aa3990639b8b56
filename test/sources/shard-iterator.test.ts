/**
 * The shared shard reader against scripted GetShardIterator / GetRecords answers, for what the emulators cannot
 * produce on demand: data trimmed away under a checkpoint. (Iterator expiry and shard ends run against the real
 * emulators in the Kinesis and DynamoDB source tests.)
 */
import { describe, expect, it } from "vitest";
import { IteratorShardReader, type ShardCalls } from "../../src/sources/shard-iterator.js";
import type { ShardPosition, StreamRecord } from "../../src/sources/source.js";

class Trimmed extends Error {
  override name = "TrimmedDataAccessException";
}

const never = new AbortController().signal;
const toRecord = (id: string): StreamRecord => ({ id, orderKey: "k", bytes: 1, arrivedAt: 0, event: { id } });

/** A shard holding records "5".."9" (older ones trimmed), in pages of two. */
function shard() {
  const asked: ShardPosition[] = [];
  const oldest = 5;
  const calls: ShardCalls<string> = {
    async iterator(from) {
      asked.push(from);
      if (from.type !== "AFTER_SEQUENCE_NUMBER") return `at:${oldest}`;
      // DynamoDB Streams refuses an iterator this far back outright; Kinesis-like services fail the read.
      if (Number(from.sequenceNumber) < 0) throw new Trimmed("the sequence number is past the retention");
      return `at:${Number(from.sequenceNumber) + 1}`;
    },
    async records(iterator, limit) {
      const at = Number(iterator.split(":")[1]);
      if (at < oldest) throw new Trimmed("the position is past the stream's retention");
      const ids = [at, at + 1]
        .slice(0, limit)
        .filter((n) => n <= 9)
        .map(String);
      return { records: ids, nextIterator: at + 2 > 9 ? undefined : `at:${at + 2}` };
    },
    expired: () => false,
    trimmed: (err) => err instanceof Trimmed,
  };
  return { calls, asked };
}

describe("the shard iterator reader", () => {
  it("goes on from the oldest record left when its checkpoint has been trimmed away", async () => {
    const { calls, asked } = shard();
    const reader = new IteratorShardReader(
      calls,
      { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: "1" },
      100,
      toRecord,
    );
    const first = await reader.read(10, never);
    expect(first.records.map((r) => r.id)).toEqual(["5", "6"]);
    expect(asked.map((p) => p.type)).toEqual(["AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON"]);
    const ids: string[] = [];
    for (let read = await reader.read(10, never); ; read = await reader.read(10, never)) {
      ids.push(...read.records.map((r) => r.id));
      if (read.ended) break;
    }
    expect(ids).toEqual(["7", "8", "9"]);
  });

  it("also goes on from the oldest record when the iterator itself is refused as trimmed", async () => {
    const { calls, asked } = shard();
    const reader = new IteratorShardReader(
      calls,
      { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: "-5" },
      100,
      toRecord,
    );
    expect((await reader.read(10, never)).records.map((r) => r.id)).toEqual(["5", "6"]);
    expect(asked.map((p) => p.type)).toEqual(["AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON"]);
  });

  it("passes other errors up", async () => {
    const { calls } = shard();
    const failing: ShardCalls<string> = { ...calls, trimmed: () => false };
    const reader = new IteratorShardReader(
      failing,
      { type: "AFTER_SEQUENCE_NUMBER", sequenceNumber: "1" },
      100,
      toRecord,
    );
    await expect(reader.read(10, never)).rejects.toThrow(Trimmed);
  });
});
