import { afterEach, describe, expect, it } from "vitest";
import { sizedJson } from "../../../src/pipeline/payload-size.js";
import { dynamodbStreamsClient } from "../../../src/sources/dynamodb/client.js";
import { type DynamodbRecord, DynamodbStreamSource } from "../../../src/sources/dynamodb/dynamodb-source.js";
import { itemKey } from "../../../src/sources/dynamodb/event.js";
import type { ShardReader } from "../../../src/sources/source.js";
import { recordedPayloads } from "../../helpers/conformance.js";
import {
  createTable,
  deleteItem,
  deleteTable,
  disableStream,
  enableTtl,
  expireNextDynamodbIterator,
  type Item,
  putItem,
  sleep,
  updateItem,
} from "../../helpers/streams.js";
import { region } from "../../services/endpoints.js";

const recorded = recordedPayloads;
const [AWS_INSERT, AWS_MODIFY] =
  recorded.dynamodb.invoke_payloads_insert_then_modify_new_and_old_images.value.map(
    (event: { Records: unknown[] }) => event.Records[0],
  );

const never = new AbortController().signal;

const tables: string[] = [];
afterEach(async () => {
  await Promise.all(tables.splice(0).map(deleteTable));
});

async function newTable(options: Parameters<typeof createTable>[0] = {}) {
  const created = await createTable(options);
  tables.push(created.table);
  const source = new DynamodbStreamSource({ arn: created.streamArn, region });
  const [shard] = await source.shards();
  return { ...created, source, shardId: shard?.id as string };
}

/** Reads until `count` records came, or the shard ended, or 10 s passed. */
async function readRecords(reader: ShardReader<DynamodbRecord>, count: number, max = 1000, waitMs = 10_000) {
  const records: DynamodbRecord[] = [];
  for (const deadline = Date.now() + waitMs; records.length < count && Date.now() < deadline; ) {
    const read = await reader.read(max, never);
    records.push(...read.records);
    if (read.ended) break;
    if (read.records.length === 0) await sleep(100);
  }
  return records;
}

const key = (pk: string): Item => ({ pk: { S: pk } });
const pks = (records: readonly DynamodbRecord[]) =>
  records.map((r) => (r.event.dynamodb as { Keys: { pk: { S: string } } }).Keys.pk.S);

async function putItems(table: string, count: number, prefix = "i") {
  for (let i = 0; i < count; i++) await putItem(table, key(`${prefix}${i}`));
}

