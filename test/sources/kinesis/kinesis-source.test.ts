import { GetRecordsCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { afterEach, describe, expect, it } from "vitest";
import { sizedJson } from "../../../src/pipeline/payload-size.js";
import { kinesisClient } from "../../../src/sources/kinesis/client.js";
import { type KinesisRecord, KinesisSource } from "../../../src/sources/kinesis/kinesis-source.js";
import type { ShardReader } from "../../../src/sources/source.js";
import { recordedPayloads } from "../../helpers/conformance.js";
import { createKinesisStream } from "../../helpers/sources.js";
import {
  deleteKinesisStream,
  expireNextKinesisIterator,
  mergeShards,
  putKinesisRecord,
  registerConsumer,
  sleep,
  splitShard,
} from "../../helpers/streams.js";
import { awsClientConfig, region } from "../../services/endpoints.js";

const recorded = recordedPayloads;
/** A record as AWS wrote it into an S3 on-failure object: the one recording that keeps AWS's key order. */
const AWS_RECORD = recorded.failure_destination_records.kinesis_s3_object_body.value.payload.Records[0];

const ROLE = "arn:aws:iam::000000000000:role/esm";
const SHARD = "shardId-000000000000";
const never = new AbortController().signal;

const streams: string[] = [];
afterEach(async () => {
  await Promise.all(streams.splice(0).map(deleteKinesisStream));
});

async function newStream(): Promise<string> {
  const arn = await createKinesisStream();
  streams.push(arn);
  return arn;
}

const sourceFor = (arn: string) => new KinesisSource({ arn, region, roleArn: ROLE });

/** Puts records one by one, a few ms apart so that their arrival times differ. */
async function put(streamArn: string, count: number, prefix = "r") {
  const sent = [];
  for (let i = 0; i < count; i++) {
    sent.push(await putKinesisRecord(streamArn, `${prefix}${i}`, `${prefix}${i}`));
    await sleep(5);
  }
  return sent;
}

/** Reads until `count` records came, or the shard ended. */
async function readRecords(reader: ShardReader<KinesisRecord>, count: number, max = 10_000) {
  const records: KinesisRecord[] = [];
  for (let reads = 0; records.length < count && reads < 50; reads++) {
    const read = await reader.read(max, never);
    records.push(...read.records);
    if (read.ended) break;
  }
  return records;
}

const dataOf = (records: readonly KinesisRecord[]) =>
  records.map((r) => Buffer.from((r.event.kinesis as { data: string }).data, "base64").toString());

describe("KinesisSource", () => {
  it("shapes a record as Lambda's Kinesis record, in AWS's key order", async () => {
    const stream = await newStream();
    const bytes = Uint8Array.from([0xff, 0x00, 0x7b, 0x22]);
    const sent = await putKinesisRecord(stream, "order-17", bytes);
    const source = sourceFor(stream);
    const [record] = await readRecords(source.openShard(SHARD, { type: "TRIM_HORIZON" }), 1);
    if (!record) throw new Error("no record read");

    expect(Object.keys(record.event)).toEqual(Object.keys(AWS_RECORD));
    expect(Object.keys(record.event.kinesis as object)).toEqual(Object.keys(AWS_RECORD.kinesis));
    // The invoke payload AWS recorded carries the same keys (that recording sorted them).
    const invoked = recorded.kinesis.invoke_payload_records.value.Records[0];
    expect(Object.keys(record.event).sort()).toEqual(Object.keys(invoked).sort());
    expect(Object.keys(record.event.kinesis as object).sort()).toEqual(Object.keys(invoked.kinesis).sort());

    const arrival = (record.event.kinesis as { approximateArrivalTimestamp: number })
      .approximateArrivalTimestamp;
    expect(record.event).toEqual({
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: "order-17",
        sequenceNumber: sent.sequenceNumber,
        data: Buffer.from(bytes).toString("base64"),
        approximateArrivalTimestamp: arrival,
      },
      eventSource: "aws:kinesis",
      eventVersion: "1.0",
      eventID: `${SHARD}:${sent.sequenceNumber}`,
      eventName: "aws:kinesis:record",
      invokeIdentityArn: ROLE,
      awsRegion: region,
      eventSourceARN: stream,
    });
    // Epoch seconds with the milliseconds as a fraction.
    expect(Math.abs(arrival - Date.now() / 1000)).toBeLessThan(60);
    expect(record).toMatchObject({
      id: sent.sequenceNumber,
      orderKey: "order-17",
      arrivedAt: Math.round(arrival * 1000),
      bytes: sizedJson(record.event).bytes,
    });
    // The text invocations carry is the event's own serialisation, written from the service's answer.
    expect(record.json).toBe(JSON.stringify(record.event));
    expect(JSON.parse(JSON.stringify(source.batchEvent([record])))).toEqual({ Records: [record.event] });
    expect(source.envelopeBytes).toBe(Buffer.byteLength('{"Records":[]}'));
    expect(source.idlePollMs).toEqual({ active: 300, idle: 1_000, idleAfter: 3_000 });
  });

  it("writes a partition key that JSON must escape, and counts its bytes as UTF-8", async () => {
    const stream = await newStream();
    const key = 'say "hi"\\ to Zoë ✓';
    await putKinesisRecord(stream, key, Buffer.from("x"));
    const [record] = await readRecords(sourceFor(stream).openShard(SHARD, { type: "TRIM_HORIZON" }), 1);
    if (!record) throw new Error("no record read");
    expect((record.event.kinesis as { partitionKey: string }).partitionKey).toBe(key);
    expect(record.orderKey).toBe(key);
    expect(record.bytes).toBe(Buffer.byteLength(JSON.stringify(record.event)) + 1);
  });

  it("reads a shard in order from TRIM_HORIZON, at most `max` records a read", async () => {
    const stream = await newStream();
    const sent = await put(stream, 5);
    const reader = sourceFor(stream).openShard(SHARD, { type: "TRIM_HORIZON" });
    const sizes: number[] = [];
    const records: KinesisRecord[] = [];
    while (records.length < 5) {
      const read = await reader.read(2, never);
      expect(read.ended).toBe(false);
      expect(read.behindMs).toEqual(expect.any(Number));
      sizes.push(read.records.length);
      records.push(...read.records);
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(records.map((r) => r.id)).toEqual(sent.map((s) => s.sequenceNumber));
    expect(dataOf(records)).toEqual(["r0", "r1", "r2", "r3", "r4"]);
    expect(await reader.read(10, never)).toEqual({ records: [], ended: false, behindMs: 0 });
  });

  it("reads only records put after LATEST", async () => {
    const stream = await newStream();
    await put(stream, 2, "old");
    const reader = sourceFor(stream).openShard(SHARD, { type: "LATEST" });
    expect((await reader.read(10, never)).records).toEqual([]);
    await put(stream, 2, "new");
    expect(dataOf(await readRecords(reader, 2))).toEqual(["new0", "new1"]);
  });

  it("reads from AT_TIMESTAMP: the records that arrived at or after it", async () => {
    const stream = await newStream();
    await put(stream, 4);
    const all = await readRecords(sourceFor(stream).openShard(SHARD, { type: "TRIM_HORIZON" }), 4);
    const at = all[2]?.arrivedAt as number;
    expect(all[1]?.arrivedAt).toBeLessThan(at);
    const reader = sourceFor(stream).openShard(SHARD, { type: "AT_TIMESTAMP", timestampMs: at });
    expect(dataOf(await readRecords(reader, 2))).toEqual(["r2", "r3"]);
  });

  it("resumes AFTER_SEQUENCE_NUMBER, as from a checkpoint", async () => {
    const stream = await newStream();
    const sent = await put(stream, 4);
    const reader = sourceFor(stream).openShard(SHARD, {
      type: "AFTER_SEQUENCE_NUMBER",
      sequenceNumber: sent[1]?.sequenceNumber as string,
    });
    expect(dataOf(await readRecords(reader, 2))).toEqual(["r2", "r3"]);
  });

  it("renews an expired iterator just after the last record it returned", async () => {
    const stream = await newStream();
    await put(stream, 5);
    const reader = sourceFor(stream).openShard(SHARD, { type: "TRIM_HORIZON" });
    const first = await reader.read(2, never);
    const answer = expireNextKinesisIterator(kinesisClient(region));
    const rest = await readRecords(reader, 3);
    expect(await answer).toBe("ExpiredIteratorException");
    expect(dataOf([...first.records, ...rest])).toEqual(["r0", "r1", "r2", "r3", "r4"]);
  });

  it("renews an iterator that expired before any record came at the starting position", async () => {
    const stream = await newStream();
    await put(stream, 2);
    const reader = sourceFor(stream).openShard(SHARD, { type: "TRIM_HORIZON" });
    const answer = expireNextKinesisIterator(kinesisClient(region));
    expect(dataOf(await readRecords(reader, 2))).toEqual(["r0", "r1"]);
    expect(await answer).toBe("ExpiredIteratorException");
  });

  it("ends a shard closed by a split once read to its end, and lists split and merge parents", async () => {
    const stream = await newStream();
    await put(stream, 2, "before");
    const source = sourceFor(stream);
    const reader = source.openShard(SHARD, { type: "TRIM_HORIZON" });
    expect((await reader.read(1, never)).records).toHaveLength(1);

    await splitShard(stream, SHARD);
    await put(stream, 2, "after");
    const shards = await source.shards();
    expect(shards).toEqual([
      { id: SHARD, parentIds: [] },
      { id: "shardId-000000000001", parentIds: [SHARD] },
      { id: "shardId-000000000002", parentIds: [SHARD] },
    ]);

    // The parent holds only what came before the split, then ends.
    const last = await reader.read(10, never);
    expect(dataOf(last.records)).toEqual(["before1"]);
    expect(last.ended).toBe(true);
    expect(await reader.read(10, never)).toEqual({ records: [], ended: true });
    const children = await Promise.all(
      ["shardId-000000000001", "shardId-000000000002"].map((id) =>
        source.openShard(id, { type: "TRIM_HORIZON" }).read(10, never),
      ),
    );
    expect(dataOf(children.flatMap((c) => c.records)).sort()).toEqual(["after0", "after1"]);

    await mergeShards(stream, "shardId-000000000001", "shardId-000000000002");
    expect((await source.shards()).at(-1)).toEqual({
      id: "shardId-000000000003",
      parentIds: ["shardId-000000000001", "shardId-000000000002"],
    });
  });

  it("reads an enhanced fan-out consumer's records from its stream", async () => {
    const stream = await newStream();
    const consumer = await registerConsumer(stream);
    await put(stream, 2);
    const source = sourceFor(consumer);
    const records = await readRecords(source.openShard(SHARD, { type: "TRIM_HORIZON" }), 2);
    expect(dataOf(records)).toEqual(["r0", "r1"]);
    expect(records[0]?.event.eventSourceARN).toBe(stream);
  });

  it("words a deleted stream as Lambda does, and a service it cannot reach", async () => {
    const stream = await createKinesisStream();
    const source = sourceFor(stream);
    const reader = source.openShard(SHARD, { type: "TRIM_HORIZON" });
    await reader.read(10, never);
    await deleteKinesisStream(stream);
    await sleep(700); // DELETE_STREAM_DURATION
    const failure = await reader.read(10, never).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(source.describeError(failure)).toBe(
      "Error occurred while GetRecords. Kinesis Error Code: ResourceNotFoundException. " +
        `Kinesis Error Message: Stream arn ${stream} not found`,
    );
    await expect(source.shards()).rejects.toThrow(`Stream arn ${stream} not found`);

    const nowhere = new KinesisClient({
      ...awsClientConfig("kinesis"),
      endpoint: "http://127.0.0.1:1",
      maxAttempts: 1,
    });
    const unreachable = await nowhere.send(new GetRecordsCommand({ ShardIterator: "x" })).catch((err) => err);
    expect(source.describeError(unreachable)).toMatch(
      /^Connection error\. Could not reach Kinesis for GetRecords: .*ECONNREFUSED/,
    );
  });

  it("resolves an aborted read with no records, and loses none", async () => {
    const stream = await newStream();
    await put(stream, 2);
    const reader = sourceFor(stream).openShard(SHARD, { type: "TRIM_HORIZON" });
    expect(await reader.read(10, AbortSignal.abort())).toEqual({ records: [], ended: false });
    const controller = new AbortController();
    const pending = reader.read(10, controller.signal);
    controller.abort();
    expect(await pending).toEqual({ records: [], ended: false });
    expect(dataOf(await readRecords(reader, 2))).toEqual(["r0", "r1"]);
  });
});
