/**
 * Records flow from real brokers (Sluice's RabbitMQ node and ActiveMQ, started by test/services/up) through an
 * Amazon MQ mapping to a handler function: AWS's event shapes, acknowledgement after success, whole-batch
 * redelivery, the brokers' dead-letter handling for poison messages, filtering, and configuration and
 * credential errors in the mapping's state.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTIVEMQ_MESSAGE_KEYS } from "../helpers/activemq-event.js";
import {
  activeQueueDepth,
  createVhost,
  declareRabbitQueue,
  deleteVhost,
  drainRabbitQueue,
  mqRecorder,
  publishRabbit,
  rabbitQueueCounts,
  readAllActive,
  sendActive,
  uniqueName,
} from "../helpers/brokers.js";
import { call, ESM_PATH } from "../helpers/http.js";
import { jsonLines } from "../helpers/json-lines.js";
import { eventually, type InProcessSluice, startInProcess, tempDir } from "../helpers/sluice.js";
import { brokers } from "../services/endpoints.js";

const RABBIT_ARN = "arn:aws:mq:us-east-1:000000000000:broker:rabbit:b-rabbit-0001";
const ACTIVE_ARN = "arn:aws:mq:us-east-1:000000000000:broker:active:b-active-0001";
/** The same ActiveMQ under another ARN, whose config entry sets its concurrency. */
const ACTIVE_3_ARN = "arn:aws:mq:us-east-1:000000000000:broker:active3:b-active-0003";
const UNCONFIGURED_ARN = "arn:aws:mq:us-east-1:000000000000:broker:nowhere:b-none";
const RABBIT_SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:rabbit";
const ACTIVE_SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:active";
const WRONG_SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:wrong";

const recordFile = join(tempDir(), "batches.jsonl");
let sut: InProcessSluice;
let vhost: string;

beforeAll(async () => {
  vhost = await createVhost();
  sut = await startInProcess(tempDir(), mqRecorder(recordFile), {
    brokers: {
      [RABBIT_ARN]: { endpoints: [brokers.rabbitmq.amqp] },
      [ACTIVE_ARN]: { endpoints: [brokers.activemq.stomp] },
      [ACTIVE_3_ARN]: { endpoints: [brokers.activemq.stomp], concurrency: 3 },
    },
    secrets: {
      [RABBIT_SECRET]: { username: brokers.rabbitmq.username, password: brokers.rabbitmq.password },
      [ACTIVE_SECRET]: { username: brokers.activemq.username, password: brokers.activemq.password },
      [WRONG_SECRET]: { username: "guest", password: "not-the-password" },
    },
  });
});
afterAll(async () => {
  await sut.close();
  await deleteVhost(vhost);
});

interface Batch {
  start: number;
  end: number;
  event: {
    eventSource: string;
    eventSourceArn: string;
    messages?: Record<string, unknown>[];
    rmqMessagesByQueue?: Record<string, Record<string, unknown>[]>;
  };
}

const batches = () => jsonLines<Batch>(recordFile);
const rabbitBatches = (queue: string) =>
  batches().filter((b) => b.event.rmqMessagesByQueue?.[`${queue}::${vhost}`] !== undefined);
const rabbitMessages = (queue: string) =>
  rabbitBatches(queue).flatMap((b) => b.event.rmqMessagesByQueue?.[`${queue}::${vhost}`] ?? []);
const activeMessages = (queue: string) =>
  batches()
    .flatMap((b) => b.event.messages ?? [])
    .filter((m) => (m.destination as { physicalName: string }).physicalName === queue);
const dataOf = (m: Record<string, unknown>) => Buffer.from(String(m.data), "base64").toString();

/** The most batches that ran at once. */
function peakOverlap(runs: readonly Batch[]): number {
  const edges = runs.flatMap((b) => [
    { at: b.start, d: 1 },
    { at: b.end, d: -1 },
  ]);
  edges.sort((x, y) => x.at - y.at || x.d - y.d);
  let running = 0;
  let peak = 0;
  for (const { d } of edges) {
    running += d;
    peak = Math.max(peak, running);
  }
  return peak;
}
const activeBatches = (queue: string) =>
  batches().filter(
    (b) => (b.event.messages?.[0]?.destination as { physicalName?: string })?.physicalName === queue,
  );

