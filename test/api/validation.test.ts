/**
 * The validation matrix, driven through @aws-sdk/client-lambda: every rule answers with AWS's error type
 * (the SDK raises the matching exception class), HTTP status and message text.
 */
import {
  CreateEventSourceMappingCommand,
  type CreateEventSourceMappingCommandInput,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  InvalidParameterValueException,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateEventSourceMappingCommand,
} from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, ESM_PATH } from "../helpers/http.js";
import { type InProcessSluice, startInProcess } from "../helpers/sluice.js";
import { ARNS, createDynamodbStream, createKinesisStream, createQueue } from "../helpers/sources.js";

let sut: InProcessSluice;
let queue: string;
let fifoQueue: string;
let kinesis: string;
let dynamodb: string;

beforeAll(async () => {
  sut = await startInProcess();
  [queue, fifoQueue, kinesis, dynamodb] = await Promise.all([
    createQueue(),
    createQueue({ fifo: true }),
    createKinesisStream(),
    createDynamodbStream(),
  ]);
});
afterAll(async () => sut.close());

const create = (input: Partial<CreateEventSourceMappingCommandInput>) =>
  sut.lambda.send(new CreateEventSourceMappingCommand({ FunctionName: "orders", ...input }));

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error("expected the request to be rejected");
}

async function expectRejected(
  promise: Promise<unknown>,
  name: string,
  message: string | RegExp,
  status = 400,
): Promise<void> {
  const err = await rejection(promise);
  expect(err.name).toBe(name);
  if (typeof message === "string") expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
  expect(err.$metadata.httpStatusCode).toBe(status);
}

const kafka = (
  extra: Partial<CreateEventSourceMappingCommandInput> = {},
): Partial<CreateEventSourceMappingCommandInput> => ({
  SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["broker-1:9092"] } },
  Topics: ["orders"],
  SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ARNS.secret }],
  ...extra,
});

