/**
 * Records flow from SQS (fauxqs) through a mapping to a handler function running in worker threads: batches in
 * Lambda's SQS event shape, deletes on success, redelivery on failure, partial batch responses, filtering,
 * disabling, LastProcessingResult and metrics.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, ESM_PATH } from "../helpers/http.js";
import { eventually, type InProcessSluice, startInProcess, tempDir } from "../helpers/sluice.js";
import { createQueue, messagesLeft, SQS_RECORD_KEYS, sendMessages } from "../helpers/sources.js";

const recordFile = join(tempDir(), "batches.jsonl");
let sut: InProcessSluice;

beforeAll(async () => {
  sut = await startInProcess(tempDir(), {
    recorder: {
      handler: `${resolve(import.meta.dirname, "handlers/recorder")}.handler`,
      timeout: 10,
      environment: { RECORD_FILE: recordFile },
    },
  });
});
afterAll(async () => sut.close());

interface Batch {
  requestId: string;
  event: { Records: Record<string, unknown>[] };
}

/** The batches the function received for one queue. */
function batchesOf(queueArn: string): Batch[] {
  if (!existsSync(recordFile)) return [];
  return readFileSync(recordFile, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Batch)
    .filter((b) => b.event.Records[0]?.eventSourceARN === queueArn);
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
    const metrics = await (await fetch(`${sut.endpoint}/metrics`)).text();
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
    const metrics = await (await fetch(`${sut.endpoint}/metrics`)).text();
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
    await new Promise((r) => setTimeout(r, 1500));
    expect(bodiesOf(queue)).toEqual([]);
    expect(await messagesLeft(queue)).toBe(1);
    await call(sut.endpoint, "PUT", ESM_PATH + uuid, { Enabled: true });
    await eventually(async () => (bodiesOf(queue).length === 1 ? true : undefined), 20_000);
    expect(bodiesOf(queue)).toEqual(["while-disabled"]);
  });
});