async function map(body: Record<string, unknown>): Promise<string> {
  const created = await call(sut.endpoint, "POST", ESM_PATH, { FunctionName: "recorder", ...body });
  expect(created.status, created.text).toBe(202);
  return String(created.body?.UUID);
}
const mapRabbit = (queue: string, extra: Record<string, unknown> = {}, secret = RABBIT_SECRET) =>
  map({
    EventSourceArn: RABBIT_ARN,
    Queues: [queue],
    SourceAccessConfigurations: [
      { Type: "BASIC_AUTH", URI: secret },
      { Type: "VIRTUAL_HOST", URI: vhost },
    ],
    ...extra,
  });
const mapActive = (queue: string, extra: Record<string, unknown> = {}, secret = ACTIVE_SECRET) =>
  map({
    EventSourceArn: ACTIVE_ARN,
    Queues: [queue],
    SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: secret }],
    ...extra,
  });
const unmap = (uuid: string) => call(sut.endpoint, "DELETE", ESM_PATH + uuid);
const get = async (uuid: string) => (await call(sut.endpoint, "GET", ESM_PATH + uuid)).body ?? {};
const stateOf = (uuid: string, match: (body: Record<string, unknown>) => boolean) =>
  eventually(async () => {
    const body = await get(uuid);
    return match(body) ? body : undefined;
  }, 15_000);