describe("DynamodbStreamSource", () => {
  it("shapes inserts, updates and deletes as Lambda's DynamoDB records, in AWS's key order", async () => {
    const { table, streamArn, source, shardId } = await newTable({ sortKey: true });
    const itemKeys: Item = { pk: { S: "a" }, sk: { N: "1" } };
    await putItem(table, {
      ...itemKeys,
      bin: { B: Buffer.from("foobar") },
      bins: { BS: [Buffer.from("x"), Buffer.from("y")] },
      nested: { M: { inner: { B: Buffer.from("z") }, list: { L: [{ B: Buffer.from("w") }, { S: "s" }] } } },
      flag: { BOOL: true },
      none: { NULL: true },
      nums: { NS: ["1", "2.5"] },
    });
    await updateItem(table, itemKeys, "bin", { S: "text now" });
    await deleteItem(table, itemKeys);
    const records = await readRecords(source.openShard(shardId, { type: "TRIM_HORIZON" }), 3);
    const [insert, modify, remove] = records as [DynamodbRecord, DynamodbRecord, DynamodbRecord];

    expect(Object.keys(insert.event)).toEqual(Object.keys(AWS_INSERT));
    expect(Object.keys(insert.event.dynamodb as object)).toEqual(Object.keys(AWS_INSERT.dynamodb));
    expect(Object.keys(modify.event.dynamodb as object)).toEqual(Object.keys(AWS_MODIFY.dynamodb));

    const created = (insert.event.dynamodb as { ApproximateCreationDateTime: number })
      .ApproximateCreationDateTime;
    expect(Math.abs(created - Date.now() / 1000)).toBeLessThan(120);
    const keys = { pk: { S: "a" }, sk: { N: "1" } };
    expect(insert.event).toEqual({
      eventID: expect.any(String),
      eventName: "INSERT",
      eventVersion: "1.1",
      eventSource: "aws:dynamodb",
      awsRegion: region,
      dynamodb: {
        ApproximateCreationDateTime: created,
        Keys: keys,
        NewImage: {
          ...keys,
          bin: { B: "Zm9vYmFy" },
          bins: { BS: ["eA==", "eQ=="] },
          nested: { M: { inner: { B: "eg==" }, list: { L: [{ B: "dw==" }, { S: "s" }] } } },
          flag: { BOOL: true },
          none: { NULL: true },
          nums: { NS: ["1", "2.5"] },
        },
        SequenceNumber: insert.id,
        SizeBytes: expect.any(Number),
        StreamViewType: "NEW_AND_OLD_IMAGES",
      },
      eventSourceARN: streamArn,
    });
    expect(modify.event).toMatchObject({
      eventName: "MODIFY",
      dynamodb: { NewImage: { bin: { S: "text now" } }, OldImage: { bin: { B: "Zm9vYmFy" } } },
    });
    expect(remove.event).toMatchObject({ eventName: "REMOVE", dynamodb: { OldImage: { ...keys } } });
    expect(remove.event).not.toHaveProperty("userIdentity");
    expect(Object.keys(remove.event.dynamodb as object)).not.toContain("NewImage");

    expect(insert).toMatchObject({ arrivedAt: created * 1000, bytes: sizedJson(insert.event).bytes });
    expect(BigInt(insert.id) < BigInt(modify.id) && BigInt(modify.id) < BigInt(remove.id)).toBe(true);
    expect(JSON.parse(JSON.stringify(source.batchEvent(records)))).toEqual({
      Records: records.map((r) => r.event),
    });
    expect(source.envelopeBytes).toBe(Buffer.byteLength('{"Records":[]}'));
    expect(source.idlePollMs).toEqual({ active: 250, idle: 250, idleAfter: 0 });
  });

  it("names TTL deletes with the service's userIdentity, before eventSourceARN", {
    timeout: 60_000,
  }, async () => {
    const { table, source, shardId } = await newTable({ view: "KEYS_ONLY" });
    await enableTtl(table, "expires");
    await putItem(table, { ...key("old"), expires: { N: String(Math.floor(Date.now() / 1000) - 60) } });
    // DynamoDB Local deletes expired items in a periodic sweep, which a loaded machine slows down.
    const [insert, expiry] = await readRecords(
      source.openShard(shardId, { type: "TRIM_HORIZON" }),
      2,
      1000,
      45_000,
    );
    expect(insert?.event).not.toHaveProperty("userIdentity");
    expect(expiry?.event).toMatchObject({
      eventName: "REMOVE",
      dynamodb: { Keys: key("old"), StreamViewType: "KEYS_ONLY" },
      userIdentity: { type: "Service", principalId: "dynamodb.amazonaws.com" },
    });
    expect(Object.keys(expiry?.event ?? {}).slice(-2)).toEqual(["userIdentity", "eventSourceARN"]);
    expect(Object.keys(expiry?.event.userIdentity ?? {})).toEqual(["type", "principalId"]);
  });

  it("keys order by the item's key, whatever order its attributes come in", async () => {
    const { table, source, shardId } = await newTable({ sortKey: true });
    const a: Item = { pk: { S: "a" }, sk: { N: "1" } };
    await putItem(table, a);
    await updateItem(table, a, "v", { S: "x" });
    await putItem(table, { pk: { S: "a" }, sk: { N: "2" } });
    const [first, second, other] = await readRecords(source.openShard(shardId, { type: "TRIM_HORIZON" }), 3);
    expect(first?.orderKey).toBe(itemKey({ sk: { N: "1" }, pk: { S: "a" } }));
    expect(second?.orderKey).toBe(first?.orderKey);
    expect(other?.orderKey).not.toBe(first?.orderKey);
    expect(itemKey({ pk: { S: "a" }, sk: { N: "1" } })).toBe(itemKey({ sk: { N: "1" }, pk: { S: "a" } }));
    expect(itemKey({ pk: { B: Buffer.from("k") } })).toBe(JSON.stringify([["pk", { B: "aw==" }]]));
  });

  it("reads a shard in order from TRIM_HORIZON, at most `max` records a read", async () => {
    const { table, source, shardId } = await newTable();
    await putItems(table, 5);
    const reader = source.openShard(shardId, { type: "TRIM_HORIZON" });
    const sizes: number[] = [];
    const records: DynamodbRecord[] = [];
    while (records.length < 5) {
      const read = await reader.read(2, never);
      expect(read).toMatchObject({ ended: false });
      expect(read).not.toHaveProperty("behindMs");
      sizes.push(read.records.length);
      records.push(...read.records);
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(pks(records)).toEqual(["i0", "i1", "i2", "i3", "i4"]);
    expect(await reader.read(10, never)).toEqual({ records: [], ended: false });
  });

  it("reads only records written after LATEST, and resumes AFTER_SEQUENCE_NUMBER", async () => {
    const { table, source, shardId } = await newTable();
    await putItems(table, 2, "old");
    const latest = source.openShard(shardId, { type: "LATEST" });
    expect((await latest.read(10, never)).records).toEqual([]);
    await putItems(table, 3, "new");
    const news = await readRecords(latest, 3);
    expect(pks(news)).toEqual(["new0", "new1", "new2"]);

    const after = source.openShard(shardId, {
      type: "AFTER_SEQUENCE_NUMBER",
      sequenceNumber: news[0]?.id as string,
    });
    expect(pks(await readRecords(after, 2))).toEqual(["new1", "new2"]);
  });

  it("refuses AT_TIMESTAMP, which DynamoDB Streams has not", async () => {
    const { streamArn, source, shardId } = await newTable();
    expect(() => source.openShard(shardId, { type: "AT_TIMESTAMP", timestampMs: Date.now() })).toThrow(
      `DynamoDB Streams cannot start reading at a timestamp, only TRIM_HORIZON or LATEST: ${streamArn}`,
    );
  });

  it("ends a shard the stream closed, once read to its end", async () => {
    const { table, source, shardId } = await newTable();
    await putItems(table, 3);
    const reader = source.openShard(shardId, { type: "TRIM_HORIZON" });
    expect((await reader.read(2, never)).records).toHaveLength(2);
    // DynamoDB Local closes a shard only when the stream is disabled (or after 4 hours).
    await disableStream(table);
    expect(await source.shards()).toEqual([{ id: shardId, parentIds: [] }]);
    const last = await reader.read(10, never);
    expect(pks(last.records)).toEqual(["i2"]);
    expect(last.ended).toBe(true);
    expect(await reader.read(10, never)).toEqual({ records: [], ended: true });
  });

  it("renews an expired iterator just after the last record it returned", async () => {
    const { table, source, shardId } = await newTable();
    await putItems(table, 4);
    const reader = source.openShard(shardId, { type: "TRIM_HORIZON" });
    const first = await reader.read(2, never);
    const answer = expireNextDynamodbIterator(dynamodbStreamsClient(region));
    const rest = await readRecords(reader, 2);
    expect(await answer).toBe("ExpiredIteratorException");
    expect(pks([...first.records, ...rest])).toEqual(["i0", "i1", "i2", "i3"]);
  });

  it("words a stream that does not exist as Lambda words Kinesis's", async () => {
    const { streamArn, shardId } = await newTable();
    const gone = streamArn.replace(/table\/[^/]+/, "table/no-such-table");
    const source = new DynamodbStreamSource({ arn: gone, region });
    const listing = await source.shards().catch((err: unknown) => err);
    expect(source.describeError(listing)).toBe(
      "Error occurred while GetRecords. DynamoDB Streams Error Code: ResourceNotFoundException. " +
        `DynamoDB Streams Error Message: Requested resource not found: Stream: ${gone} not found`,
    );
    const reading = await source
      .openShard(shardId, { type: "TRIM_HORIZON" })
      .read(10, never)
      .catch((err: unknown) => err);
    expect(source.describeError(reading)).toBe(
      "Error occurred while GetRecords. DynamoDB Streams Error Code: ResourceNotFoundException. " +
        "DynamoDB Streams Error Message: Stream does not exist",
    );
  });

  it("resolves an aborted read with no records, and loses none", async () => {
    const { table, source, shardId } = await newTable();
    await putItems(table, 2);
    const reader = source.openShard(shardId, { type: "TRIM_HORIZON" });
    expect(await reader.read(10, AbortSignal.abort())).toEqual({ records: [], ended: false });
    const controller = new AbortController();
    const pending = reader.read(10, controller.signal);
    controller.abort();
    expect(await pending).toEqual({ records: [], ended: false });
    expect(pks(await readRecords(reader, 2))).toEqual(["i0", "i1"]);
  });
});
