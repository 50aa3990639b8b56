/**
 * No Amazon MQ message is lost when Sluice is stopped mid-flow, cleanly (SIGTERM) or not (kill -9): the real
 * `sluice serve`, mappings created with the AWS CLI as a user would, thousands of persistent messages on each
 * broker; every message reaches the function at least once (the brokers deliver again what was unacknowledged
 * when the connection dropped) and both queues drain.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { awsCli } from "../helpers/aws-cli.js";
import {
  activeQueueDepth,
  createVhost,
  declareRabbitQueue,
  deleteVhost,
  mqBodies,
  mqRecorder,
  publishRabbit,
  rabbitQueueCounts,
  sendActive,
  uniqueName,
} from "../helpers/brokers.js";
import {
  eventually,
  freePort,
  type SluiceProcess,
  startProcess,
  stopAndKill,
  tempDir,
} from "../helpers/sluice.js";
import { brokers } from "../services/endpoints.js";

const MESSAGES = 2_000;
const RABBIT_ARN = "arn:aws:mq:us-east-1:000000000000:broker:crash-rabbit:b-3";
const ACTIVE_ARN = "arn:aws:mq:us-east-1:000000000000:broker:crash-active:b-4";
const RABBIT_SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:crash-rabbit";
const ACTIVE_SECRET = "arn:aws:secretsmanager:us-east-1:000000000000:secret:crash-active";

describe("stopping Sluice mid-flow, Amazon MQ", () => {
  it("loses no message of either broker across SIGTERM and repeated kill -9", {
    timeout: 240_000,
  }, async () => {
    const dir = tempDir();
    const recordFile = join(dir, "batches.jsonl");
    const vhost = await createVhost();
    const rabbitQueue = uniqueName("q");
    const activeQueue = uniqueName("q");
    await declareRabbitQueue(vhost, rabbitQueue);
    const bodies = (prefix: string) => Array.from({ length: MESSAGES }, (_, i) => `${prefix}-${i}`);
    await publishRabbit(
      vhost,
      rabbitQueue,
      bodies("rabbit").map((body) => ({ body })),
    );
    await sendActive(
      activeQueue,
      bodies("active").map((body) => ({ body })),
    );

    const port = await freePort();
    const start = () =>
      startProcess({
        dataDir: join(dir, "data"),
        port,
        functions: mqRecorder(recordFile),
        more: {
          brokers: {
            [RABBIT_ARN]: { endpoints: [brokers.rabbitmq.amqp] },
            [ACTIVE_ARN]: { endpoints: [brokers.activemq.stomp] },
          },
          secrets: {
            [RABBIT_SECRET]: { username: brokers.rabbitmq.username, password: brokers.rabbitmq.password },
            [ACTIVE_SECRET]: { username: brokers.activemq.username, password: brokers.activemq.password },
          },
        },
      });
    let sluice: SluiceProcess = await start();
    const aws = awsCli(sluice.endpoint);
    const rabbitMapping = await aws.json([
      "create-event-source-mapping",
      "--function-name",
      "recorder",
      "--event-source-arn",
      RABBIT_ARN,
      "--queues",
      rabbitQueue,
      "--batch-size",
      "20",
      "--source-access-configurations",
      `Type=BASIC_AUTH,URI=${RABBIT_SECRET}`,
      `Type=VIRTUAL_HOST,URI=${vhost}`,
    ]);
    const activeMapping = await aws.json([
      "create-event-source-mapping",
      "--function-name",
      "recorder",
      "--event-source-arn",
      ACTIVE_ARN,
      "--queues",
      activeQueue,
      "--batch-size",
      "20",
      "--source-access-configurations",
      `Type=BASIC_AUTH,URI=${ACTIVE_SECRET}`,
    ]);
    expect([rabbitMapping.State, activeMapping.State]).toEqual(["Creating", "Creating"]);

    const seenBefore = (n: number) =>
      eventually(async () => (mqBodies(recordFile).length > n ? true : undefined), 60_000);
    sluice = await stopAndKill(sluice, start, seenBefore, { first: 200, step: 600, kills: 3 });

    const all = [...bodies("rabbit"), ...bodies("active")];
    const missing = await eventually(async () => {
      const seen = new Set(mqBodies(recordFile));
      const left = all.filter((b) => !seen.has(b));
      return left.length === 0 ? left : undefined;
    }, 120_000);
    expect(missing).toEqual([]);
    await eventually(
      async () => ((await rabbitQueueCounts(vhost, rabbitQueue)).messages === 0 ? true : undefined),
      30_000,
    );
    await eventually(async () => ((await activeQueueDepth(activeQueue)) === 0 ? true : undefined), 30_000);
    const got = await aws.json(["get-event-source-mapping", "--uuid", String(rabbitMapping.UUID)]);
    expect(got.LastProcessingResult).toBe("OK");
    sluice.child.kill("SIGTERM");
    expect(await sluice.exited).toBe(0);
    await deleteVhost(vhost);
  });
});