describe("ranges of the API model (ValidationException)", () => {
  const cases: [string, Partial<CreateEventSourceMappingCommandInput>, string | RegExp][] = [
    [
      "BatchSize 0",
      { BatchSize: 0 },
      "Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ],
    [
      "BatchSize 10001",
      { BatchSize: 10001 },
      "Value '10001' at 'batchSize' failed to satisfy constraint: Member must have value less than or equal to 10000",
    ],
    [
      "window 301",
      { MaximumBatchingWindowInSeconds: 301 },
      "Value '301' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300",
    ],
    [
      "window -1",
      { MaximumBatchingWindowInSeconds: -1 },
      "Value '-1' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 0",
    ],
    [
      "parallelization 11",
      { ParallelizationFactor: 11 },
      "Value '11' at 'parallelizationFactor' failed to satisfy constraint: Member must have value less than or equal to 10",
    ],
    [
      "parallelization 0",
      { ParallelizationFactor: 0 },
      "Value '0' at 'parallelizationFactor' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ],
    [
      "retries -2",
      { MaximumRetryAttempts: -2 },
      "Value '-2' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to -1",
    ],
    [
      "retries 10001",
      { MaximumRetryAttempts: 10001 },
      "Value '10001' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 10000",
    ],
    [
      "record age 604801",
      { MaximumRecordAgeInSeconds: 604801 },
      "Value '604801' at 'maximumRecordAgeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 604800",
    ],
    [
      "record age -2",
      { MaximumRecordAgeInSeconds: -2 },
      "Value '-2' at 'maximumRecordAgeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to -1",
    ],
    [
      "tumbling window 901",
      { TumblingWindowInSeconds: 901 },
      "Value '901' at 'tumblingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 900",
    ],
    [
      "maximum concurrency 1",
      { ScalingConfig: { MaximumConcurrency: 1 } },
      "Value '1' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 2",
    ],
    [
      "maximum concurrency 1001",
      { ScalingConfig: { MaximumConcurrency: 1001 } },
      "Value '1001' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value less than or equal to 1000",
    ],
    [
      "minimum pollers 201",
      { ProvisionedPollerConfig: { MinimumPollers: 201 } },
      "Value '201' at 'provisionedPollerConfig.minimumPollers' failed to satisfy constraint: Member must have value less than or equal to 200",
    ],
    [
      "maximum pollers 2001",
      { ProvisionedPollerConfig: { MaximumPollers: 2001 } },
      "Value '2001' at 'provisionedPollerConfig.maximumPollers' failed to satisfy constraint: Member must have value less than or equal to 2000",
    ],
    [
      "starting position enum",
      { StartingPosition: "OLDEST" as never },
      "Value 'OLDEST' at 'startingPosition' failed to satisfy constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]",
    ],
    [
      "two topics",
      { Topics: ["orders", "refunds"] },
      "Value '[orders, refunds]' at 'topics' failed to satisfy constraint: Member must have length less than or equal to 1",
    ],
    [
      "two queues",
      { Queues: ["a", "b"] },
      "Value '[a, b]' at 'queues' failed to satisfy constraint: Member must have length less than or equal to 1",
    ],
    [
      "response types",
      { FunctionResponseTypes: ["Everything" as never] },
      "Value 'Everything' at 'functionResponseTypes.1.member' failed to satisfy constraint: Member must satisfy enum value set: [ReportBatchItemFailures]",
    ],
    [
      "function name pattern",
      { FunctionName: "no spaces allowed" },
      /^1 validation error detected: Value 'no spaces allowed' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: /,
    ],
  ];
  for (const [name, input, violation] of cases) {
    it(name, async () => {
      await expectRejected(
        create({ EventSourceArn: kinesis, StartingPosition: "LATEST", ...input }),
        "ValidationException",
        typeof violation === "string" ? `1 validation error detected: ${violation}` : violation,
      );
    });
  }

  it("refuses a filter pattern over 4096 characters", async () => {
    const pattern = JSON.stringify({ body: { text: ["x".repeat(4100)] } });
    await expectRejected(
      create({ EventSourceArn: queue, FilterCriteria: { Filters: [{ Pattern: pattern }] } }),
      "ValidationException",
      /^1 validation error detected: Value '.*' at 'filterCriteria\.filters\.1\.member\.pattern' failed to satisfy constraint: Member must have length less than or equal to 4096$/,
    );
  });

  it("reports several violations at once", async () => {
    await expectRejected(
      create({
        EventSourceArn: kinesis,
        StartingPosition: "LATEST",
        BatchSize: 0,
        ParallelizationFactor: 11,
      }),
      "ValidationException",
      "2 validation errors detected: Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1; Value '11' at 'parallelizationFactor' failed to satisfy constraint: Member must have value less than or equal to 10",
    );
  });

  it("checks the model on update too", async () => {
    const { UUID } = await create({ EventSourceArn: kinesis, StartingPosition: "LATEST", BatchSize: 7 });
    await sut.sluice.supervisor.idle();
    await expectRejected(
      sut.lambda.send(new UpdateEventSourceMappingCommand({ UUID, ParallelizationFactor: 0 })),
      "ValidationException",
      "1 validation error detected: Value '0' at 'parallelizationFactor' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    await sut.lambda.send(new DeleteEventSourceMappingCommand({ UUID }));
  });
});

describe("rules of the service (InvalidParameterValueException)", () => {
  const unsupported = (field: string) =>
    `Unsupported ${field} parameter for given event source mapping type.`;
  const cases: [string, Partial<CreateEventSourceMappingCommandInput>, string][] = [
    [
      "ParallelizationFactor on SQS",
      { EventSourceArn: "QUEUE", ParallelizationFactor: 2 },
      unsupported("ParallelizationFactor"),
    ],
    [
      "BisectBatchOnFunctionError on SQS",
      { EventSourceArn: "QUEUE", BisectBatchOnFunctionError: true },
      unsupported("BisectBatchOnFunctionError"),
    ],
    [
      "TumblingWindowInSeconds on SQS",
      { EventSourceArn: "QUEUE", TumblingWindowInSeconds: 60 },
      unsupported("TumblingWindowInSeconds"),
    ],
    ["Topics on SQS", { EventSourceArn: "QUEUE", Topics: ["orders"] }, unsupported("Topics")],
    [
      "OnFailure destination on SQS",
      {
        EventSourceArn: "QUEUE",
        DestinationConfig: { OnFailure: { Destination: "arn:aws:sqs:us-east-1:000000000000:dlq" } },
      },
      unsupported("DestinationConfig"),
    ],
    [
      "ScalingConfig on Kinesis",
      { EventSourceArn: "KINESIS", StartingPosition: "LATEST", ScalingConfig: { MaximumConcurrency: 5 } },
      unsupported("ScalingConfig"),
    ],
    [
      "Queues on Kinesis",
      { EventSourceArn: "KINESIS", StartingPosition: "LATEST", Queues: ["orders"] },
      unsupported("Queues"),
    ],
    [
      "FilterCriteria on DocumentDB",
      {
        EventSourceArn: ARNS.documentdb,
        StartingPosition: "LATEST",
        DocumentDBEventSourceConfig: { DatabaseName: "shop" },
        FilterCriteria: { Filters: [{ Pattern: '{"a":[1]}' }] },
      },
      unsupported("FilterCriteria"),
    ],
    [
      "MaximumRetryAttempts on on-demand Kafka",
      kafka({ MaximumRetryAttempts: 3 }),
      "MaximumRetryAttempts is supported for Kafka event sources only in provisioned mode: set ProvisionedPollerConfig.",
    ],
    [
      "StartingPosition on SQS",
      { EventSourceArn: "QUEUE", StartingPosition: "LATEST" },
      unsupported("StartingPosition"),
    ],
    [
      "StartingPosition on MQ",
      {
        EventSourceArn: ARNS.mq,
        Queues: ["orders"],
        SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ARNS.secret }],
        StartingPosition: "LATEST",
      },
      unsupported("StartingPosition"),
    ],
    [
      "StartingPosition missing for Kinesis",
      { EventSourceArn: "KINESIS" },
      "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.",
    ],
    [
      "StartingPosition missing for DynamoDB",
      { EventSourceArn: "DYNAMODB" },
      "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.",
    ],
    [
      "StartingPosition missing for MSK",
      { EventSourceArn: ARNS.msk, Topics: ["orders"] },
      "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.",
    ],
    [
      "AT_TIMESTAMP without its timestamp",
      { EventSourceArn: "KINESIS", StartingPosition: "AT_TIMESTAMP" },
      "StartingPositionTimestamp is required when StartingPosition is AT_TIMESTAMP.",
    ],
    [
      "a timestamp in the future",
      {
        EventSourceArn: "KINESIS",
        StartingPosition: "AT_TIMESTAMP",
        StartingPositionTimestamp: new Date(Date.now() + 3_600_000),
      },
      "StartingPositionTimestamp cannot be in the future.",
    ],
    [
      "BatchSize 11 without a window on SQS",
      { EventSourceArn: "QUEUE", BatchSize: 11 },
      "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
    ],
    [
      "BatchSize 11 on a FIFO queue",
      { EventSourceArn: "FIFO", BatchSize: 11, MaximumBatchingWindowInSeconds: 1 },
      "BatchSize must be between 1 and 10 for FIFO queues.",
    ],
    [
      "record age 59",
      { EventSourceArn: "KINESIS", StartingPosition: "LATEST", MaximumRecordAgeInSeconds: 59 },
      "MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800.",
    ],
    [
      "self-managed Kafka without access configurations",
      kafka({ SourceAccessConfigurations: undefined }),
      "Required 'sourceAccessConfigurations' parameter is missing.",
    ],
    [
      "MSK without Topics",
      { EventSourceArn: ARNS.msk, StartingPosition: "LATEST" },
      "Required 'topics' parameter is missing.",
    ],
    [
      "MQ without Queues",
      { EventSourceArn: ARNS.mq, SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ARNS.secret }] },
      "Required 'queues' parameter is missing.",
    ],
    [
      "VIRTUAL_HOST on Kafka",
      kafka({
        SourceAccessConfigurations: [
          { Type: "BASIC_AUTH", URI: ARNS.secret },
          { Type: "VIRTUAL_HOST", URI: "/" },
        ],
      }),
      "Unsupported SourceAccessConfiguration type VIRTUAL_HOST for given event source mapping type.",
    ],
    [
      "OnSuccess on Kinesis",
      {
        EventSourceArn: "KINESIS",
        StartingPosition: "LATEST",
        DestinationConfig: { OnSuccess: { Destination: "arn:aws:sqs:us-east-1:000000000000:ok" } },
      },
      "Unsupported DestinationConfig parameter for given event source mapping type.",
    ],
    [
      "a Lambda function as on-failure destination",
      {
        EventSourceArn: "KINESIS",
        StartingPosition: "LATEST",
        DestinationConfig: { OnFailure: { Destination: "arn:aws:lambda:us-east-1:000000000000:function:x" } },
      },
      "Unsupported on-failure destination arn:aws:lambda:us-east-1:000000000000:function:x: use an Amazon SQS queue, Amazon SNS topic or Amazon S3 bucket ARN.",
    ],
    [
      "six filters",
      {
        EventSourceArn: "QUEUE",
        FilterCriteria: { Filters: Array.from({ length: 6 }, (_, i) => ({ Pattern: `{"n":[${i}]}` })) },
      },
      "FilterCriteria may hold at most 5 filters; found 6.",
    ],
    [
      "a filter that is not an object",
      { EventSourceArn: "QUEUE", FilterCriteria: { Filters: [{ Pattern: "[1]" }] } },
      "Invalid filter pattern definition.",
    ],
    [
      "a filter leaf that is a string",
      { EventSourceArn: "QUEUE", FilterCriteria: { Filters: [{ Pattern: '{"body":{"a":"b"}}' }] } },
      "Invalid filter pattern definition.",
    ],
    [
      "an unknown function",
      { FunctionName: "nosuchfunction", EventSourceArn: "QUEUE" },
      "Function does not exist",
    ],
    [
      "a function ARN of another account",
      { FunctionName: "arn:aws:lambda:us-east-1:999999999999:function:orders", EventSourceArn: "QUEUE" },
      "Function does not exist",
    ],
    ["an unrecognized event source", { EventSourceArn: "arn:aws:s3:::bucket" }, "Unrecognized event source."],
    [
      "an SQS queue that does not exist",
      { EventSourceArn: "arn:aws:sqs:us-east-1:000000000000:no-such-queue" },
      "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.",
    ],
    [
      "a Kinesis stream that does not exist",
      {
        EventSourceArn: "arn:aws:kinesis:us-east-1:000000000000:stream/no-such-stream",
        StartingPosition: "LATEST",
      },
      "Stream not found: arn:aws:kinesis:us-east-1:000000000000:stream/no-such-stream",
    ],
  ];
  const bindArn = (input: Partial<CreateEventSourceMappingCommandInput>) => {
    const arn = { QUEUE: queue, FIFO: fifoQueue, KINESIS: kinesis, DYNAMODB: dynamodb }[
      input.EventSourceArn ?? ""
    ];
    return arn ? { ...input, EventSourceArn: arn } : input;
  };
  for (const [name, input, message] of cases) {
    it(name, async () => {
      await expectRejected(create(bindArn(input)), "InvalidParameterValueException", message);
    });
  }

  it("AT_TIMESTAMP is refused for DynamoDB, naming the stream", async () => {
    await expectRejected(
      create({
        EventSourceArn: dynamodb,
        StartingPosition: "AT_TIMESTAMP",
        StartingPositionTimestamp: new Date(0),
      }),
      "InvalidParameterValueException",
      `Unsupported starting position for arn type: ${dynamodb}`,
    );
  });

  it("raises the SDK's exception class", async () => {
    const err = await rejection(create({ FunctionName: "nosuchfunction", EventSourceArn: queue }));
    expect(err).toBeInstanceOf(InvalidParameterValueException);
  });
});

