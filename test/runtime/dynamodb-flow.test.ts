/**
 * Records flow from a DynamoDB table's stream (DynamoDB Local) through a mapping to an HTTP function served by
 * the test: inserts, updates and deletes in order per item, in Lambda's DynamoDB event shape; a record the
 * function keeps failing on goes to an S3 on-failure destination with its payload; a disabled stream's closed
 * shard is read to its end.
 */
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, ESM_PATH } from "../helpers/http.js";
import { type HttpFunction, type Invocation, startHttpFunction } from "../helpers/http-function.js";
import { eventually, type InProcessSluice, startInProcess, tempDir } from "../helpers/sluice.js";
import { uniqueName } from "../helpers/sources.js";
import { createTable, deleteItem, putItem, sleep, updateItem } from "../helpers/streams.js";
import { awsClientConfig } from "../services/endpoints.js";

let fn: HttpFunction;
let sut: InProcessSluice;
const s3 = new S3Client(awsClientConfig("s3"));

beforeAll(async () => {
  fn = await startHttpFunction();
  sut = await startInProcess(tempDir(), {
    hooks: { url: `${fn.origin}/invoke`, timeout: 30, reservedConcurrency: 100 },
  });
});
afterAll(async () => {
  await sut.close();
  await fn.close();
  s3.destroy();
});

interface DynamodbEventRecord {
  eventName: string;
  awsRegion: string;
  dynamodb: { Keys: { pk: { S: string } }; NewImage?: { n?: { N: string } }; SequenceNumber: string };
}

const recordsOf = (invocations: readonly Invocation[]) =>
  invocations.flatMap((i) => i.event.Records as unknown as DynamodbEventRecord[]);
const changesOf = (stream: string) =>
  recordsOf(fn.invocationsOf(stream)).map(
    (r) =>
      `${r.eventName} ${r.dynamodb.Keys.pk.S}${r.dynamodb.NewImage?.n ? `=${r.dynamodb.NewImage.n.N}` : ""}`,
  );

async function map(stream: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await call(sut.endpoint, "POST", ESM_PATH, {
    FunctionName: "hooks",
    EventSourceArn: stream,
    StartingPosition: "TRIM_HORIZON",
    ...extra,
  });
  expect(created.status, created.text).toBe(202);
  return String(created.body?.UUID);
}

describe("DynamoDB Streams to a function", () => {
  it("delivers inserts, updates and deletes in order, in Lambda's DynamoDB event shape", async () => {
    const { table, streamArn } = await createTable();
    await putItem(table, { pk: { S: "a" }, n: { N: "1" } });
    await putItem(table, { pk: { S: "b" }, n: { N: "1" } });
    await updateItem(table, { pk: { S: "a" } }, "n", { N: "2" });
    await deleteItem(table, { pk: { S: "b" } });
    const uuid = await map(streamArn);
    await eventually(async () => (changesOf(streamArn).length >= 4 ? true : undefined), 20_000);
    expect(changesOf(streamArn)).toEqual(["INSERT a=1", "INSERT b=1", "MODIFY a=2", "REMOVE b"]);
    const first = fn.invocationsOf(streamArn)[0]?.event.Records[0] ?? {};
    expect(Object.keys(first)).toEqual([
      "eventID",
      "eventName",
      "eventVersion",
      "eventSource",
      "awsRegion",
      "dynamodb",
      "eventSourceARN",
    ]);
    expect(first).toMatchObject({ eventSource: "aws:dynamodb", eventVersion: "1.1", awsRegion: "us-east-1" });
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });

  it("gives up a record after its retries and writes it, with the batch's payload, to an S3 destination", {
    timeout: 60_000,
  }, async () => {
    const { table, streamArn } = await createTable();
    const bucket = uniqueName("failures");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    fn.on(streamArn, ({ event }) =>
      recordsOf([{ event } as Invocation]).some((r) => r.dynamodb.Keys.pk.S === "poison")
        ? { status: 500, body: { errorType: "Error", errorMessage: "poison" } }
        : { body: {} },
    );
    await putItem(table, { pk: { S: "poison" } });
    await putItem(table, { pk: { S: "fine" } });
    const uuid = await map(streamArn, {
      BatchSize: 1,
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: `arn:aws:s3:::${bucket}` } },
    });
    const prefix = `aws/lambda/${uuid}/`;
    const key = await eventually(async () => {
      const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return Contents[0]?.Key;
    }, 30_000);
    expect(key).toMatch(
      new RegExp(
        `^${prefix}shardId-[^/]+/\\d{4}/\\d{2}/\\d{2}/\\d{4}-\\d{2}-\\d{2}T\\d{2}\\.\\d{2}\\.\\d{2}-[0-9a-f-]{36}$`,
      ),
    );
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const record = JSON.parse((await object.Body?.transformToString()) ?? "{}");
    expect(record.requestContext).toMatchObject({
      condition: "RetryAttemptsExhausted",
      approximateInvokeCount: 1,
    });
    expect(record.DDBStreamBatchInfo).toMatchObject({ batchSize: 1, streamArn });
    expect(record.DDBStreamBatchInfo.approximateArrivalOfFirstRecord).toMatch(/:\d\dZ$/);
    expect(JSON.parse(record.payload).Records[0].dynamodb.Keys).toEqual({ pk: { S: "poison" } });
    await eventually(async () => (changesOf(streamArn).includes("INSERT fine") ? true : undefined));
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });

  it("keeps each item's changes in order across ParallelizationFactor lanes", {
    timeout: 60_000,
  }, async () => {
    const { table, streamArn } = await createTable();
    for (let round = 1; round <= 5; round++)
      for (const pk of ["a", "b", "c", "d", "e", "f"])
        await putItem(table, { pk: { S: pk }, n: { N: String(round) } });
    fn.on(streamArn, async () => {
      await sleep(30);
      return { body: {} };
    });
    const uuid = await map(streamArn, { BatchSize: 2, ParallelizationFactor: 3 });
    await eventually(async () => (changesOf(streamArn).length >= 30 ? true : undefined), 30_000);
    for (const pk of ["a", "b", "c", "d", "e", "f"]) {
      const rounds = recordsOf(fn.invocationsOf(streamArn))
        .filter((r) => r.dynamodb.Keys.pk.S === pk)
        .map((r) => Number(r.dynamodb.NewImage?.n?.N));
      expect(rounds).toEqual([1, 2, 3, 4, 5]);
    }
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });

  it("starts at LATEST with new changes only", { timeout: 60_000 }, async () => {
    const { table, streamArn } = await createTable();
    await putItem(table, { pk: { S: "old" } });
    const uuid = await map(streamArn, { StartingPosition: "LATEST" });
    await eventually(async () =>
      (await call(sut.endpoint, "GET", ESM_PATH + uuid)).body?.State === "Enabled" ? true : undefined,
    );
    // The shard is opened at LATEST once the worker has listed the stream.
    await sleep(1000);
    await putItem(table, { pk: { S: "new" } });
    await eventually(async () => (changesOf(streamArn).length >= 1 ? true : undefined), 20_000);
    await sleep(500);
    expect(changesOf(streamArn)).toEqual(["INSERT new"]);
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });
});
