/**
 * The user's path end to end, for each kind of function target: a real `sluice serve`, mappings created with the
 * AWS CLI, messages sent with the SDK, and the function seeing Lambda's SQS event. The `url` function and the
 * Lambda Invoke API behind the `arn` function are served by the test (Sluice does not serve Invoke itself).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsCli, awsCli } from "../helpers/aws-cli.js";
import { type HttpFunction, type Invocation, startHttpFunction } from "../helpers/http-function.js";
import { eventually, freePort, type SluiceProcess, startProcess, tempDir } from "../helpers/sluice.js";
import { createQueue, messagesLeft, SQS_RECORD_KEYS, sendMessages } from "../helpers/sources.js";
import { accountId, region } from "../services/endpoints.js";

const BILLING_ARN = `arn:aws:lambda:${region}:${accountId}:function:billing`;

let fn: HttpFunction;
let sluice: SluiceProcess;
let aws: AwsCli;
let recordFile: string;

beforeAll(async () => {
  fn = await startHttpFunction();
  const dir = tempDir();
  recordFile = join(dir, "batches.jsonl");
  const functions = {
    orders: {
      handler: `${resolve(import.meta.dirname, "handlers/recorder")}.handler`,
      environment: { RECORD_FILE: recordFile },
    },
    hooks: { url: `${fn.origin}/invoke` },
    billing: { arn: BILLING_ARN },
  };
  sluice = await startProcess({
    dataDir: join(dir, "data"),
    port: await freePort(),
    functions,
    // The SDK's own setting sends Sluice's Lambda Invoke calls to the test's stand-in.
    env: { AWS_ENDPOINT_URL_LAMBDA: fn.origin },
  });
  aws = awsCli(sluice.endpoint);
});

afterAll(async () => {
  try {
    sluice.child.kill("SIGTERM");
    expect(await sluice.exited, `sluice's exit code after SIGTERM; its output:\n${sluice.output()}`).toBe(0);
  } finally {
    await fn.close();
  }
});

async function createMapping(functionName: string, queue: string): Promise<string> {
  const created = await aws.json([
    "create-event-source-mapping",
    "--function-name",
    functionName,
    "--event-source-arn",
    queue,
    "--batch-size",
    "5",
  ]);
  return String(created.UUID);
}

const recordsOf = (invocations: readonly Invocation[]) => invocations.flatMap((i) => i.event.Records);

async function processed(uuid: string, queue: string): Promise<void> {
  await eventually(async () => ((await messagesLeft(queue)) === 0 ? true : undefined), 20_000);
  const mapping = await eventually(async () => {
    const got = await aws.json(["get-event-source-mapping", "--uuid", uuid]);
    return got.LastProcessingResult === "OK" ? got : undefined;
  });
  expect(mapping.State).toBe("Enabled");
}

describe("function targets, driven by the AWS CLI", () => {
  it("POSTs each batch to a url function, with the function's name and a request id", async () => {
    const queue = await createQueue();
    const uuid = await createMapping("hooks", queue);
    await sendMessages(queue, [
      { body: "with attributes", attributes: { kind: { DataType: "String", StringValue: "order" } } },
      ...Array.from({ length: 7 }, (_, i) => `plain-${i}`),
    ]);
    await processed(uuid, queue);
    const invocations = fn.invocationsOf(queue);
    expect(recordsOf(invocations).length).toBe(8);
    for (const invocation of invocations) {
      expect(invocation.path).toBe("/invoke");
      expect(invocation.headers["x-amz-function-name"]).toBe("hooks");
      expect(invocation.headers["lambda-runtime-aws-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(invocation.event.Records.length).toBeLessThanOrEqual(5);
    }
    const withAttributes = recordsOf(invocations).find((r) => r.body === "with attributes") ?? {};
    expect(Object.keys(withAttributes)).toEqual(SQS_RECORD_KEYS);
    expect(withAttributes.messageAttributes).toEqual({
      kind: {
        stringValue: "order",
        stringListValues: [],
        binaryListValues: [],
        dataType: "String",
      },
    });
  });

  it("calls Lambda's Invoke API for an arn function, synchronously, with a FIFO queue's records in order", async () => {
    const queue = await createQueue({ fifo: true });
    const uuid = await createMapping("billing", queue);
    const bodies = Array.from({ length: 12 }, (_, i) => `invoice-${i}`);
    await sendMessages(
      queue,
      bodies.map((body) => ({ body, group: "customer-1" })),
    );
    await processed(uuid, queue);
    const invocations = fn.invocationsOf(queue);
    for (const invocation of invocations) {
      expect(invocation.path).toBe(`/2015-03-31/functions/${encodeURIComponent(BILLING_ARN)}/invocations`);
      expect(invocation.headers["x-amz-invocation-type"]).toBe("RequestResponse");
    }
    const records = recordsOf(invocations);
    expect(records.map((r) => r.body)).toEqual(bodies);
    expect(records.map((r) => (r.attributes as Record<string, string>).MessageGroupId)).toEqual(
      bodies.map(() => "customer-1"),
    );
  });

  it("runs a handler function in Sluice's worker threads", async () => {
    const queue = await createQueue();
    const uuid = await createMapping("orders", queue);
    await sendMessages(queue, ["a", "b", "c"]);
    await processed(uuid, queue);
    expect(existsSync(recordFile)).toBe(true);
    const bodies = readFileSync(recordFile, "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .flatMap((line) => (JSON.parse(line) as Invocation).event.Records.map((r) => r.body));
    expect(bodies.sort()).toEqual(["a", "b", "c"]);
  });
});
