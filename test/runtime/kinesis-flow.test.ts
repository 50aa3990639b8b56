/**
 * Records flow from Kinesis (kinesis-local) through a mapping to an HTTP function served by the test: order per
 * shard and per partition key, checkpoints across disable/enable and restarts, retries, bisecting, partial
 * batch responses, the on-failure destination, ParallelizationFactor, starting positions, filters, resharding.
 */
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kinesisClient } from "../../src/sources/kinesis/client.js";
import { call, ESM_PATH } from "../helpers/http.js";
import {
  type Behaviour,
  type HttpFunction,
  type Invocation,
  peakInFlight,
  startHttpFunction,
} from "../helpers/http-function.js";
import { eventually, type InProcessSluice, startInProcess, tempDir } from "../helpers/sluice.js";
import { createKinesisStream, createQueue } from "../helpers/sources.js";
import { deleteKinesisStream, putKinesisRecords, sleep, splitShard } from "../helpers/streams.js";
import { awsClientConfig, region } from "../services/endpoints.js";

let fn: HttpFunction;
let sut: InProcessSluice;
const dataDir = tempDir();
const sqs = new SQSClient(awsClientConfig("sqs"));

const functions = () => ({ hooks: { url: `${fn.origin}/invoke`, timeout: 30, reservedConcurrency: 100 } });

beforeAll(async () => {
  fn = await startHttpFunction();
  sut = await startInProcess(dataDir, functions());
});
afterAll(async () => {
  await sut.close();
  await fn.close();
  sqs.destroy();
});

interface KinesisEventRecord {
  kinesis: { partitionKey: string; sequenceNumber: string; data: string };
  eventID: string;
}

const recordsOf = (invocations: readonly Invocation[]) =>
  invocations.flatMap((i) => i.event.Records as unknown as KinesisEventRecord[]);
const dataOf = (stream: string) =>
  recordsOf(fn.invocationsOf(stream)).map((r) => Buffer.from(r.kinesis.data, "base64").toString());

async function map(stream: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await call(sut.endpoint, "POST", ESM_PATH, {
    FunctionName: "hooks",
    EventSourceArn: stream,
    StartingPosition: "TRIM_HORIZON",
    BatchSize: 10,
    ...extra,
  });
  expect(created.status, created.text).toBe(202);
  return String(created.body?.UUID);
}

const get = async (uuid: string) => (await call(sut.endpoint, "GET", ESM_PATH + uuid)).body ?? {};
const update = (uuid: string, body: Record<string, unknown>) =>
  call(sut.endpoint, "PUT", ESM_PATH + uuid, body);
const remove = (uuid: string) => call(sut.endpoint, "DELETE", ESM_PATH + uuid);
const settled = (uuid: string, state: string) =>
  eventually(async () => ((await get(uuid)).State === state ? true : undefined), 20_000);
const received = (stream: string, n: number, timeoutMs = 20_000) =>
  eventually(async () => (dataOf(stream).length >= n ? true : undefined), timeoutMs);

/** `n` records over `keys` partition keys: data "<key>:<i>". */
const entries = (n: number, keys: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    partitionKey: `k${(from + i) % keys}`,
    data: `k${(from + i) % keys}:${from + i}`,
  }));

/** Each partition key's data in the order the function saw it. */
function byKey(stream: string): Map<string, number[]> {
  const keys = new Map<string, number[]>();
  for (const record of recordsOf(fn.invocationsOf(stream))) {
    const [key = "", n = ""] = Buffer.from(record.kinesis.data, "base64").toString().split(":");
    keys.set(key, [...(keys.get(key) ?? []), Number(n)]);
  }
  return keys;
}

/** A function that fails every batch holding the record with this data, and succeeds on the others. */
const failingOn =
  (data: string): Behaviour =>
  ({ event }) =>
    recordsOf([{ event } as Invocation]).some(
      (r) => Buffer.from(r.kinesis.data, "base64").toString() === data,
    )
      ? { status: 500, body: { errorType: "Error", errorMessage: "poison" } }
      : { body: {} };