describe("RabbitMQ to a handler function", () => {
  it("delivers every message in batches of at most BatchSize, in Lambda's rmq event shape, and acknowledges them", async () => {
    const queue = uniqueName("q");
    await declareRabbitQueue(vhost, queue);
    await publishRabbit(
      vhost,
      queue,
      Array.from({ length: 30 }, (_, i) => ({
        body: `m${i}`,
        properties: { contentType: "text/plain", messageId: `id-${i}`, priority: 3, timestamp: 2021 },
        headers: { header1: "value1", numberInHeader: 10 },
      })),
    );
    const uuid = await mapRabbit(queue, { BatchSize: 8, MaximumBatchingWindowInSeconds: 1 });
    await eventually(async () => (rabbitMessages(queue).length >= 30 ? true : undefined), 20_000);
    expect(rabbitMessages(queue).map(dataOf).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `m${i}`).sort(),
    );
    for (const batch of rabbitBatches(queue)) {
      expect(batch.event.eventSource).toBe("aws:rmq");
      expect(batch.event.eventSourceArn).toBe(RABBIT_ARN);
      expect(batch.event.rmqMessagesByQueue?.[`${queue}::${vhost}`]?.length).toBeLessThanOrEqual(8);
    }
    const first = rabbitMessages(queue).find((m) => dataOf(m) === "m0") ?? {};
    expect(first).toEqual({
      basicProperties: {
        contentType: "text/plain",
        contentEncoding: null,
        headers: { header1: { bytes: [118, 97, 108, 117, 101, 49] }, numberInHeader: 10 },
        deliveryMode: 2,
        priority: 3,
        correlationId: null,
        replyTo: null,
        expiration: null,
        messageId: "id-0",
        timestamp: "Jan 1, 1970, 12:33:41 AM",
        type: null,
        userId: null,
        appId: null,
        clusterId: null,
        bodySize: 2,
      },
      redelivered: false,
      data: Buffer.from("m0").toString("base64"),
    });
    await eventually(async () => {
      const counts = await rabbitQueueCounts(vhost, queue);
      return counts.messages === 0 ? true : undefined;
    }, 15_000);
    expect((await stateOf(uuid, (b) => b.LastProcessingResult === "OK")).State).toBe("Enabled");
    await unmap(uuid);
  });

  it("redelivers a failed batch whole, marked redelivered, until the queue's delivery limit dead-letters it", async () => {
    const queue = uniqueName("q");
    const dlq = `${queue}.dlq`;
    await declareRabbitQueue(vhost, dlq);
    await declareRabbitQueue(vhost, queue, {
      quorum: true,
      deliveryLimit: 2,
      deadLetterExchange: "",
      deadLetterRoutingKey: dlq,
    });
    const uuid = await mapRabbit(queue, { BatchSize: 10, MaximumBatchingWindowInSeconds: 1 });
    await publishRabbit(vhost, queue, [{ body: "fail" }]);
    const dead = await drainRabbitQueue(vhost, dlq, { min: 1, timeoutMs: 20_000 });
    expect(dead.map((m) => m.body.toString())).toEqual(["fail"]);
    // Delivered 1 + 2 times (the delivery limit), the redeliveries marked so.
    const tries = rabbitMessages(queue);
    expect(tries.map((m) => m.redelivered)).toEqual([false, true, true]);
    expect(
      (await stateOf(uuid, (b) => String(b.LastProcessingResult).startsWith("PROBLEM"))).LastProcessingResult,
    ).toBe("PROBLEM: Function call failed");
    // The queue goes on after the poison message is gone.
    await publishRabbit(vhost, queue, [{ body: "fine" }]);
    await eventually(async () =>
      rabbitMessages(queue).some((m) => dataOf(m) === "fine") ? true : undefined,
    );
    await stateOf(uuid, (b) => b.LastProcessingResult === "OK");
    await unmap(uuid);
  });

  it("acknowledges the messages a filter drops without invoking the function", async () => {
    const queue = uniqueName("q");
    await declareRabbitQueue(vhost, queue);
    const uuid = await mapRabbit(queue, {
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ data: { kind: ["keep"] } }) }] },
    });
    await publishRabbit(vhost, queue, [
      { body: JSON.stringify({ kind: "keep", n: 1 }) },
      { body: JSON.stringify({ kind: "drop", n: 2 }) },
      { body: JSON.stringify({ kind: "keep", n: 3 }) },
    ]);
    await eventually(async () => (rabbitMessages(queue).length >= 2 ? true : undefined));
    await eventually(
      async () => ((await rabbitQueueCounts(vhost, queue)).messages === 0 ? true : undefined),
      15_000,
    );
    expect(rabbitMessages(queue).map((m) => JSON.parse(dataOf(m)).n)).toEqual([1, 3]);
    await unmap(uuid);
  });

  it("reports wrong credentials, a missing queue and a missing virtual host with Lambda's codes", async () => {
    const queue = uniqueName("q");
    await declareRabbitQueue(vhost, queue);
    const badLogin = await mapRabbit(queue, {}, WRONG_SECRET);
    const state = await stateOf(badLogin, (b) => b.StateTransitionReason === "EVENT_SOURCE_AUTHN_ERROR");
    expect(state.LastProcessingResult).toMatch(
      /^PROBLEM: The broker refused the credentials of user "guest"/,
    );
    expect(state.State).toBe("Enabled");

    const missingQueue = await mapRabbit(uniqueName("missing"));
    expect(
      (await stateOf(missingQueue, (b) => b.StateTransitionReason === "ESM_CONFIG_NOT_VALID"))
        .LastProcessingResult,
    ).toMatch(/^PROBLEM: Queue "missing-[^"]+" does not exist in virtual host/);

    const missingVhost = await map({
      EventSourceArn: RABBIT_ARN,
      Queues: [uniqueName("q")],
      SourceAccessConfigurations: [
        { Type: "BASIC_AUTH", URI: RABBIT_SECRET },
        { Type: "VIRTUAL_HOST", URI: "no-such-vhost" },
      ],
    });
    expect(
      (await stateOf(missingVhost, (b) => b.StateTransitionReason === "ESM_CONFIG_NOT_VALID"))
        .LastProcessingResult,
    ).toBe(
      'PROBLEM: The broker refused virtual host "no-such-vhost": it does not exist, or user "guest" has no access to it.',
    );

    const unconfigured = await map({
      EventSourceArn: UNCONFIGURED_ARN,
      Queues: [queue],
      SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: RABBIT_SECRET }],
    });
    expect(
      (await stateOf(unconfigured, (b) => b.StateTransitionReason === "ESM_CONFIG_NOT_VALID"))
        .LastProcessingResult,
    ).toMatch(/^PROBLEM: The broker arn:aws:mq:.*:broker:nowhere:b-none is not in the config file's brokers/);
    const unknownSecret = await mapRabbit(
      uniqueName("q"),
      {},
      "arn:aws:secretsmanager:us-east-1:000000000000:secret:nope",
    );
    expect(
      (await stateOf(unknownSecret, (b) => b.StateTransitionReason === "ESM_CONFIG_NOT_VALID"))
        .LastProcessingResult,
    ).toBe(
      "PROBLEM: The BASIC_AUTH secret arn:aws:secretsmanager:us-east-1:000000000000:secret:nope is not in the config " +
        "file's secrets, with a username and a password. Reading secrets from AWS Secrets Manager is not built yet.",
    );
    for (const uuid of [badLogin, missingQueue, missingVhost, unconfigured, unknownSecret]) await unmap(uuid);
  });
});