describe("resources", () => {
  it("refuses a duplicate mapping, naming the existing UUID", async () => {
    const first = await create({ EventSourceArn: queue, BatchSize: 5 });
    const err = await rejection(create({ EventSourceArn: queue }));
    expect(err).toBeInstanceOf(ResourceConflictException);
    expect(err.message).toBe(
      `An event source mapping with SQS arn (" ${queue} ") and function (" orders ") already exists. Please update or delete the existing mapping with UUID ${first.UUID}`,
    );
    expect(err.$metadata.httpStatusCode).toBe(409);
    // The same queue with another function is allowed.
    const other = await create({ FunctionName: "audit", EventSourceArn: queue });
    expect(other.State).toBe("Creating");
    await sut.sluice.supervisor.idle();
    for (const UUID of [first.UUID, other.UUID])
      await sut.lambda.send(new DeleteEventSourceMappingCommand({ UUID }));
  });

  it("lets one function watch different collections of a DocumentDB cluster, not the same changes twice", async () => {
    const docdb = (config: { DatabaseName: string; CollectionName?: string }) =>
      create({
        EventSourceArn: ARNS.documentdb,
        StartingPosition: "LATEST",
        DocumentDBEventSourceConfig: config,
      });
    const orders = await docdb({ DatabaseName: "shop", CollectionName: "orders" });
    const refunds = await docdb({ DatabaseName: "shop", CollectionName: "refunds" });
    const elsewhere = await docdb({ DatabaseName: "billing" });
    // The whole database overlaps its collections; the same collection again is a duplicate.
    for (const config of [{ DatabaseName: "shop" }, { DatabaseName: "shop", CollectionName: "orders" }]) {
      const err = await rejection(docdb(config));
      expect(err).toBeInstanceOf(ResourceConflictException);
      expect(err.message).toMatch(/Please update or delete the existing mapping with UUID /);
    }
    await sut.sluice.supervisor.idle();
    for (const UUID of [orders.UUID, refunds.UUID, elsewhere.UUID])
      await sut.lambda.send(new DeleteEventSourceMappingCommand({ UUID }));
  });

  it("answers 404 for an unknown UUID", async () => {
    const uuid = "0b6e4e8c-8d5e-4d43-9a3c-2f1d8f0f4a11";
    for (const command of [
      new GetEventSourceMappingCommand({ UUID: uuid }),
      new DeleteEventSourceMappingCommand({ UUID: uuid }),
      new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 5 }),
    ]) {
      const err = await rejection(sut.lambda.send(command as never));
      expect(err).toBeInstanceOf(ResourceNotFoundException);
      expect(err.message).toBe("The resource you requested does not exist.");
      expect(err.$metadata.httpStatusCode).toBe(404);
    }
  });
});

