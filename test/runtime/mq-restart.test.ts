/**
 * A broker restart in the middle of a flow loses nothing: Sluice's connection drops, the mapping reports the
 * connection error, reconnects by itself once the broker is back, and every message reaches the function
 * (some twice: delivery is at least once). Each engine runs on a private broker of this file's own, so the
 * restart disturbs no other test.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  activeQueueDepth,
  declareRabbitQueue,
  mqBodies,
  mqRecorder,
  type PrivateActiveMq,
  type PrivateRabbit,
  publishRabbit,
  rabbitQueueCounts,
  sendActive,
  startPrivateActiveMq,
  startPrivateRabbit,
  uniqueName,
} from "../helpers/brokers.js";
import { call, ESM_PATH } from "../helpers/http.js";
import { eventually, type InProcessSluice, startInProcess, tempDir } from "../helpers/sluice.js";

const RABBIT_ARN = "arn:aws:mq:us-east-1:000000000000:broker:restart-rabbit:b-1";
const ACTIVE_ARN = "arn:aws:mq:us-east-1:000000000000:broker:restart-active:b-2";
const RABBIT_SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:restart-rabbit";
const ACTIVE_SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:restart-active";
const MESSAGES = 2_000;

const recordFile = join(tempDir(), "batches.jsonl");
let rabbit: PrivateRabbit;
let active: PrivateActiveMq;
let sut: InProcessSluice;

beforeAll(async () => {
  [rabbit, active] = await Promise.all([startPrivateRabbit({ management: true }), startPrivateActiveMq()]);
  sut = await startInProcess(tempDir(), mqRecorder(recordFile), {
    brokers: {
      [RABBIT_ARN]: { endpoints: [rabbit.url] },
      [ACTIVE_ARN]: { endpoints: [active.stompUrl] },
    },
    secrets: {
      [RABBIT_SECRET]: { username: rabbit.username, password: rabbit.password },
      [ACTIVE_SECRET]: { username: active.username, password: active.password },
    },
  });
}, 60_000);
afterAll(async () => {
  await sut.close();
  await Promise.all([rabbit.stop(), active.stop()]);
});

/** How many distinct messages starting with `prefix` the function has seen. */
const countOf = (prefix: string) => new Set(mqBodies(recordFile).filter((b) => b.startsWith(prefix))).size;

async function map(body: Record<string, unknown>): Promise<string> {
  const created = await call(sut.endpoint, "POST", ESM_PATH, {
    FunctionName: "recorder",
    BatchSize: 50,
    MaximumBatchingWindowInSeconds: 1,
    ...body,
  });
  expect(created.status, created.text).toBe(202);
  return String(created.body?.UUID);
}
const resultOf = async (uuid: string) =>
  String((await call(sut.endpoint, "GET", ESM_PATH + uuid)).body?.LastProcessingResult);

/** Watches the mapping from now on until it reports a connection error; resolves with it. */
const connectionProblem = (uuid: string) =>
  eventually(async () => {
    const result = await resultOf(uuid);
    return result.startsWith("PROBLEM: Connection error") ? result : undefined;
  }, 30_000);

/** What differs between the engines in the restart test: the same steps run on each. */
interface Engine {
  arn: string;
  secret: string;
  scheme: string;
  restart(): Promise<void>;
  fill(queue: string, bodies: string[]): Promise<void>;
  depth(queue: string): Promise<number>;
}

async function restartMidFlow(engine: Engine): Promise<void> {
  const queue = uniqueName("q");
  const prefix = `${queue}-`;
  await engine.fill(
    queue,
    Array.from({ length: MESSAGES }, (_, i) => `${prefix}${i}`),
  );
  const uuid = await map({
    EventSourceArn: engine.arn,
    Queues: [queue],
    SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: engine.secret }],
  });
  await eventually(async () => (countOf(prefix) >= 100 ? true : undefined), 20_000);
  const problem = connectionProblem(uuid);
  await engine.restart();
  expect(await problem).toMatch(
    new RegExp(
      `^PROBLEM: Connection error\\. Could not read from the broker at ${engine.scheme}://127\\.0\\.0\\.1:`,
    ),
  );
  await eventually(async () => (countOf(prefix) >= MESSAGES ? true : undefined), 60_000);
  expect(countOf(prefix)).toBe(MESSAGES);
  await eventually(async () => ((await resultOf(uuid)) === "OK" ? true : undefined), 20_000);
  await eventually(async () => ((await engine.depth(queue)) === 0 ? true : undefined), 20_000);
}

describe("a broker restart mid-flow", () => {
  it("RabbitMQ: every persistent message reaches the function, and the mapping recovers by itself", async () => {
    await restartMidFlow({
      arn: RABBIT_ARN,
      secret: RABBIT_SECRET,
      scheme: "amqp",
      restart: () => rabbit.restart(),
      async fill(queue, bodies) {
        await declareRabbitQueue("/", queue, {}, { broker: rabbit });
        await publishRabbit(
          "/",
          queue,
          bodies.map((body) => ({ body })),
          { broker: rabbit },
        );
      },
      depth: async (queue) => (await rabbitQueueCounts("/", queue, { broker: rabbit })).messages,
    });
  }, 120_000);

  it("ActiveMQ: every persistent message reaches the function, and the mapping recovers by itself", async () => {
    await restartMidFlow({
      arn: ACTIVE_ARN,
      secret: ACTIVE_SECRET,
      scheme: "stomp",
      restart: () => active.restart(),
      fill: (queue, bodies) =>
        sendActive(
          queue,
          bodies.map((body) => ({ body })),
          { broker: active },
        ),
      depth: (queue) => activeQueueDepth(queue, { broker: active }),
    });
  }, 120_000);
});