/** A windowed function that counts the window's records in its state. */
const countingWindow: Behaviour = ({ event }) => {
  const { state, Records } = event as unknown as { state: { count?: number }; Records: unknown[] };
  return { body: { state: { count: (state.count ?? 0) + Records.length } } };
};

const ascending = (xs: number[]) => xs.every((x, i) => i === 0 || x > (xs[i - 1] as number));

describe("Kinesis to a function", () => {
  it("delivers every shard's records in order, in Kinesis's event shape, a batch per shard", async () => {
    const stream = await createKinesisStream(2);
    await putKinesisRecords(stream, entries(60, 6));
    const uuid = await map(stream);
    await received(stream, 60);
    expect(dataOf(stream).sort()).toEqual(
      entries(60, 6)
        .map((e) => e.data)
        .sort(),
    );
    for (const numbers of byKey(stream).values()) expect(ascending(numbers)).toBe(true);
    for (const invocation of fn.invocationsOf(stream)) {
      const records = recordsOf([invocation]);
      expect(records.length).toBeLessThanOrEqual(10);
      expect(new Set(records.map((r) => r.eventID.split(":")[0])).size).toBe(1);
    }
    const first = fn.invocationsOf(stream)[0]?.event.Records[0] ?? {};
    expect(Object.keys(first)).toEqual([
      "kinesis",
      "eventSource",
      "eventVersion",
      "eventID",
      "eventName",
      "invokeIdentityArn",
      "awsRegion",
      "eventSourceARN",
    ]);
    expect(first.invokeIdentityArn).toBe("arn:aws:iam::000000000000:role/hooks");
    expect(
      await eventually(async () => ((await get(uuid)).LastProcessingResult === "OK" ? true : undefined)),
    ).toBe(true);
    const metrics = await (await fetch(`${sut.endpoint}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`PolledEventCount\\{uuid="${uuid}",[^}]*\\} 60`));
    expect(metrics).toMatch(new RegExp(`IteratorAge\\{uuid="${uuid}",[^}]*\\} \\d+`));
    await remove(uuid);
  });

  it("resumes after its checkpoint when enabled again and after a restart, repeating nothing", {
    timeout: 60_000,
  }, async () => {
    const stream = await createKinesisStream();
    await putKinesisRecords(stream, entries(20, 2));
    const uuid = await map(stream);
    await received(stream, 20);
    await settled(uuid, "Enabled");
    await update(uuid, { Enabled: false });
    await settled(uuid, "Disabled");
    await putKinesisRecords(stream, entries(10, 2, 20));
    await sleep(800);
    expect(dataOf(stream)).toHaveLength(20);
    await update(uuid, { Enabled: true });
    await received(stream, 30);

    await sut.close();
    await putKinesisRecords(stream, entries(10, 2, 30));
    sut = await startInProcess(dataDir, functions());
    await received(stream, 40);
    await sleep(800);
    expect(dataOf(stream)).toEqual(entries(40, 2).map((e) => e.data));
    await remove(uuid);
  });

  it("polls a shard 3.3 times a second while records trickle in, once a second once it stays empty for 3 s", {
    timeout: 30_000,
  }, async () => {
    const stream = await createKinesisStream();
    // When each of this stream's GetRecords calls went out, seen on Sluice's own Kinesis client.
    const reads: number[] = [];
    kinesisClient(region).middlewareStack.add(
      (next) => async (args) => {
        if ((args.input as { StreamARN?: string }).StreamARN === stream) reads.push(Date.now());
        return next(args);
      },
      { step: "initialize", name: `countReads-${stream}` },
    );
    const readsBetween = (from: number, to: number) => reads.filter((t) => t >= from && t < to).length;
    try {
      const uuid = await map(stream);
      await settled(uuid, "Enabled");
      await eventually(async () => (reads.length > 0 ? true : undefined));
      // Records every 200 ms for 3 s: the shard is never empty for long.
      const trickleFrom = Date.now();
      for (let i = 0; i < 15; i++) {
        await putKinesisRecords(stream, entries(1, 1, i));
        await sleep(200);
      }
      const trickleTo = Date.now();
      await received(stream, 15);
      // Then nothing: after 3 s the shard counts as idle.
      await sleep(3_500);
      const idleFrom = Date.now();
      await sleep(4_000);
      const idleTo = Date.now();

      const trickleRate = readsBetween(trickleFrom, trickleTo) / ((trickleTo - trickleFrom) / 1000);
      const idleRate = readsBetween(idleFrom, idleTo) / ((idleTo - idleFrom) / 1000);
      // A read that finds records behind the tip reads on at once, so a trickle may go a little over 3.3.
      expect(trickleRate).toBeGreaterThan(2.5);
      expect(trickleRate).toBeLessThanOrEqual(5);
      expect(idleRate).toBeGreaterThan(0.7);
      expect(idleRate).toBeLessThanOrEqual(1.25);

      // A record after the idle spell still arrives at the next once-a-second poll.
      await putKinesisRecords(stream, entries(1, 1, 15));
      await received(stream, 16, 3_000);
      await remove(uuid);
    } finally {
      kinesisClient(region).middlewareStack.remove(`countReads-${stream}`);
    }
  });

  it("starts at LATEST with new records only", async () => {
    const stream = await createKinesisStream();
    await putKinesisRecords(stream, entries(5, 1));
    const uuid = await map(stream, { StartingPosition: "LATEST" });
    await settled(uuid, "Enabled");
    // The shard is opened at LATEST once the worker has listed the stream.
    await sleep(1000);
    await putKinesisRecords(stream, entries(3, 1, 5));
    await received(stream, 3);
    await sleep(500);
    expect(dataOf(stream)).toEqual(["k0:5", "k0:6", "k0:7"]);
    await remove(uuid);
  });

  it("bisects a failing batch to the bad record, retries it, sends it to the SQS destination and goes on", {
    timeout: 60_000,
  }, async () => {
    const stream = await createKinesisStream();
    const queue = await createQueue();
    fn.on(stream, failingOn("k0:3"));
    await putKinesisRecords(stream, entries(8, 1));
    const uuid = await map(stream, {
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: queue } },
    });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue.split(":")[5] }));
    const message = await eventually(async () => {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
      return Messages[0];
    }, 30_000);
    const record = JSON.parse(message.Body ?? "{}");
    expect(record.requestContext).toMatchObject({
      condition: "RetryAttemptsExhausted",
      approximateInvokeCount: 5,
    });
    expect(record.responseContext).toEqual({
      statusCode: 200,
      executedVersion: "$LATEST",
      functionError: "Unhandled",
    });
    expect(record.KinesisBatchInfo).toMatchObject({
      shardId: "shardId-000000000000",
      batchSize: 1,
      streamArn: stream,
    });
    // Every other record got through; the poison one only ever in failing invocations.
    const succeeded = () =>
      fn
        .invocationsOf(stream)
        .map((i) => recordsOf([i]).map((r) => Buffer.from(r.kinesis.data, "base64").toString()))
        .filter((data) => !data.includes("k0:3"))
        .flat();
    await eventually(async () => (succeeded().includes("k0:7") ? true : undefined));
    expect([...new Set(succeeded())].sort()).toEqual([
      "k0:0",
      "k0:1",
      "k0:2",
      "k0:4",
      "k0:5",
      "k0:6",
      "k0:7",
    ]);
    const metrics = await (await fetch(`${sut.endpoint}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`OnFailureDestinationDeliveredEventCount\\{uuid="${uuid}",[^}]*\\} 1`),
    );
    expect((await get(uuid)).LastProcessingResult).toBe("OK");
    await remove(uuid);
  });

  it("with ReportBatchItemFailures, retries from the lowest failed record", { timeout: 60_000 }, async () => {
    const stream = await createKinesisStream();
    let failedOnce = false;
    fn.on(stream, ({ event }) => {
      const records = recordsOf([{ event } as Invocation]);
      const bad = records.find((r) => Buffer.from(r.kinesis.data, "base64").toString() === "k0:4");
      if (!bad || failedOnce) return { body: { batchItemFailures: [] } };
      failedOnce = true;
      return { body: { batchItemFailures: [{ itemIdentifier: bad.kinesis.sequenceNumber }] } };
    });
    await putKinesisRecords(stream, entries(8, 1));
    const uuid = await map(stream, { FunctionResponseTypes: ["ReportBatchItemFailures"] });
    await received(stream, 12);
    expect(dataOf(stream)).toEqual([
      ...entries(8, 1).map((e) => e.data),
      ...entries(4, 1, 4).map((e) => e.data),
    ]);
    await remove(uuid);
  });

  it("runs ParallelizationFactor batches of one shard at once, each partition key in order", {
    timeout: 60_000,
  }, async () => {
    const stream = await createKinesisStream();
    fn.on(stream, async () => {
      await sleep(50);
      return { body: {} };
    });
    await putKinesisRecords(stream, entries(400, 20));
    const uuid = await map(stream, { ParallelizationFactor: 4 });
    await received(stream, 400, 30_000);
    expect(peakInFlight(fn.invocationsOf(stream))).toBeGreaterThan(1);
    expect(peakInFlight(fn.invocationsOf(stream))).toBeLessThanOrEqual(4);
    const keys = byKey(stream);
    expect(keys.size).toBe(20);
    for (const numbers of keys.values()) expect(ascending(numbers)).toBe(true);
    await remove(uuid);
  });

  it("checkpoints past records the filter drops, without invoking the function for them", async () => {
    const stream = await createKinesisStream();
    await putKinesisRecords(stream, [
      { partitionKey: "a", data: JSON.stringify({ kind: "order", n: 1 }) },
      { partitionKey: "a", data: JSON.stringify({ kind: "refund", n: 2 }) },
      { partitionKey: "a", data: "not json" },
      { partitionKey: "a", data: JSON.stringify({ kind: "order", n: 3 }) },
    ]);
    const uuid = await map(stream, {
      FilterCriteria: { Filters: [{ Pattern: '{"data":{"kind":["order"]}}' }] },
    });
    await received(stream, 2);
    await sleep(500);
    expect(dataOf(stream).map((d) => JSON.parse(d).n)).toEqual([1, 3]);
    const metrics = await (await fetch(`${sut.endpoint}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`FilteredOutEventCount\\{uuid="${uuid}",[^}]*\\} 2`));
    await remove(uuid);
  });

  it("reads a split shard to its end before its children, keeping each partition key in order", {
    timeout: 60_000,
  }, async () => {
    const stream = await createKinesisStream();
    await putKinesisRecords(stream, entries(30, 5));
    await splitShard(stream, "shardId-000000000000");
    await putKinesisRecords(stream, entries(30, 5, 30));
    const uuid = await map(stream);
    await received(stream, 60, 30_000);
    const keys = byKey(stream);
    for (const numbers of keys.values()) expect(ascending(numbers)).toBe(true);
    const shardsOf = (from: number, to: number) =>
      new Set(
        recordsOf(fn.invocationsOf(stream))
          .filter((r) => {
            const n = Number(Buffer.from(r.kinesis.data, "base64").toString().split(":")[1]);
            return n >= from && n < to;
          })
          .map((r) => r.eventID.split(":")[0]),
      );
    expect(shardsOf(0, 30)).toEqual(new Set(["shardId-000000000000"]));
    expect(shardsOf(30, 60).has("shardId-000000000000")).toBe(false);
    await remove(uuid);
  });

  it("aggregates a tumbling window over invocations, passing the state along, then closes it with a final invocation", {
    timeout: 60_000,
  }, async () => {
    const stream = await createKinesisStream();
    fn.on(stream, countingWindow);
    await putKinesisRecords(stream, entries(25, 1));
    const uuid = await map(stream, { TumblingWindowInSeconds: 2 });
    const final = await eventually(
      async () =>
        fn
          .invocationsOf(stream)
          .find((i) => (i.event as unknown as { isFinalInvokeForWindow: boolean }).isFinalInvokeForWindow),
      20_000,
    );
    const windowed = fn.invocationsOf(stream).map((i) => i.event as unknown as Record<string, unknown>);
    // Batches of 10 aggregate in order, each given the state the previous returned; the final has no records.
    expect(windowed.map((e) => [(e.Records as unknown[]).length, e.state, e.isFinalInvokeForWindow])).toEqual(
      [
        [10, {}, false],
        [10, { count: 10 }, false],
        [5, { count: 20 }, false],
        [0, { count: 25 }, true],
      ],
    );
    const event = final.event as unknown as Record<string, unknown>;
    expect(Object.keys(event)).toEqual([
      "Records",
      "window",
      "state",
      "shardId",
      "eventSourceARN",
      "isFinalInvokeForWindow",
      "isWindowTerminatedEarly",
    ]);
    const { start, end } = event.window as { start: string; end: string };
    expect(start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(end) - Date.parse(start)).toBe(2000);
    expect(Date.parse(start) % 2000).toBe(0);
    expect(event).toMatchObject({
      shardId: "shardId-000000000000",
      eventSourceARN: stream,
      isWindowTerminatedEarly: false,
    });
    await remove(uuid);
  });

  it("picks up the children of a shard split while it runs", { timeout: 60_000 }, async () => {
    const stream = await createKinesisStream();
    const uuid = await map(stream);
    await putKinesisRecords(stream, entries(20, 4));
    await received(stream, 20);
    await splitShard(stream, "shardId-000000000000");
    await putKinesisRecords(stream, entries(20, 4, 20));
    await received(stream, 40, 30_000);
    for (const numbers of byKey(stream).values()) expect(ascending(numbers)).toBe(true);
    const shards = new Set(recordsOf(fn.invocationsOf(stream)).map((r) => r.eventID.split(":")[0]));
    expect(shards.size).toBeGreaterThan(1);
    await remove(uuid);
  });

  it("blocks the shard behind a failing batch, retrying it, and says so in LastProcessingResult", {
    timeout: 60_000,
  }, async () => {
    const stream = await createKinesisStream();
    let healthy = false;
    fn.on(stream, () =>
      healthy ? { body: {} } : { status: 500, body: { errorType: "Error", errorMessage: "down" } },
    );
    await putKinesisRecords(stream, entries(3, 1));
    const uuid = await map(stream, { BatchSize: 1 });
    expect(
      await eventually(async () => {
        const result = (await get(uuid)).LastProcessingResult;
        return result === "PROBLEM: Function call failed" ? result : undefined;
      }),
    ).toBeDefined();
    await sleep(1000);
    // Only the first record has been tried, again and again: nothing behind it got through.
    expect(new Set(dataOf(stream))).toEqual(new Set(["k0:0"]));
    expect(dataOf(stream).length).toBeGreaterThan(1);
    healthy = true;
    await eventually(async () => (dataOf(stream).includes("k0:2") ? true : undefined), 20_000);
    expect(dataOf(stream).slice(-3)).toEqual(["k0:0", "k0:1", "k0:2"]);
    await eventually(async () => ((await get(uuid)).LastProcessingResult === "OK" ? true : undefined));
    await remove(uuid);
  });

  it("drops a batch whose retries are exhausted when no destination is set, counting DroppedEventCount", {
    timeout: 60_000,
  }, async () => {
    const stream = await createKinesisStream();
    fn.on(stream, failingOn("k0:0"));
    await putKinesisRecords(stream, entries(3, 1));
    const uuid = await map(stream, { BatchSize: 1, MaximumRetryAttempts: 2 });
    await eventually(async () => (dataOf(stream).includes("k0:2") ? true : undefined), 20_000);
    expect(dataOf(stream)).toEqual(["k0:0", "k0:0", "k0:0", "k0:1", "k0:2"]);
    const metrics = await (await fetch(`${sut.endpoint}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`DroppedEventCount\\{uuid="${uuid}",[^}]*\\} 1`));
    await remove(uuid);
  });

  it("reports a stream deleted under a running mapping in LastProcessingResult", {
    timeout: 60_000,
  }, async () => {
    const stream = await createKinesisStream();
    const uuid = await map(stream);
    await settled(uuid, "Enabled");
    await deleteKinesisStream(stream);
    expect(
      await eventually(async () => {
        const result = String((await get(uuid)).LastProcessingResult);
        return result.startsWith("PROBLEM") ? result : undefined;
      }, 30_000),
      // kinesis-local answers ResourceInUseException while the stream is DELETING, then ResourceNotFoundException.
    ).toMatch(
      /^PROBLEM: Error occurred while GetRecords\. Kinesis Error Code: Resource(NotFound|InUse)Exception\. /,
    );
    await remove(uuid);
  });

  it("aggregates a window of more records than it reads ahead, closing each window once", {
    timeout: 60_000,
  }, async () => {
    const stream = await createKinesisStream();
    fn.on(stream, countingWindow);
    await putKinesisRecords(stream, entries(1500, 3));
    const uuid = await map(stream, { TumblingWindowInSeconds: 3, BatchSize: 100 });
    const finals = () =>
      fn
        .invocationsOf(stream)
        .map(
          (i) =>
            i.event as unknown as {
              isFinalInvokeForWindow: boolean;
              state: { count: number };
              window: { start: string };
            },
        )
        .filter((e) => e.isFinalInvokeForWindow);
    await eventually(
      async () => (finals().reduce((n, e) => n + e.state.count, 0) >= 1500 ? true : undefined),
      30_000,
    );
    expect(finals().reduce((n, e) => n + e.state.count, 0)).toBe(1500);
    const starts = finals().map((e) => e.window.start);
    expect(new Set(starts).size).toBe(starts.length);
    await remove(uuid);
  });

  it("retries an on-failure destination that cannot take the record, then reports it and goes on", {
    timeout: 60_000,
  }, async () => {
    const stream = await createKinesisStream();
    fn.on(stream, failingOn("k0:0"));
    // One record first: nothing after it turns LastProcessingResult back to OK before the test reads it.
    await putKinesisRecords(stream, entries(1, 1));
    const missing = "arn:aws:sqs:us-east-1:000000000000:no-such-queue";
    const uuid = await map(stream, {
      BatchSize: 1,
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: missing } },
    });
    const result = await eventually(async () => {
      const value = String((await get(uuid)).LastProcessingResult);
      return value.includes(missing) ? value : undefined;
    }, 30_000);
    expect(result).toMatch(
      /^PROBLEM: Could not deliver the on-failure record to arn:aws:sqs:.*no-such-queue: /,
    );
    await putKinesisRecords(stream, entries(1, 1, 1));
    await eventually(async () => (dataOf(stream).includes("k0:1") ? true : undefined), 20_000);
    const metrics = await (await fetch(`${sut.endpoint}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`DestinationDeliveryFailures\\{uuid="${uuid}",[^}]*\\} 1`));
    expect(metrics).toMatch(new RegExp(`DroppedEventCount\\{uuid="${uuid}",[^}]*\\} 1`));
    await remove(uuid);
  });
});
