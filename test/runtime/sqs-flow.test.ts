/**
 * Records flow from SQS (fauxqs) through a mapping to a handler function running in worker threads: batches in
 * Lambda's SQS event shape, deletes on success, redelivery on failure, partial batch responses, filtering,
 * disabling, updating and deleting a running mapping, LastProcessingResult and metrics.
 */
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, ESM_PATH } from "../helpers/http.js";
import { jsonLines } from "../helpers/json-lines.js";
import { eventually, type InProcessSluice, startInProcess, tempDir } from "../helpers/sluice.js";
import { createQueue, deleteQueue, messagesLeft, SQS_RECORD_KEYS, sendMessages } from "../helpers/sources.js";

const recordFile = join(tempDir(), "batches.jsonl");
let sut: InProcessSluice;

beforeAll(async () => {
  const recorder = {
    handler: `${resolve(import.meta.dirname, "handlers/recorder")}.handler`,
    timeout: 10,
    environment: { RECORD_FILE: recordFile },
  };
  // Two functions running the same code, to move a mapping from one to the other.
  sut = await startInProcess(tempDir(), { recorder, "recorder-b": recorder });
});
afterAll(async () => sut.close());

interface Batch {
  functionName: string;
  requestId: string;
  event: { Records: Record<string, unknown>[] };
}

/** The batches the function received for one queue. */
function batchesOf(queueArn: string): Batch[] {
  return jsonLines<Batch>(recordFile).filter((b) => b.event.Records[0]?.eventSourceARN === queueArn);
}
const bodiesOf = (queueArn: string) =>
  batchesOf(queueArn).flatMap((b) => b.event.Records.map((r) => r.body as string));

async function map(queueArn: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await call(sut.endpoint, "POST", ESM_PATH, {
    FunctionName: "recorder",
    EventSourceArn: queueArn,
    ...extra,
  });
  expect(created.status, created.text).toBe(202);
  return String(created.body?.UUID);
}

