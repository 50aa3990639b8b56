/**
 * Kinesis and DynamoDB Streams on the local emulators: writing records, resharding, and iterators that have
 * expired. Streams and tables themselves are made by ./sources.ts (a 1-shard Kinesis stream) or here (a table
 * with the key and stream view a test needs).
 */
import { createCipheriv, createDecipheriv } from "node:crypto";
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  type StreamViewType,
  UpdateItemCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SplitShardCommand,
} from "@aws-sdk/client-kinesis";
import type { MiddlewareStack } from "@smithy/types";
import { awsClientConfig } from "../services/endpoints.js";
import { uniqueName } from "./sources.js";

const kinesis = new KinesisClient(awsClientConfig("kinesis"));
const dynamodb = new DynamoDBClient(awsClientConfig("dynamodb"));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- Kinesis ----

/** Puts one record; `hashKey` picks the shard whatever the partition key (an ExplicitHashKey). */
export async function putKinesisRecord(
  streamArn: string,
  partitionKey: string,
  data: string | Uint8Array,
  hashKey?: bigint,
): Promise<{ shardId: string; sequenceNumber: string }> {
  const out = await kinesis.send(
    new PutRecordCommand({
      StreamARN: streamArn,
      PartitionKey: partitionKey,
      Data: typeof data === "string" ? Buffer.from(data) : data,
      ...(hashKey !== undefined ? { ExplicitHashKey: hashKey.toString() } : {}),
    }),
  );
  return { shardId: out.ShardId as string, sequenceNumber: out.SequenceNumber as string };
}

/** Puts many records, 500 a call (PutRecords' limit), in order; fails on any record Kinesis refused. */
export async function putKinesisRecords(
  streamArn: string,
  records: readonly { partitionKey: string; data: string }[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 500) {
    const { FailedRecordCount } = await kinesis.send(
      new PutRecordsCommand({
        StreamARN: streamArn,
        Records: records
          .slice(i, i + 500)
          .map((r) => ({ PartitionKey: r.partitionKey, Data: Buffer.from(r.data) })),
      }),
    );
    if (FailedRecordCount) throw new Error(`Kinesis refused ${FailedRecordCount} records`);
  }
}

/** Splits a shard at the middle of its hash key range into two children, and waits for the stream. */
export async function splitShard(streamArn: string, shardId: string): Promise<void> {
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamARN: streamArn }));
  const range = Shards.find((s) => s.ShardId === shardId)?.HashKeyRange;
  const middle = (BigInt(range?.StartingHashKey ?? 0) + BigInt(range?.EndingHashKey ?? 0) + 1n) / 2n;
  await kinesis.send(
    new SplitShardCommand({
      StreamARN: streamArn,
      ShardToSplit: shardId,
      NewStartingHashKey: middle.toString(),
    }),
  );
  await streamActive(streamArn);
}

/** Merges two adjacent shards into one child, and waits for the stream. */
export async function mergeShards(
  streamArn: string,
  shardId: string,
  adjacentShardId: string,
): Promise<void> {
  await kinesis.send(
    new MergeShardsCommand({
      StreamARN: streamArn,
      ShardToMerge: shardId,
      AdjacentShardToMerge: adjacentShardId,
    }),
  );
  await streamActive(streamArn);
}

/** An enhanced fan-out consumer of the stream: its ARN. */
export async function registerConsumer(streamArn: string): Promise<string> {
  const { Consumer } = await kinesis.send(
    new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: uniqueName("c") }),
  );
  return Consumer?.ConsumerARN as string;
}

export async function deleteKinesisStream(streamArn: string): Promise<void> {
  await kinesis.send(new DeleteStreamCommand({ StreamARN: streamArn, EnforceConsumerDeletion: true }));
}

async function streamActive(streamArn: string): Promise<void> {
  // Resharding turns the stream UPDATING at once, and back to ACTIVE after SPLIT_SHARD_DURATION (500 ms).
  for (;;) {
    const { StreamDescriptionSummary } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamARN: streamArn }),
    );
    if (StreamDescriptionSummary?.StreamStatus === "ACTIVE") return;
    await sleep(50);
  }
}

// ---- DynamoDB ----

export type Item = Record<string, AttributeValue>;

/** A table keyed by `pk` (and `sk`, a number, when asked) with a stream: its name and stream ARN. */
export async function createTable(
  options: { sortKey?: boolean; view?: StreamViewType } = {},
): Promise<{ table: string; streamArn: string }> {
  const table = uniqueName("t");
  const { TableDescription } = await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        ...(options.sortKey ? [{ AttributeName: "sk", AttributeType: "N" as const }] : []),
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        ...(options.sortKey ? [{ AttributeName: "sk", KeyType: "RANGE" as const }] : []),
      ],
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamEnabled: true, StreamViewType: options.view ?? "NEW_AND_OLD_IMAGES" },
    }),
  );
  return { table, streamArn: TableDescription?.LatestStreamArn as string };
}

