import {
  CreateEventSourceMappingCommand,
  type CreateEventSourceMappingCommandInput,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordedPayloads } from "../helpers/conformance.js";
import { call, ESM_PATH } from "../helpers/http.js";
import { eventually, type InProcessSluice, startInProcess } from "../helpers/sluice.js";
import { ARNS, createDynamodbStream, createKinesisStream, createQueue } from "../helpers/sources.js";

const recorded = recordedPayloads.esm_responses as Record<string, Record<string, unknown>>;

let sut: InProcessSluice;
beforeAll(async () => {
  sut = await startInProcess();
});
afterAll(async () => sut.close());

const create = (input: Partial<CreateEventSourceMappingCommandInput>) =>
  call(sut.endpoint, "POST", ESM_PATH, { FunctionName: "orders", ...input });

const keysOf = (body: Record<string, unknown> | undefined) => Object.keys(body ?? {}).sort();

async function settled(uuid: string, state: string) {
  return eventually(async () => {
    const got = await call(sut.endpoint, "GET", ESM_PATH + uuid);
    return got.body?.State === state ? got.body : undefined;
  });
}

describe("create responses match AWS's recorded key sets and defaults", () => {
  it("SQS", async () => {
    const response = await create({ EventSourceArn: await createQueue() });
    expect(response.status).toBe(202);
    expect(keysOf(response.body)).toEqual(keysOf(recorded.create_sqs_defaults));
    expect(response.body).toMatchObject({
      BatchSize: 10,
      FunctionResponseTypes: [],
      MaximumBatchingWindowInSeconds: 0,
      State: "Creating",
      StateTransitionReason: "USER_INITIATED",
      FunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:orders",
    });
    expect(response.body?.EventSourceMappingArn).toBe(
      `arn:aws:lambda:us-east-1:000000000000:event-source-mapping:${response.body?.UUID}`,
    );
    expect(response.body?.LastModified).toBeCloseTo(Date.now() / 1000, -1);
  });

  it("SQS with scaling config, filters and partial batch responses echoes them", async () => {
    const pattern = JSON.stringify({ body: { "my-key": ["my-value"] } });
    const response = await create({
      EventSourceArn: await createQueue(),
      BatchSize: 20,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 2 },
      FilterCriteria: { Filters: [{ Pattern: pattern }] },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    expect(response.status, response.text).toBe(202);
    expect(response.body).toMatchObject({
      ScalingConfig: { MaximumConcurrency: 2 },
      FilterCriteria: { Filters: [{ Pattern: pattern }] },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    const expectedKeys = new Set([
      ...keysOf(recorded.create_sqs_with_scaling_config),
      ...keysOf(recorded.create_sqs_with_filter),
    ]);
    expect(keysOf(response.body)).toEqual([...expectedKeys].sort());
  });

  it("Kinesis", async () => {
    const response = await create({
      EventSourceArn: await createKinesisStream(),
      StartingPosition: "LATEST",
    });
    expect(response.status, response.text).toBe(202);
    expect(keysOf(response.body)).toEqual(keysOf(recorded.create_kinesis_defaults));
    const { UUID, EventSourceArn, EventSourceMappingArn, FunctionArn, LastModified, ...defaults } =
      recorded.create_kinesis_defaults as Record<string, unknown>;
    const {
      UUID: u,
      EventSourceArn: e,
      EventSourceMappingArn: m,
      FunctionArn: f,
      LastModified: l,
      ...ours
    } = response.body ?? {};
    expect(ours).toEqual(defaults);
  });

  it("DynamoDB Streams, with an on-failure destination", async () => {
    const destination = "arn:aws:sqs:us-east-1:000000000000:dlq";
    const response = await create({
      EventSourceArn: await createDynamodbStream(),
      StartingPosition: "TRIM_HORIZON",
      BatchSize: 1,
      MaximumBatchingWindowInSeconds: 1,
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: destination } },
    });
    expect(response.status, response.text).toBe(202);
    expect(keysOf(response.body)).toEqual(keysOf(recorded.create_dynamodb_with_destination));
    expect(response.body).toMatchObject({
      DestinationConfig: { OnFailure: { Destination: destination } },
      StateTransitionReason: "User action",
      LastProcessingResult: "No records processed",
      MaximumRetryAttempts: 1,
    });
  });

  it("self-managed Kafka defaults its consumer group to the UUID and its position to TRIM_HORIZON", async () => {
    const response = await create({
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["kafka-1:9092"] } },
      Topics: ["orders"],
      SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ARNS.secret }],
    });
    expect(response.status, response.text).toBe(202);
    const recordedKeys = keysOf(recorded.create_kafka_self_managed_defaults);
    expect(keysOf(response.body)).toEqual([...recordedKeys, "EventSourceMappingArn"].sort());
    expect(response.body).toMatchObject({
      BatchSize: 100,
      StartingPosition: "TRIM_HORIZON",
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: response.body?.UUID },
      StateTransitionReason: "USER_INITIATED",
      LastProcessingResult: "No records processed",
    });
  });

  it("MSK, Amazon MQ and DocumentDB carry their own fields", async () => {
    const msk = await create({ EventSourceArn: ARNS.msk, Topics: ["orders"], StartingPosition: "LATEST" });
    expect(msk.body).toMatchObject({
      EventSourceArn: ARNS.msk,
      Topics: ["orders"],
      StartingPosition: "LATEST",
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: msk.body?.UUID },
    });
    const mq = await create({
      EventSourceArn: ARNS.mq,
      Queues: ["orders"],
      SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ARNS.secret }],
    });
    expect(mq.status, mq.text).toBe(202);
    expect(keysOf(mq.body)).not.toContain("StartingPosition");
    expect(mq.body).toMatchObject({
      BatchSize: 100,
      Queues: ["orders"],
      LastProcessingResult: "No records processed",
    });
    const docdb = await create({
      EventSourceArn: ARNS.documentdb,
      StartingPosition: "LATEST",
      DocumentDBEventSourceConfig: {
        DatabaseName: "shop",
        CollectionName: "orders",
        FullDocument: "UpdateLookup",
      },
      SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ARNS.secret }],
    });
    expect(docdb.status, docdb.text).toBe(202);
    expect(docdb.body).toMatchObject({
      MaximumBatchingWindowInSeconds: 0,
      StateTransitionReason: "User action",
      DocumentDBEventSourceConfig: {
        DatabaseName: "shop",
        CollectionName: "orders",
        FullDocument: "UpdateLookup",
      },
    });
  });
});