describe("ActiveMQ to a handler function", () => {
  it("delivers text and bytes messages in Lambda's ActiveMQ event shape, and acknowledges them", async () => {
    const queue = uniqueName("q");
    await sendActive(
      queue,
      Array.from({ length: 20 }, (_, i) => ({
        body: `t${i}`,
        headers: { "correlation-id": `c${i}`, priority: "6", "my-prop": `p${i}`, type: "order" },
      })),
    );
    await sendActive(queue, [{ body: new Uint8Array([0, 1, 2, 255]) }]);
    const uuid = await mapActive(queue, { BatchSize: 5, MaximumBatchingWindowInSeconds: 1 });
    await eventually(async () => (activeMessages(queue).length >= 21 ? true : undefined), 20_000);
    const text = activeMessages(queue).find((m) => dataOf(m) === "t0") ?? {};
    expect(Object.keys(text)).toEqual([...ACTIVEMQ_MESSAGE_KEYS, "properties"]);
    expect(text).toMatchObject({
      messageType: "jms/text-message",
      deliveryMode: 2,
      replyTo: null,
      type: "order",
      expiration: "0",
      priority: 6,
      correlationId: "c0",
      redelivered: false,
      destination: { physicalName: queue },
      properties: { "my-prop": "p0" },
    });
    expect(String(text.messageID)).toMatch(/^ID:/);
    const bytes = activeMessages(queue).find((m) => m.messageType === "jms/bytes-message") ?? {};
    expect(Buffer.from(String(bytes.data), "base64")).toEqual(Buffer.from([0, 1, 2, 255]));
    for (const batch of batches().filter((b) => b.event.messages?.[0]?.destination)) {
      expect(batch.event.eventSource).toBe("aws:mq");
      expect(batch.event.messages?.length).toBeLessThanOrEqual(5);
    }
    await eventually(async () => ((await activeQueueDepth(queue)) === 0 ? true : undefined), 15_000);
    await unmap(uuid);
  });

  it("redelivers a failed batch 6 times, 1 s apart, then the broker dead-letters it", async () => {
    const queue = uniqueName("q");
    const uuid = await mapActive(queue, { BatchSize: 10, MaximumBatchingWindowInSeconds: 1 });
    await sendActive(queue, [{ body: "fail" }]);
    const dead = await readAllActive(`${brokers.activemq.dlqPrefix}${queue}`, { min: 1, timeoutMs: 25_000 });
    expect(dead.map((m) => m.body)).toEqual(["fail"]);
    expect(activeMessages(queue).map((m) => m.redelivered)).toEqual([
      false,
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    await sendActive(queue, [{ body: "fine" }]);
    await eventually(async () =>
      activeMessages(queue).some((m) => dataOf(m) === "fine") ? true : undefined,
    );
    await stateOf(uuid, (b) => b.LastProcessingResult === "OK");
    await unmap(uuid);
  }, 40_000);

  it("gathers what its 5 subscriptions bring into one batch, not a partial batch per poller", async () => {
    const queue = uniqueName("q");
    const uuid = await mapActive(queue, { BatchSize: 10, MaximumBatchingWindowInSeconds: 3 });
    // Once the first message is delivered, all 5 subscriptions are in place.
    await sendActive(queue, [{ body: "first" }]);
    await eventually(async () => (activeMessages(queue).length === 1 ? true : undefined), 15_000);
    // Sent one at a time, each after the broker's receipt for the one before: the broker hands them out over
    // the subscriptions in turn.
    await sendActive(
      queue,
      Array.from({ length: 10 }, (_, i) => ({ body: `m${i}` })),
    );
    await eventually(async () => (activeMessages(queue).length === 11 ? true : undefined), 15_000);
    const sizes = activeBatches(queue).map((b) => b.event.messages?.length);
    expect(sizes).toEqual([1, 10]);
    await unmap(uuid);
  }, 40_000);

  it("reports wrong credentials with EVENT_SOURCE_AUTHN_ERROR", async () => {
    const uuid = await mapActive(uniqueName("q"), {}, WRONG_SECRET);
    const state = await stateOf(uuid, (b) => b.StateTransitionReason === "EVENT_SOURCE_AUTHN_ERROR");
    expect(state.LastProcessingResult).toMatch(
      /^PROBLEM: The broker refused the credentials of user "guest"/,
    );
    await unmap(uuid);
  });
});

describe("Amazon MQ concurrency and oversized messages", () => {
  it("runs 5 batches at once for ActiveMQ, 1 for RabbitMQ, and a broker's configured number", async () => {
    const rabbitQueue = uniqueName("q");
    const activeQueue = uniqueName("q");
    const active3Queue = uniqueName("q");
    await declareRabbitQueue(vhost, rabbitQueue);
    const bodies = Array.from({ length: 40 }, (_, i) => ({ body: `c${i}` }));
    await publishRabbit(vhost, rabbitQueue, bodies);
    await sendActive(activeQueue, bodies);
    await sendActive(active3Queue, bodies);
    const slow = { FunctionName: "slow-recorder", BatchSize: 2, MaximumBatchingWindowInSeconds: 0 };
    const uuids = [
      await mapRabbit(rabbitQueue, slow),
      await mapActive(activeQueue, slow),
      await map({
        ...slow,
        EventSourceArn: ACTIVE_3_ARN,
        Queues: [active3Queue],
        SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ACTIVE_SECRET }],
      }),
    ];
    await eventually(
      async () =>
        rabbitMessages(rabbitQueue).length >= 40 &&
        activeMessages(activeQueue).length >= 40 &&
        activeMessages(active3Queue).length >= 40
          ? true
          : undefined,
      20_000,
    );
    expect(peakOverlap(rabbitBatches(rabbitQueue))).toBe(1);
    expect(peakOverlap(activeBatches(activeQueue))).toBe(5);
    expect(peakOverlap(activeBatches(active3Queue))).toBe(3);
    for (const uuid of uuids) await unmap(uuid);
  });

  it("hands a message no invocation can carry (over 6 MB) to the broker's dead-letter handling", async () => {
    const big = "x".repeat(7 * 1024 * 1024);
    const rabbitQueue = uniqueName("q");
    const rabbitDlq = `${rabbitQueue}.dlq`;
    await declareRabbitQueue(vhost, rabbitDlq);
    await declareRabbitQueue(vhost, rabbitQueue, { deadLetterExchange: "", deadLetterRoutingKey: rabbitDlq });
    await publishRabbit(vhost, rabbitQueue, [{ body: big }, { body: "small" }]);
    const activeQueue = uniqueName("q");
    await sendActive(activeQueue, [{ body: big }, { body: "small" }]);
    const uuids = [await mapRabbit(rabbitQueue), await mapActive(activeQueue)];
    const rabbitDead = await drainRabbitQueue(vhost, rabbitDlq, { min: 1, timeoutMs: 20_000 });
    expect(rabbitDead.map((m) => m.body.length)).toEqual([big.length]);
    const activeDead = await readAllActive(`${brokers.activemq.dlqPrefix}${activeQueue}`, {
      min: 1,
      timeoutMs: 20_000,
    });
    expect(activeDead.map((m) => m.body.length)).toEqual([big.length]);
    await eventually(async () =>
      rabbitMessages(rabbitQueue).some((m) => dataOf(m) === "small") &&
      activeMessages(activeQueue).some((m) => dataOf(m) === "small")
        ? true
        : undefined,
    );
    expect(rabbitMessages(rabbitQueue).map(dataOf)).toEqual(["small"]);
    expect(activeMessages(activeQueue).map(dataOf)).toEqual(["small"]);
    for (const uuid of uuids) await unmap(uuid);
  });
});
