/**
 * Mappings, tags and states survive a restart of the real `sluice serve` process, clean (SIGTERM, exit 0) or
 * killed (SIGKILL), and a mapping left in a transitional state by a dead process settles on the next start.
 */
import {
  CreateEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { describe, expect, it } from "vitest";
import { call, ESM_PATH } from "../helpers/http.js";
import {
  eventually,
  freePort,
  lambdaClient,
  startInProcess,
  startProcess,
  tempDir,
} from "../helpers/sluice.js";
import { ARNS, createKinesisStream, createQueue } from "../helpers/sources.js";

async function snapshot(endpoint: string) {
  const lambda = lambdaClient(endpoint);
  try {
    const { EventSourceMappings = [] } = await lambda.send(new ListEventSourceMappingsCommand({}));
    const tags = await Promise.all(
      EventSourceMappings.map((m) => lambda.send(new ListTagsCommand({ Resource: m.EventSourceMappingArn }))),
    );
    return { mappings: EventSourceMappings, tags: tags.map((t) => t.Tags) };
  } finally {
    lambda.destroy();
  }
}

async function allSettled(endpoint: string) {
  return eventually(async () => {
    const { mappings } = await snapshot(endpoint);
    return mappings.every((m) => m.State === "Enabled" || m.State === "Disabled") ? mappings : undefined;
  });
}

describe("persistence", () => {
  it("keeps every mapping, tag and state across SIGTERM and kill -9 restarts", async () => {
    const dataDir = tempDir();
    const port = await freePort();
    let sluice = await startProcess({ dataDir, port });
    const lambda = lambdaClient(sluice.endpoint);
    const [queue, stream] = await Promise.all([createQueue(), createKinesisStream()]);
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: "orders",
        EventSourceArn: queue,
        Tags: { team: "a" },
      }),
    );
    const kinesis = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: "audit:live",
        EventSourceArn: stream,
        StartingPosition: "TRIM_HORIZON",
        ParallelizationFactor: 3,
        Tags: { team: "b", tier: "1" },
      }),
    );
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: "billing",
        SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["kafka-1:9092"] } },
        Topics: ["orders"],
        SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ARNS.secret }],
        Enabled: false,
      }),
    );
    await allSettled(sluice.endpoint);
    await lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: kinesis.UUID, Enabled: false, BatchSize: 7 }),
    );
    const before = await snapshot(sluice.endpoint);
    const settledBefore = await allSettled(sluice.endpoint);
    lambda.destroy();
    expect(settledBefore.map((m) => m.State).sort()).toEqual(["Disabled", "Disabled", "Enabled"]);

    sluice.child.kill("SIGTERM");
    expect(await sluice.exited).toBe(0);
    sluice = await startProcess({ dataDir, port });
    const afterTerm = await snapshot(sluice.endpoint);
    expect(afterTerm.tags).toEqual(before.tags);
    expect(afterTerm.mappings).toEqual(await allSettled(sluice.endpoint));

    for (let round = 0; round < 3; round++) {
      sluice.child.kill("SIGKILL");
      await sluice.exited;
      sluice = await startProcess({ dataDir, port });
      const afterKill = await snapshot(sluice.endpoint);
      expect(afterKill.mappings).toEqual(afterTerm.mappings);
      expect(afterKill.tags).toEqual(before.tags);
    }
    sluice.child.kill("SIGTERM");
    expect(await sluice.exited).toBe(0);
  });

  it("settles, on start, the mappings a dead process left in transitional states", async () => {
    const dataDir = tempDir();
    let sut = await startInProcess(dataDir);
    const created = await call(sut.endpoint, "POST", ESM_PATH, {
      FunctionName: "orders",
      EventSourceArn: await createQueue(),
    });
    const doomed = await call(sut.endpoint, "POST", ESM_PATH, {
      FunctionName: "audit",
      EventSourceArn: String(created.body?.EventSourceArn),
    });
    await sut.sluice.supervisor.idle();
    // Stop settling, then leave one mapping Disabling and another Deleting, as a crash mid-way would.
    await sut.sluice.supervisor.stop();
    await sut.sluice.service.update(String(created.body?.UUID), { Enabled: false });
    await sut.sluice.service.delete(String(doomed.body?.UUID));
    const states = (await sut.sluice.service.list({})).EventSourceMappings as { State: string }[];
    expect(states.map((m) => m.State).sort()).toEqual(["Deleting", "Disabling"]);
    await sut.close();

    sut = await startInProcess(dataDir);
    const after = (await sut.sluice.service.list({})).EventSourceMappings as {
      UUID: string;
      State: string;
    }[];
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ UUID: created.body?.UUID, State: "Disabled" });
    await sut.close();
  });
});

describe("an unreachable source", () => {
  it("refuses the create with a message naming how Sluice reaches the service, and stores nothing", async () => {
    const dataDir = tempDir();
    const sluice = await startProcess({
      dataDir,
      port: await freePort(),
      env: { AWS_ENDPOINT_URL_SQS: "http://127.0.0.1:9" },
    });
    try {
      const response = await call(sluice.endpoint, "POST", ESM_PATH, {
        FunctionName: "orders",
        EventSourceArn: "arn:aws:sqs:us-east-1:000000000000:orders",
      });
      expect(response.status).toBe(400);
      expect(response.headers.get("x-amzn-errortype")).toBe("InvalidParameterValueException");
      expect(response.body?.message).toMatch(
        /^Could not check event source arn:aws:sqs:us-east-1:000000000000:orders: .*ECONNREFUSED.* \(AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL, AWS_REGION, credentials\)\.$/,
      );
      const listed = await call(sluice.endpoint, "GET", ESM_PATH);
      expect(listed.body?.EventSourceMappings).toEqual([]);
    } finally {
      sluice.child.kill("SIGTERM");
      await sluice.exited;
    }
  });
});