describe("FunctionName forms", () => {
  const arn = "arn:aws:lambda:us-east-1:000000000000:function:audit";
  const variants: [string, string][] = [
    ["audit", arn],
    ["audit:$LATEST", `${arn}:$LATEST`],
    ["audit:1", `${arn}:1`],
    ["audit:live", `${arn}:live`],
    ["000000000000:function:audit", arn],
    [arn, arn],
    [`${arn}:1`, `${arn}:1`],
    [`${arn}:live`, `${arn}:live`],
  ];
  for (const [functionName, expected] of variants) {
    it(`${functionName} → ${expected}`, async () => {
      const response = await create({ FunctionName: functionName, EventSourceArn: await createQueue() });
      expect(response.status, response.text).toBe(202);
      expect(response.body?.FunctionArn).toBe(expected);
    });
  }
});

describe("lifecycle", () => {
  it("moves through AWS's states and back, keeping LastModified current", async () => {
    const created = await sut.lambda.send(
      new CreateEventSourceMappingCommand({ FunctionName: "orders", EventSourceArn: await createQueue() }),
    );
    expect(created.State).toBe("Creating");
    const uuid = created.UUID as string;
    await settled(uuid, "Enabled");

    const updated = await sut.lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 3 }));
    expect(updated.State).toBe("Updating");
    expect(updated.BatchSize).toBe(3);
    expect((updated.LastModified as Date).getTime()).toBeGreaterThanOrEqual(
      (created.LastModified as Date).getTime(),
    );
    await settled(uuid, "Enabled");

    const disabling = await sut.lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }),
    );
    expect(disabling.State).toBe("Disabling");
    await settled(uuid, "Disabled");
    const enabling = await sut.lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }),
    );
    expect(enabling.State).toBe("Enabling");
    await settled(uuid, "Enabled");

    const changedFunction = await sut.lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: uuid, FunctionName: "audit:live" }),
    );
    expect(changedFunction.FunctionArn).toBe("arn:aws:lambda:us-east-1:000000000000:function:audit:live");
    await settled(uuid, "Enabled");

    const deleting = await sut.lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    expect(deleting.State).toBe("Deleting");
    await eventually(async () => {
      const got = await call(sut.endpoint, "GET", ESM_PATH + uuid);
      return got.status === 404 ? true : undefined;
    });
  });

  it("creates a mapping Disabled when Enabled is false", async () => {
    const created = await create({ EventSourceArn: await createQueue(), Enabled: false });
    expect(created.body?.State).toBe("Disabled");
    expect((await settled(String(created.body?.UUID), "Disabled")).State).toBe("Disabled");
  });

  it("refuses to change a mapping while it is in a transitional state", async () => {
    const store = sut.sluice.service;
    const created = await create({ EventSourceArn: await createQueue() });
    const uuid = String(created.body?.UUID);
    await settled(uuid, "Enabled");
    // Hold the supervisor's settling back by stopping it, so the Updating state persists.
    await sut.sluice.supervisor.stop();
    try {
      await store.update(uuid, { BatchSize: 4 });
      const again = await call(sut.endpoint, "PUT", ESM_PATH + uuid, { BatchSize: 5 });
      expect(again.status).toBe(400);
      expect(again.headers.get("x-amzn-errortype")).toBe("ResourceInUseException");
    } finally {
      await sut.sluice.supervisor.start();
    }
    expect((await settled(uuid, "Enabled")).BatchSize).toBe(4);
  });

  it("updates FilterCriteria, and {} removes them", async () => {
    const created = await create({ EventSourceArn: await createQueue() });
    const uuid = String(created.body?.UUID);
    await settled(uuid, "Enabled");
    const pattern = '{"body":{"kind":["order"]}}';
    const withFilter = await call(sut.endpoint, "PUT", ESM_PATH + uuid, {
      FilterCriteria: { Filters: [{ Pattern: pattern }] },
    });
    expect(withFilter.body?.FilterCriteria).toEqual({ Filters: [{ Pattern: pattern }] });
    await settled(uuid, "Enabled");
    const cleared = await call(sut.endpoint, "PUT", ESM_PATH + uuid, { FilterCriteria: {} });
    expect(cleared.status).toBe(202);
    expect(cleared.body).not.toHaveProperty("FilterCriteria");
  });
});