export async function putItem(table: string, item: Item): Promise<void> {
  await dynamodb.send(new PutItemCommand({ TableName: table, Item: item }));
}

/** Sets one attribute of an item. */
export async function updateItem(
  table: string,
  key: Item,
  name: string,
  value: AttributeValue,
): Promise<void> {
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: table,
      Key: key,
      UpdateExpression: "SET #n = :v",
      ExpressionAttributeNames: { "#n": name },
      ExpressionAttributeValues: { ":v": value },
    }),
  );
}

export async function deleteItem(table: string, key: Item): Promise<void> {
  await dynamodb.send(new DeleteItemCommand({ TableName: table, Key: key }));
}

/** Items whose `attribute` (epoch seconds) has passed are deleted by the TTL process (DynamoDB Local: within ~1 s). */
export async function enableTtl(table: string, attribute: string): Promise<void> {
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { Enabled: true, AttributeName: attribute },
    }),
  );
}

/** Disabling a stream closes its open shard, which then reads to an end. */
export async function disableStream(table: string): Promise<void> {
  await dynamodb.send(
    new UpdateTableCommand({ TableName: table, StreamSpecification: { StreamEnabled: false } }),
  );
}

export async function deleteTable(table: string): Promise<void> {
  await dynamodb.send(new DeleteTableCommand({ TableName: table }));
}

// ---- Expired iterators ----

/**
 * Iterators expire after 5 minutes (Kinesis) or 15 (DynamoDB Streams), too long for a test. Both emulators
 * write the iterator's creation time into the iterator itself, so an aged copy is one the emulator refuses with
 * its real ExpiredIteratorException. These install a middleware on a client (the source's own, shared per
 * region) that hands the next GetRecords such a copy instead of the iterator it was given, then removes itself.
 * They resolve with the name of the error the emulator answered that call with.
 */
export function expireNextKinesisIterator<I extends object, O extends object>(
  client: Client<I, O>,
): Promise<string | undefined> {
  return rewriteNextIterator(client.middlewareStack, ageKinesisIterator);
}

export function expireNextDynamodbIterator<I extends object, O extends object>(
  client: Client<I, O>,
): Promise<string | undefined> {
  return rewriteNextIterator(client.middlewareStack, ageDynamodbIterator);
}

type Client<I extends object, O extends object> = { middlewareStack: MiddlewareStack<I, O> };

function rewriteNextIterator<I extends object, O extends object>(
  stack: MiddlewareStack<I, O>,
  rewrite: (iterator: string) => string,
): Promise<string | undefined> {
  const name = "sluiceTestExpireIterator";
  return new Promise((answered) => {
    stack.add(
      (next, context) => async (args) => {
        const input = args.input as { ShardIterator?: string };
        if (context.commandName !== "GetRecordsCommand" || input.ShardIterator === undefined)
          return next(args);
        stack.remove(name);
        try {
          const out = await next({
            ...args,
            input: { ...input, ShardIterator: rewrite(input.ShardIterator) } as I,
          });
          answered(undefined);
          return out;
        } catch (err) {
          answered((err as Error).name);
          throw err;
        }
      },
      { step: "initialize", name },
    );
  });
}

/**
 * kinesis-mock (kinesis-local) iterators: 8 bytes, then AES-256-CBC with the mock's fixed key of
 * `<creation ms>/<stream>/<shard>/<sequence number>/<padding>`, all in base64.
 */
const KINESIS_MOCK_KEY = Buffer.from(
  "1133a5a833666b49abf28c8ba302930f0b2fb240dccd43cf4dfbc0ca91f17751",
  "hex",
);
const KINESIS_MOCK_IV = Buffer.from("7bf139dbabbea2d9995d6fcae1dff7da", "hex");

function ageKinesisIterator(iterator: string): string {
  const bytes = Buffer.from(iterator, "base64");
  const decipher = createDecipheriv("aes-256-cbc", KINESIS_MOCK_KEY, KINESIS_MOCK_IV);
  const parts = Buffer.concat([decipher.update(bytes.subarray(8)), decipher.final()])
    .toString()
    .split("/");
  parts[0] = String(Date.now() - 6 * 60_000).padStart(parts[0]?.length ?? 0, "0");
  const cipher = createCipheriv("aes-256-cbc", KINESIS_MOCK_KEY, KINESIS_MOCK_IV);
  return Buffer.concat([bytes.subarray(0, 8), cipher.update(parts.join("/")), cipher.final()]).toString(
    "base64",
  );
}

/** DynamoDB Local iterators: `<stream arn>|001|<base64 of "<shard>|<sequence number>|<creation ms, 30 digits>">`. */
function ageDynamodbIterator(iterator: string): string {
  const [streamArn, serial, encoded = ""] = iterator.split("|");
  const [shardId, sequenceNumber] = Buffer.from(encoded, "base64").toString().split("|");
  const created = String(Date.now() - 16 * 60_000).padStart(30, "0");
  return `${streamArn}|${serial}|${Buffer.from(`${shardId}|${sequenceNumber}|${created}`).toString("base64")}`;
}