const get = async (uuid: string) => (await call(sut.endpoint, "GET", ESM_PATH + uuid)).body ?? {};
const metricsText = async () => (await fetch(`${sut.endpoint}/metrics`)).text();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("SQS to a handler function", () => {
  it("delivers every message in batches of at most BatchSize, in Lambda's SQS event shape, and deletes them", async () => {
    const queue = await createQueue();
    const uuid = await map(queue, { BatchSize: 10 });
    const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
    await sendMessages(queue, bodies);
    await eventually(async () => (bodiesOf(queue).length >= 25 ? true : undefined), 20_000);
    expect(bodiesOf(queue).sort()).toEqual([...bodies].sort());
    for (const batch of batchesOf(queue)) expect(batch.event.Records.length).toBeLessThanOrEqual(10);
    const record = batchesOf(queue)[0]?.event.Records[0] ?? {};
    expect(Object.keys(record)).toEqual(SQS_RECORD_KEYS);
    await eventually(async () => ((await messagesLeft(queue)) === 0 ? true : undefined));
    expect(
      await eventually(async () => ((await get(uuid)).LastProcessingResult === "OK" ? "OK" : undefined)),
    ).toBe("OK");
    const metrics = await metricsText();
    expect(metrics).toContain(
      `DeletedEventCount{uuid="${uuid}",function="arn:aws:lambda:us-east-1:000000000000:function:recorder"} 25`,
    );
    expect(metrics).toContain(
      `InvokedEventCount{uuid="${uuid}",function="arn:aws:lambda:us-east-1:000000000000:function:recorder"} 25`,
    );
  });

  it("leaves a failed batch in the queue: it comes back after the visibility timeout", async () => {
    const queue = await createQueue({ visibilityTimeout: 1 });
    const uuid = await map(queue, { BatchSize: 1 });
    await sendMessages(queue, ["fail"]);
    const twice = await eventually(async () => {
      const deliveries = batchesOf(queue).map(
        (b) => b.event.Records[0]?.attributes as Record<string, string>,
      );
      return deliveries.length >= 2 ? deliveries : undefined;
    }, 20_000);
    expect(twice.map((a) => a.ApproximateReceiveCount).slice(0, 2)).toEqual(["1", "2"]);
    expect(
      await eventually(async () =>
        (await get(uuid)).LastProcessingResult === "PROBLEM: Function call failed" ? true : undefined,
      ),
    ).toBe(true);
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });

  it("with ReportBatchItemFailures, returns only the reported messages to the queue", async () => {
    const queue = await createQueue({ visibilityTimeout: 1 });
    const uuid = await map(queue, { BatchSize: 10, FunctionResponseTypes: ["ReportBatchItemFailures"] });
    await sendMessages(queue, ["ok-1", "retry-1", "ok-2"]);
    await eventually(
      async () => (bodiesOf(queue).filter((b) => b === "retry-1").length >= 2 ? true : undefined),
      20_000,
    );
    expect(
      bodiesOf(queue)
        .filter((b) => b.startsWith("ok"))
        .sort(),
    ).toEqual(["ok-1", "ok-2"]);
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });

  it("deletes messages the filter drops without invoking the function", async () => {
    const queue = await createQueue();
    const uuid = await map(queue, {
      FilterCriteria: { Filters: [{ Pattern: '{"body":{"kind":["order"]}}' }] },
    });
    await sendMessages(queue, ['{"kind":"order","n":1}', '{"kind":"refund","n":2}', "plain text"]);
    await eventually(async () => ((await messagesLeft(queue)) === 0 ? true : undefined), 20_000);
    expect(bodiesOf(queue)).toEqual(['{"kind":"order","n":1}']);
    const metrics = await metricsText();
    expect(metrics).toContain(
      `FilteredOutEventCount{uuid="${uuid}",function="arn:aws:lambda:us-east-1:000000000000:function:recorder"} 2`,
    );
  });

  it("stops polling when disabled, and picks up again when enabled", { timeout: 60_000 }, async () => {
    const queue = await createQueue();
    const uuid = await map(queue);
    await eventually(async () => ((await get(uuid)).State === "Enabled" ? true : undefined));
    await call(sut.endpoint, "PUT", ESM_PATH + uuid, { Enabled: false });
    await eventually(async () => ((await get(uuid)).State === "Disabled" ? true : undefined));
    await sendMessages(queue, ["while-disabled"]);
    // A long poll the stopped worker had in flight may still take the message: it hands it straight back.
    await pause(1500);
    expect(bodiesOf(queue)).toEqual([]);
    expect(await messagesLeft(queue)).toBe(1);
    await call(sut.endpoint, "PUT", ESM_PATH + uuid, { Enabled: true });
    await eventually(async () => (bodiesOf(queue).length === 1 ? true : undefined), 20_000);
    expect(bodiesOf(queue)).toEqual(["while-disabled"]);
  });

  it("applies an update to a running mapping without a restart: batch size, window, filter and function", {
    timeout: 60_000,
  }, async () => {
    const queue = await createQueue();
    const uuid = await map(queue, { BatchSize: 10, ScalingConfig: { MaximumConcurrency: 2 } });
    await sendMessages(queue, ["before"]);
    await eventually(async () => (bodiesOf(queue).length === 1 ? true : undefined), 20_000);
    const updated = await call(sut.endpoint, "PUT", ESM_PATH + uuid, {
      FunctionName: "recorder-b",
      BatchSize: 50,
      MaximumBatchingWindowInSeconds: 2,
      FilterCriteria: { Filters: [{ Pattern: '{"body":{"kind":["order"]}}' }] },
    });
    expect(updated.status, updated.text).toBe(202);
    await eventually(async () => ((await get(uuid)).State === "Enabled" ? true : undefined));
    const orders = Array.from({ length: 120 }, (_, n) => JSON.stringify({ kind: "order", n }));
    await sendMessages(queue, [...orders, '{"kind":"refund"}']);
    await eventually(async () => ((await messagesLeft(queue)) === 0 ? true : undefined), 30_000);
    const after = batchesOf(queue).slice(1);
    expect(after.every((b) => b.functionName === "recorder-b")).toBe(true);
    expect(after.flatMap((b) => b.event.Records.map((r) => r.body)).sort()).toEqual([...orders].sort());
    const sizes = after.map((b) => b.event.Records.length);
    // Two pollers gathering for two seconds: batches beyond one receive's ten, never beyond the new BatchSize.
    expect(Math.max(...sizes)).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(50);
    expect(batchesOf(queue)[0]?.functionName).toBe("recorder");
  });

  it("stops polling once deleted, and drops the mapping's metrics", { timeout: 60_000 }, async () => {
    const queue = await createQueue();
    const uuid = await map(queue);
    await sendMessages(queue, ["first"]);
    await eventually(async () => (bodiesOf(queue).length === 1 ? true : undefined), 20_000);
    expect(await metricsText()).toContain(`uuid="${uuid}"`);
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
    await eventually(async () =>
      (await call(sut.endpoint, "GET", ESM_PATH + uuid)).status === 404 ? true : undefined,
    );
    await sendMessages(queue, ["after-delete"]);
    await pause(1500);
    expect(bodiesOf(queue)).toEqual(["first"]);
    expect(await messagesLeft(queue)).toBe(1);
    await eventually(
      async () => (!(await metricsText()).includes(`uuid="${uuid}"`) ? true : undefined),
      25_000,
    );
  });

  it("reports a queue deleted under a running mapping in LastProcessingResult, in Lambda's SQS wording", {
    timeout: 60_000,
  }, async () => {
    const queue = await createQueue();
    const uuid = await map(queue);
    await eventually(async () => ((await get(uuid)).State === "Enabled" ? true : undefined));
    await deleteQueue(queue);
    expect(
      await eventually(async () => {
        const result = (await get(uuid)).LastProcessingResult;
        return typeof result === "string" && result.startsWith("PROBLEM") ? result : undefined;
      }, 30_000),
    ).toBe(
      "PROBLEM: Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. " +
        "SQS Error Message: The specified queue does not exist.",
    );
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });
});