describe("ListEventSourceMappings", () => {
  let queue: string;
  const uuids: string[] = [];

  beforeAll(async () => {
    queue = await createQueue();
    for (const fn of ["orders", "audit", "audit:live", "billing"]) {
      const response = await create({ FunctionName: fn, EventSourceArn: queue });
      uuids.push(String(response.body?.UUID));
    }
    await sut.sluice.supervisor.idle();
  });

  it("filters by EventSourceArn and pages with Marker/MaxItems without gaps or repeats", async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await sut.lambda.send(
        new ListEventSourceMappingsCommand({ EventSourceArn: queue, MaxItems: 3, Marker: marker }),
      );
      pages++;
      for (const m of page.EventSourceMappings ?? []) seen.push(m.UUID as string);
      expect(page.EventSourceMappings?.every((m) => m.EventSourceArn === queue)).toBe(true);
      marker = page.NextMarker;
    } while (marker);
    expect(pages).toBe(2);
    expect(seen).toEqual(uuids);
  });

  it("filters by function: a bare name matches every qualifier, a qualified one only itself", async () => {
    const byName = await sut.lambda.send(
      new ListEventSourceMappingsCommand({ EventSourceArn: queue, FunctionName: "audit" }),
    );
    expect(byName.EventSourceMappings?.map((m) => m.FunctionArn).sort()).toEqual([
      "arn:aws:lambda:us-east-1:000000000000:function:audit",
      "arn:aws:lambda:us-east-1:000000000000:function:audit:live",
    ]);
    const qualified = await sut.lambda.send(
      new ListEventSourceMappingsCommand({
        EventSourceArn: queue,
        FunctionName: "arn:aws:lambda:us-east-1:000000000000:function:audit:live",
      }),
    );
    expect(qualified.EventSourceMappings?.map((m) => m.UUID)).toEqual([uuids[2]]);
  });

  it("answers an empty list for unknown functions and sources, as AWS does", async () => {
    const none = await sut.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: "doesnotexist" }));
    expect(none.EventSourceMappings).toEqual([]);
    const other = await sut.lambda.send(
      new ListEventSourceMappingsCommand({
        EventSourceArn: "arn:aws:sqs:us-east-1:000000000000:nothing-here",
      }),
    );
    expect(other.EventSourceMappings).toEqual([]);
  });

  it("hides filter criteria encrypted with a KMS key in lists, not in Get", async () => {
    const pattern = '{"body":{"a":[1]}}';
    const created = await create({
      EventSourceArn: await createQueue(),
      KMSKeyArn: "arn:aws:kms:us-east-1:000000000000:key/1234",
      FilterCriteria: { Filters: [{ Pattern: pattern }] },
    });
    const listed = await call(
      sut.endpoint,
      "GET",
      `${ESM_PATH}?EventSourceArn=${encodeURIComponent(String(created.body?.EventSourceArn))}`,
    );
    const mappings = listed.body?.EventSourceMappings as Record<string, unknown>[];
    expect(mappings[0]?.FilterCriteria).toBeNull();
    const got = await sut.lambda.send(new GetEventSourceMappingCommand({ UUID: String(created.body?.UUID) }));
    expect(got.FilterCriteria?.Filters?.[0]?.Pattern).toBe(pattern);
  });

  it("rejects a marker it did not issue", async () => {
    const response = await call(sut.endpoint, "GET", `${ESM_PATH}?Marker=not-a-marker`);
    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-errortype")).toBe("InvalidParameterValueException");
  });
});