describe("create-only fields on update", () => {
  let kafkaUuid: string;
  let kinesisUuid: string;
  let rabbitUuid: string;

  beforeAll(async () => {
    kafkaUuid = (
      await create(
        kafka({ StartingPosition: "LATEST", SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: "g1" } }),
      )
    ).UUID as string;
    kinesisUuid = (await create({ EventSourceArn: kinesis, StartingPosition: "LATEST", BatchSize: 3 }))
      .UUID as string;
    rabbitUuid = (
      await create({
        EventSourceArn: ARNS.mq,
        Queues: ["orders"],
        SourceAccessConfigurations: [
          { Type: "BASIC_AUTH", URI: ARNS.secret },
          { Type: "VIRTUAL_HOST", URI: "/shop" },
        ],
      })
    ).UUID as string;
    await sut.sluice.supervisor.idle();
  });

  // The SDK's Update input has no create-only members, so these go over raw HTTP as another client might send them.
  const cases: [string, () => string, Record<string, unknown>, string][] = [
    [
      "StartingPosition",
      () => kinesisUuid,
      { StartingPosition: "TRIM_HORIZON" },
      "StartingPosition cannot be changed after the event source mapping is created.",
    ],
    [
      "Topics",
      () => kafkaUuid,
      { Topics: ["refunds"] },
      "Topics cannot be changed after the event source mapping is created.",
    ],
    [
      "ConsumerGroupId",
      () => kafkaUuid,
      { SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: "g2" } },
      "SelfManagedKafkaEventSourceConfig cannot be changed after the event source mapping is created.",
    ],
    [
      "SelfManagedEventSource",
      () => kafkaUuid,
      { SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["other:9092"] } } },
      "SelfManagedEventSource cannot be changed after the event source mapping is created.",
    ],
  ];
  for (const [name, uuid, body, message] of cases) {
    it(name, async () => {
      const response = await call(sut.endpoint, "PUT", ESM_PATH + uuid(), body);
      expect(response.status).toBe(400);
      expect(response.headers.get("x-amzn-errortype")).toBe("InvalidParameterValueException");
      expect(response.body?.message).toBe(message);
    });
  }

  it("accepts a create-only field repeated with its value", async () => {
    const response = await call(sut.endpoint, "PUT", ESM_PATH + kinesisUuid, {
      StartingPosition: "LATEST",
      BatchSize: 4,
    });
    expect(response.status, response.text).toBe(202);
    expect(response.body?.BatchSize).toBe(4);
    await sut.sluice.supervisor.idle();
  });

  it("VIRTUAL_HOST", async () => {
    await expectRejected(
      sut.lambda.send(
        new UpdateEventSourceMappingCommand({
          UUID: rabbitUuid,
          SourceAccessConfigurations: [
            { Type: "BASIC_AUTH", URI: ARNS.secret },
            { Type: "VIRTUAL_HOST", URI: "/other" },
          ],
        }),
      ),
      "InvalidParameterValueException",
      "VIRTUAL_HOST cannot be changed after the event source mapping is created.",
    );
  });

  it("keeps rules that span fields on update: SQS BatchSize 11 needs the stored window", async () => {
    const { UUID } = await create({ EventSourceArn: fifoQueue });
    await sut.sluice.supervisor.idle();
    await expectRejected(
      sut.lambda.send(new UpdateEventSourceMappingCommand({ UUID, BatchSize: 11 })),
      "InvalidParameterValueException",
      "BatchSize must be between 1 and 10 for FIFO queues.",
    );
  });
});