describe("tags", () => {
  it("tags on create, tags, lists and untags by the mapping's ARN; deleting the mapping drops them", async () => {
    const created = await sut.lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: "orders",
        EventSourceArn: await createQueue(),
        Tags: { team: "payments", env: "test" },
      }),
    );
    const arn = created.EventSourceMappingArn as string;
    expect((await sut.lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({
      team: "payments",
      env: "test",
    });

    await sut.lambda.send(new TagResourceCommand({ Resource: arn, Tags: { env: "prod", owner: "ana" } }));
    expect((await sut.lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({
      team: "payments",
      env: "prod",
      owner: "ana",
    });
    await sut.lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: ["team", "not-there"] }));
    expect((await sut.lambda.send(new ListTagsCommand({ Resource: arn }))).Tags).toEqual({
      env: "prod",
      owner: "ana",
    });
    expect(Object.keys(created)).not.toContain("Tags");

    await settled(created.UUID as string, "Enabled");
    await sut.lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));
    await eventually(async () =>
      (await call(sut.endpoint, "GET", ESM_PATH + created.UUID)).status === 404 ? true : undefined,
    );
    const tags = await call(sut.endpoint, "GET", `/2017-03-31/tags/${encodeURIComponent(arn)}`);
    expect(tags.status).toBe(404);
  });

  it("refuses more than 50 tags and reserved aws: keys", async () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"]));
    const response = await create({ EventSourceArn: await createQueue(), Tags: many });
    expect(response.status).toBe(400);
    expect(response.body?.message).toBe("A resource can have at most 50 tags; this request makes 51.");
    const reserved = await create({ EventSourceArn: await createQueue(), Tags: { "aws:owner": "x" } });
    expect(reserved.body?.message).toBe('Tag keys starting with "aws:" are reserved: aws:owner');
  });
});

describe("the wire", () => {
  it("accepts the collection path with and without a trailing slash", async () => {
    const withSlash = await call(sut.endpoint, "GET", ESM_PATH);
    const without = await call(sut.endpoint, "GET", ESM_PATH.slice(0, -1));
    expect(withSlash.status).toBe(200);
    expect(without.status).toBe(200);
    expect(without.body).toEqual(withSlash.body);
  });

  it("refuses bodies over 1 MB and bodies that are not JSON, in AWS's error shape", async () => {
    const big = await call(sut.endpoint, "POST", ESM_PATH, undefined, {
      rawBody: JSON.stringify({ FunctionName: "orders", Pad: "x".repeat(1024 * 1024) }),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get("x-amzn-errortype")).toBe("RequestTooLargeException");
    expect(big.body?.message).toBe(
      "Request must be smaller than 1048576 bytes for the CreateEventSourceMapping operation",
    );
    const notJson = await call(sut.endpoint, "POST", ESM_PATH, undefined, { rawBody: "FunctionName=orders" });
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get("x-amzn-errortype")).toBe("InvalidRequestContentException");
    expect(notJson.body).toMatchObject({ Type: "User" });
    const wrongType = await call(sut.endpoint, "POST", ESM_PATH, {
      FunctionName: "orders",
      BatchSize: "ten",
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.headers.get("x-amzn-errortype")).toBe("InvalidRequestContentException");
  });

  it("serves Prometheus metrics with AWS's metric names", async () => {
    const response = await fetch(`${sut.endpoint}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    for (const name of [
      "PolledEventCount",
      "FilteredOutEventCount",
      "InvokedEventCount",
      "FailedInvokeEventCount",
      "DeletedEventCount",
    ])
      expect(text).toContain(`# TYPE ${name} counter`);
  });

  it("answers unknown routes with an AWS-shaped 404 and every response with a request id", async () => {
    const response = await call(sut.endpoint, "GET", "/2015-03-31/functions");
    expect(response.status).toBe(404);
    expect(response.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
