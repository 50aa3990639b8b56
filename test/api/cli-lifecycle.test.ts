/**
 * The real AWS CLI v2 drives one `sluice serve` process through the whole life of a mapping of every source
 * kind: create (with the kind's AWS defaults), settle, list and page, update, disable/enable, tag, delete.
 * Nothing here talks to Sluice but `/usr/bin/aws lambda ... --endpoint-url`.
 *
 * The CLI in the test image (Debian's awscli 2.9.19) bundles a Lambda model from early 2023: it has no
 * `--tags` or `--document-db-event-source-config` on create, and drops `EventSourceMappingArn` from its output.
 * Botocore merges a `service-2.sdk-extras.json` found on AWS_DATA_PATH into its model, so the CLI gets those
 * members here exactly as the current Lambda model defines them. One test runs the CLI with its stock model.
 */
import { randomUUID } from "node:crypto";
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteStreamCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import { DeleteQueueCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AwsCli, awsCli } from "../helpers/aws-cli.js";
import { closeKafka, createTopic, uniqueTopic } from "../helpers/kafka.js";
import { eventually, freePort, type SluiceProcess, startProcess, tempDir } from "../helpers/sluice.js";
import {
  ARNS,
  createDynamodbStream,
  createKinesisStream,
  createQueue,
  uniqueName,
} from "../helpers/sources.js";
import { accountId, awsClientConfig, brokers, kafkaBootstrap, region } from "../services/endpoints.js";
import { type MongoTestServer, startMongoServer } from "../services/mongo/server.js";

const SETTLE_TIMEOUT_MS = 20_000;
const PHASE_TIMEOUT_MS = 60_000;

const FUNCTION_ARN = `arn:aws:lambda:${region}:${accountId}:function:orders`;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
/** The CLI prints timestamps (epoch seconds on the wire) as ISO 8601 in UTC. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00$/;
const anyTime = () => expect.stringMatching(ISO_TIME);

const NOT_FOUND =
  "An error occurred (ResourceNotFoundException) when calling the GetEventSourceMapping operation: " +
  "The resource you requested does not exist.";

/** Members of the current Lambda model that the CLI's 2023 model lacks (see the header). */
const MODEL_EXTRAS = {
  version: 1.0,
  merge: {
    shapes: {
      CreateEventSourceMappingRequest: {
        members: {
          Tags: { shape: "Tags" },
          DocumentDBEventSourceConfig: { shape: "DocumentDBEventSourceConfig" },
        },
      },
      UpdateEventSourceMappingRequest: {
        members: { DocumentDBEventSourceConfig: { shape: "DocumentDBEventSourceConfig" } },
      },
      EventSourceMappingConfiguration: {
        members: {
          EventSourceMappingArn: { shape: "EventSourceMappingArn" },
          DocumentDBEventSourceConfig: { shape: "DocumentDBEventSourceConfig" },
        },
      },
      EventSourceMappingArn: { type: "string", min: 85, max: 120 },
      DocumentDBEventSourceConfig: {
        type: "structure",
        members: {
          DatabaseName: { shape: "DatabaseName" },
          CollectionName: { shape: "CollectionName" },
          FullDocument: { shape: "FullDocument" },
        },
      },
      DatabaseName: { type: "string", min: 1, max: 63 },
      CollectionName: { type: "string", min: 1, max: 57 },
      FullDocument: { type: "string", enum: ["UpdateLookup", "Default"] },
    },
  },
};

type Mapping = Record<string, unknown>;
type Model = "current" | "stock";

interface Kind {
  name: string;
  /** create-event-source-mapping arguments besides `--function-name orders`. */
  args: string[];
  eventSourceArn?: string;
  enabled: boolean;
  tags?: Record<string, string>;
  /** The create response's members other than UUID, the ARNs, LastModified, State, StateTransitionReason. */
  defaults(uuid: string): Mapping;
  reason: "USER_INITIATED" | "User action";
  newBatchSize: number;
}

/** A kind's mapping as the test last saw it. */
interface Case {
  kind: Kind;
  uuid: string;
  arn: string;
  last: Mapping;
}

let sluice: SluiceProcess;
let mongo: MongoTestServer | undefined;
let aws: AwsCli;
let startedAt: number;
let kinds: Kind[] = [];
/** The UUIDs of the kinds' mappings in the order ListEventSourceMappings returns them. */
let listedOrder: string[] = [];
const cases: Case[] = [];
/** Sources made on the emulators, removed afterwards (kinesis-local allows 50 shards in all). */
const sources: string[] = [];

async function made(source: Promise<string>): Promise<string> {
  const arn = await source;
  sources.push(arn);
  return arn;
}

async function removeSources(): Promise<void> {
  const sqs = new SQSClient(awsClientConfig("sqs"));
  const kinesis = new KinesisClient(awsClientConfig("kinesis"));
  const dynamodb = new DynamoDBClient(awsClientConfig("dynamodb"));
  await Promise.allSettled(
    sources.map(async (arn) => {
      const [, , service, , account, resource = ""] = arn.split(":");
      const name = resource.split("/")[1] ?? "";
      if (service === "kinesis") await kinesis.send(new DeleteStreamCommand({ StreamName: name }));
      if (service === "dynamodb") await dynamodb.send(new DeleteTableCommand({ TableName: name }));
      if (service === "sqs") {
        const { QueueUrl } = await sqs.send(
          new GetQueueUrlCommand({ QueueName: resource, QueueOwnerAWSAccountId: account }),
        );
        await sqs.send(new DeleteQueueCommand({ QueueUrl }));
      }
    }),
  );
  for (const client of [sqs, kinesis, dynamodb]) client.destroy();
}

const cli = (args: readonly string[], model: Model = "current") =>
  aws.run(args, { stockModel: model === "stock" });
const lambda = (args: readonly string[], model: Model = "current"): Promise<Mapping> =>
  aws.json(args, { stockModel: model === "stock" });

const mappingsOf = (list: Mapping) => list.EventSourceMappings as Mapping[];
const uuidsOf = (mappings: Mapping[]) => mappings.map((m) => String(m.UUID));
const timeOf = (mapping: Mapping) => Date.parse(String(mapping.LastModified));
const tagArg = (tags: Record<string, string>) =>
  Object.entries(tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");

async function get(uuid: string, model: Model = "current"): Promise<Mapping> {
  return lambda(["get-event-source-mapping", "--uuid", uuid], model);
}

async function listOrders(): Promise<Mapping[]> {
  return mappingsOf(await lambda(["list-event-source-mappings", "--function-name", "orders"]));
}

/** Polls ListEventSourceMappings until every case's mapping is in `state`; the mappings by UUID. */
async function waitForAll(state: string): Promise<Map<string, Mapping>> {
  return eventually(async () => {
    const byUuid = new Map((await listOrders()).map((m) => [String(m.UUID), m]));
    return cases.every((c) => byUuid.get(c.uuid)?.State === state) ? byUuid : undefined;
  }, SETTLE_TIMEOUT_MS);
}

/** Runs `step` for every kind's mapping at once; a failure names its kind. */
async function forEachCase(step: (c: Case) => Promise<void>): Promise<void> {
  expect(cases.map((c) => c.kind.name)).toEqual(kinds.map((k) => k.name));
  const results = await Promise.allSettled(cases.map(step));
  const failures = results.flatMap((result, i) =>
    result.status === "rejected" ? [{ name: cases[i]?.kind.name, error: result.reason as unknown }] : [],
  );
  const first = failures[0];
  if (!first) return;
  const others = failures.slice(1).map((f) => `[${f.name}] ${String(f.error)}`);
  if (first.error instanceof Error) {
    first.error.message = [`[${first.name}] ${first.error.message}`, ...others].join("\n\n");
    throw first.error;
  }
  throw new Error([`[${first.name}] ${String(first.error)}`, ...others].join("\n\n"));
}

/** Applies an update and checks the response: the same mapping with `changes`, in `state`. */
async function update(c: Case, args: string[], state: string, changes: Mapping = {}): Promise<void> {
  const updated = await lambda(["update-event-source-mapping", "--uuid", c.uuid, ...args]);
  expect(updated).toEqual({ ...c.last, ...changes, State: state, LastModified: anyTime() });
  expect(timeOf(updated)).toBeGreaterThanOrEqual(timeOf(c.last));
  c.last = updated;
}

/** Checks a settled listing: each mapping is what its last response said, now in `state`. */
function expectSettled(byUuid: Map<string, Mapping>, state: string): void {
  for (const c of cases) {
    const listed = byUuid.get(c.uuid);
    expect(listed, c.kind.name).toEqual({ ...c.last, State: state, LastModified: anyTime() });
    expect(timeOf(listed ?? {}), c.kind.name).toBeGreaterThanOrEqual(timeOf(c.last));
    c.last = listed ?? {};
  }
}

/**
 * The Amazon MQ mapping's broker: unique to this run, and in the config file, pointing at the test ActiveMQ
 * (which makes a queue on first use), so that the running mapping stays healthy.
 */
const broker = `arn:aws:mq:${region}:${accountId}:broker:${uniqueName("orders")}:b-${randomUUID()}`;
/** The MSK mapping's cluster: likewise, pointing at the test Kafka cluster, on a topic made for this run. */
const cluster = `arn:aws:kafka:${region}:${accountId}:cluster/${uniqueName("orders")}/${randomUUID()}`;
/** The DocumentDB mapping's cluster: likewise, pointing at a MongoDB test server with the secret's user. */
const docdb = `arn:aws:rds:${region}:${accountId}:cluster:${uniqueName("docs")}`;

function buildKinds(sources: {
  queue: string;
  fifoQueue: string;
  stream: string;
  tableStream: string;
  topic: string;
}): Kind[] {
  const { topic } = sources;
  const servers = kafkaBootstrap();
  const network = [{ Type: "VPC_SUBNET", URI: "subnet:subnet-0001" }];
  const secret = `Type=BASIC_AUTH,URI=${ARNS.secret}`;
  const basicAuth = [{ Type: "BASIC_AUTH", URI: ARNS.secret }];
  const streamDefaults = {
    BatchSize: 100,
    BisectBatchOnFunctionError: false,
    DestinationConfig: { OnFailure: {} },
    FunctionResponseTypes: [],
    LastProcessingResult: "No records processed",
    MaximumBatchingWindowInSeconds: 0,
    MaximumRecordAgeInSeconds: -1,
    MaximumRetryAttempts: -1,
    ParallelizationFactor: 1,
    TumblingWindowInSeconds: 0,
  };
  const tags = { team: "orders", cost: "cc-42", env: "test" };
  return [
    {
      name: "SQS",
      args: ["--event-source-arn", sources.queue, "--tags", tagArg(tags)],
      eventSourceArn: sources.queue,
      enabled: true,
      tags,
      defaults: () => ({
        BatchSize: 10,
        EventSourceArn: sources.queue,
        FunctionResponseTypes: [],
        MaximumBatchingWindowInSeconds: 0,
      }),
      reason: "USER_INITIATED",
      newBatchSize: 5,
    },
    {
      name: "SQS FIFO",
      args: ["--event-source-arn", sources.fifoQueue, "--batch-size", "10"],
      eventSourceArn: sources.fifoQueue,
      enabled: true,
      defaults: () => ({
        BatchSize: 10,
        EventSourceArn: sources.fifoQueue,
        FunctionResponseTypes: [],
        MaximumBatchingWindowInSeconds: 0,
      }),
      reason: "USER_INITIATED",
      newBatchSize: 3,
    },
    {
      name: "Kinesis",
      args: [
        "--event-source-arn",
        sources.stream,
        "--starting-position",
        "TRIM_HORIZON",
        "--tags",
        tagArg(tags),
      ],
      eventSourceArn: sources.stream,
      enabled: true,
      tags,
      defaults: () => ({
        ...streamDefaults,
        EventSourceArn: sources.stream,
        StartingPosition: "TRIM_HORIZON",
      }),
      reason: "User action",
      newBatchSize: 250,
    },
    {
      name: "DynamoDB Streams",
      args: ["--event-source-arn", sources.tableStream, "--starting-position", "LATEST"],
      eventSourceArn: sources.tableStream,
      enabled: true,
      defaults: () => ({
        ...streamDefaults,
        EventSourceArn: sources.tableStream,
        StartingPosition: "LATEST",
      }),
      reason: "User action",
      newBatchSize: 300,
    },
    {
      name: "MSK",
      args: [
        "--event-source-arn",
        cluster,
        "--topics",
        topic,
        "--starting-position",
        "LATEST",
        "--tags",
        tagArg(tags),
      ],
      eventSourceArn: cluster,
      enabled: true,
      tags,
      defaults: (uuid) => ({
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: uuid },
        BatchSize: 100,
        EventSourceArn: cluster,
        LastProcessingResult: "No records processed",
        StartingPosition: "LATEST",
        Topics: [topic],
      }),
      reason: "USER_INITIATED",
      newBatchSize: 500,
    },
    {
      name: "self-managed Kafka",
      args: [
        "--self-managed-event-source",
        JSON.stringify({ Endpoints: { KAFKA_BOOTSTRAP_SERVERS: servers } }),
        "--topics",
        topic,
        "--source-access-configurations",
        "Type=VPC_SUBNET,URI=subnet:subnet-0001",
      ],
      enabled: true,
      defaults: (uuid) => ({
        BatchSize: 100,
        LastProcessingResult: "No records processed",
        SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: servers } },
        SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: uuid },
        SourceAccessConfigurations: network,
        // Created without a starting position, a self-managed Kafka mapping reads from the oldest record.
        StartingPosition: "TRIM_HORIZON",
        Topics: [topic],
      }),
      reason: "USER_INITIATED",
      newBatchSize: 400,
    },
    {
      name: "Amazon MQ",
      args: [
        "--event-source-arn",
        broker,
        "--queues",
        "orders",
        "--source-access-configurations",
        secret,
        "--no-enabled",
      ],
      eventSourceArn: broker,
      enabled: false,
      defaults: () => ({
        BatchSize: 100,
        EventSourceArn: broker,
        LastProcessingResult: "No records processed",
        Queues: ["orders"],
        SourceAccessConfigurations: basicAuth,
      }),
      reason: "USER_INITIATED",
      newBatchSize: 50,
    },
    {
      name: "DocumentDB",
      args: [
        "--event-source-arn",
        docdb,
        "--document-db-event-source-config",
        "DatabaseName=orders,CollectionName=events,FullDocument=UpdateLookup",
        "--starting-position",
        "LATEST",
        "--source-access-configurations",
        secret,
        "--tags",
        tagArg(tags),
      ],
      eventSourceArn: docdb,
      enabled: true,
      tags,
      defaults: () => ({
        BatchSize: 100,
        DocumentDBEventSourceConfig: {
          DatabaseName: "orders",
          CollectionName: "events",
          FullDocument: "UpdateLookup",
        },
        EventSourceArn: docdb,
        LastProcessingResult: "No records processed",
        MaximumBatchingWindowInSeconds: 0,
        SourceAccessConfigurations: basicAuth,
        StartingPosition: "LATEST",
      }),
      reason: "User action",
      newBatchSize: 20,
    },
  ];
}

beforeAll(async () => {
  startedAt = Date.now();
  const [port, queue, fifoQueue, stream, tableStream] = await Promise.all([
    freePort(),
    made(createQueue()),
    made(createQueue({ fifo: true })),
    made(createKinesisStream()),
    made(createDynamodbStream()),
  ]);
  const topic = uniqueTopic("orders");
  // No records: the Kafka mappings run against it without invoking the function.
  await createTopic(topic);
  mongo = await startMongoServer({ users: { [brokers.activemq.username]: brokers.activemq.password } });
  kinds = buildKinds({ queue, fifoQueue, stream, tableStream, topic });
  sluice = await startProcess({
    dataDir: tempDir(),
    port,
    more: {
      brokers: {
        [broker]: { endpoints: [brokers.activemq.stomp] },
        [cluster]: { bootstrapServers: kafkaBootstrap() },
        [docdb]: { uri: mongo.uri },
      },
      secrets: {
        [ARNS.secret]: { username: brokers.activemq.username, password: brokers.activemq.password },
      },
    },
  });
  aws = awsCli(sluice.endpoint, MODEL_EXTRAS);
});

afterAll(async () => {
  try {
    if (!sluice) return;
    sluice.child.kill("SIGTERM");
    expect(await sluice.exited, `sluice's exit code after SIGTERM; its output:\n${sluice.output()}`).toBe(0);
  } finally {
    await removeSources();
    await closeKafka();
    await mongo?.close();
  }
});

describe("a mapping of every source kind, driven by the AWS CLI v2", () => {
  it(
    "create-event-source-mapping answers with the kind's AWS defaults",
    async () => {
      const created = await Promise.all(
        kinds.map(async (kind) => ({
          kind,
          response: await lambda(["create-event-source-mapping", "--function-name", "orders", ...kind.args]),
        })),
      );
      for (const { kind, response } of created) {
        const uuid = String(response.UUID);
        expect(uuid, kind.name).toMatch(UUID_PATTERN);
        const arn = `arn:aws:lambda:${region}:${accountId}:event-source-mapping:${uuid}`;
        expect(response, kind.name).toEqual({
          ...kind.defaults(uuid),
          UUID: uuid,
          EventSourceMappingArn: arn,
          FunctionArn: FUNCTION_ARN,
          LastModified: anyTime(),
          State: kind.enabled ? "Creating" : "Disabled",
          StateTransitionReason: kind.reason,
        });
        expect(timeOf(response), kind.name).toBeGreaterThanOrEqual(startedAt - 1000);
        expect(timeOf(response), kind.name).toBeLessThanOrEqual(Date.now() + 1000);
        cases.push({ kind, uuid, arn, last: response });
      }
      expect(new Set(cases.map((c) => c.uuid)).size).toBe(kinds.length);
    },
    PHASE_TIMEOUT_MS,
  );

  it(
    "get-event-source-mapping shows each mapping Enabled; one created disabled is enabled through Enabling",
    async () => {
      await forEachCase(async (c) => {
        const settled = await eventually(async () => {
          const mapping = await get(c.uuid);
          return mapping.State === "Creating" ? undefined : mapping;
        }, SETTLE_TIMEOUT_MS);
        const state = c.kind.enabled ? "Enabled" : "Disabled";
        expect(settled).toEqual({ ...c.last, State: state, LastModified: anyTime() });
        c.last = settled;
        if (c.kind.enabled) return;

        await update(c, ["--enabled"], "Enabling");
        c.last = await eventually(async () => {
          const mapping = await get(c.uuid);
          return mapping.State === "Enabled" ? mapping : undefined;
        }, SETTLE_TIMEOUT_MS);
      });
    },
    PHASE_TIMEOUT_MS,
  );

  it(
    "list-event-source-mappings finds each mapping by its event source ARN and by function name",
    async () => {
      const [byFunction, byOtherFunction] = await Promise.all([
        // The CLI pages by itself here, following Lambda's NextMarker 3 mappings at a time.
        lambda(["list-event-source-mappings", "--function-name", "orders", "--page-size", "3"]),
        lambda(["list-event-source-mappings", "--function-name", "audit"]),
        forEachCase(async (c) => {
          if (c.kind.eventSourceArn === undefined) return; // self-managed Kafka has no event source ARN
          const listed = await lambda([
            "list-event-source-mappings",
            "--event-source-arn",
            c.kind.eventSourceArn,
          ]);
          expect(listed).toEqual({ EventSourceMappings: [c.last] });
        }),
      ]);
      expect(Object.keys(byFunction)).toEqual(["EventSourceMappings"]); // no NextMarker, no NextToken
      expect(mappingsOf(byFunction)).toHaveLength(cases.length);
      for (const c of cases) expect(mappingsOf(byFunction)).toContainEqual(c.last);
      expect(byOtherFunction).toEqual({ EventSourceMappings: [] });
      listedOrder = uuidsOf(mappingsOf(byFunction));
    },
    PHASE_TIMEOUT_MS,
  );

  it(
    "list-event-source-mappings pages by NextMarker, and by the CLI's NextToken, with no gap and no duplicate",
    async () => {
      expect([...listedOrder].sort()).toEqual(cases.map((c) => c.uuid).sort());
      const list = ["list-event-source-mappings", "--function-name", "orders"];

      // --no-paginate: --max-items is the API's MaxItems, and the output carries Lambda's NextMarker.
      const byMarker = async () => {
        const pages: Mapping[][] = [];
        let marker: string | undefined;
        do {
          const page = await lambda([
            ...list,
            "--no-paginate",
            "--max-items",
            "3",
            ...(marker ? ["--marker", marker] : []),
          ]);
          expect(page.NextToken).toBeUndefined();
          pages.push(mappingsOf(page));
          marker = page.NextMarker as string | undefined;
        } while (marker !== undefined && pages.length < 5);
        return pages;
      };

      // --max-items 2 over requests of 3: the CLI's NextToken holds NextMarker and a count to skip.
      const byToken = async () => {
        const pages: Mapping[][] = [];
        let token: string | undefined;
        do {
          const page = await lambda([
            ...list,
            "--max-items",
            "2",
            "--page-size",
            "3",
            ...(token ? ["--starting-token", token] : []),
          ]);
          expect(page.NextMarker).toBeUndefined();
          pages.push(mappingsOf(page));
          token = page.NextToken as string | undefined;
        } while (token !== undefined && pages.length < 6);
        return pages;
      };

      const [markerPages, tokenPages] = await Promise.all([byMarker(), byToken()]);
      expect(markerPages.map((page) => page.length)).toEqual([3, 3, 2]);
      expect(uuidsOf(markerPages.flat())).toEqual(listedOrder);
      expect(tokenPages.map((page) => page.length)).toEqual([2, 2, 2, 2]);
      expect(uuidsOf(tokenPages.flat())).toEqual(listedOrder);
    },
    PHASE_TIMEOUT_MS,
  );

  it(
    "update-event-source-mapping --batch-size: Updating, then Enabled with the new batch size",
    async () => {
      await forEachCase(async (c) => {
        await update(c, ["--batch-size", String(c.kind.newBatchSize)], "Updating", {
          BatchSize: c.kind.newBatchSize,
        });
      });
      expectSettled(await waitForAll("Enabled"), "Enabled");
      for (const c of cases) expect(c.last.BatchSize, c.kind.name).toBe(c.kind.newBatchSize);
    },
    PHASE_TIMEOUT_MS,
  );

  it(
    "--no-enabled: Disabling, then Disabled; --enabled: Enabling, then Enabled",
    async () => {
      await forEachCase((c) => update(c, ["--no-enabled"], "Disabling"));
      expectSettled(await waitForAll("Disabled"), "Disabled");
      await forEachCase((c) => update(c, ["--enabled"], "Enabling"));
      expectSettled(await waitForAll("Enabled"), "Enabled");
    },
    PHASE_TIMEOUT_MS,
  );

  it(
    "tag-resource, untag-resource and list-tags on the mapping's ARN",
    async () => {
      await forEachCase(async (c) => {
        // Overwrites `team`, adds `owner`; then `cost` goes. Tags given on create that were not touched stay.
        expect(
          await lambda(["tag-resource", "--resource", c.arn, "--tags", "team=payments,owner=alice"]),
        ).toEqual({});
        expect(await lambda(["untag-resource", "--resource", c.arn, "--tag-keys", "cost"])).toEqual({});
        const expected = c.kind.tags
          ? { env: c.kind.tags.env, owner: "alice", team: "payments" }
          : { owner: "alice", team: "payments" };
        expect(await lambda(["list-tags", "--resource", c.arn])).toEqual({ Tags: expected });
      });
    },
    PHASE_TIMEOUT_MS,
  );

  it(
    "delete-event-source-mapping: Deleting, then get-event-source-mapping fails with ResourceNotFoundException",
    async () => {
      await forEachCase(async (c) => {
        const deleted = await lambda(["delete-event-source-mapping", "--uuid", c.uuid]);
        // LastProcessingResult is the running worker's word, which a broker mapping may change at any moment (a
        // connection the broker dropped under load, reported and reopened); everything else is the mapping's.
        const { LastProcessingResult: result, ...rest } = deleted;
        const { LastProcessingResult: before, ...last } = c.last;
        expect(rest).toEqual({ ...last, State: "Deleting", LastModified: anyTime() });
        expect(result === undefined).toBe(before === undefined);
        if (result !== before) expect(String(result)).toMatch(/^PROBLEM: /);

        const gone = await eventually(async () => {
          const result = await cli(["get-event-source-mapping", "--uuid", c.uuid]);
          return result.exitCode === 0 ? undefined : result;
        }, SETTLE_TIMEOUT_MS);
        expect(gone.exitCode).toBe(254);
        expect(gone.stdout).toBe("");
        expect(gone.stderr.trim()).toBe(NOT_FOUND);
      });
      expect(await listOrders()).toEqual([]);
    },
    PHASE_TIMEOUT_MS,
  );
});

it("a batch size over 10 without a batching window is an InvalidParameterValueException", async () => {
  const queue = await made(createQueue());
  const result = await cli([
    "create-event-source-mapping",
    "--function-name",
    "orders",
    "--event-source-arn",
    queue,
    "--batch-size",
    "11",
  ]);
  expect(result.exitCode).toBe(254);
  expect(result.stdout).toBe("");
  expect(result.stderr.trim()).toBe(
    "An error occurred (InvalidParameterValueException) when calling the CreateEventSourceMapping operation: " +
      "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
  );
  expect(await lambda(["list-event-source-mappings", "--event-source-arn", queue])).toEqual({
    EventSourceMappings: [],
  });
});

it(
  "the CLI with its stock (2023) Lambda model creates, gets and deletes a mapping",
  async () => {
    const queue = await made(createQueue());
    const created = await lambda(
      ["create-event-source-mapping", "--function-name", "orders", "--event-source-arn", queue],
      "stock",
    );
    const uuid = String(created.UUID);
    expect(uuid).toMatch(UUID_PATTERN);
    expect(created).toMatchObject({
      BatchSize: 10,
      EventSourceArn: queue,
      FunctionArn: FUNCTION_ARN,
      FunctionResponseTypes: [],
      LastModified: anyTime(),
      MaximumBatchingWindowInSeconds: 0,
      State: "Creating",
      StateTransitionReason: "USER_INITIATED",
    });
    expect(created).not.toHaveProperty("LastProcessingResult");

    const settled = await eventually(async () => {
      const mapping = await get(uuid, "stock");
      return mapping.State === "Creating" ? undefined : mapping;
    }, SETTLE_TIMEOUT_MS);
    expect(settled).toEqual({ ...created, State: "Enabled", LastModified: anyTime() });

    const deleted = await lambda(["delete-event-source-mapping", "--uuid", uuid], "stock");
    expect(deleted).toMatchObject({ UUID: uuid, State: "Deleting" });
    const gone = await eventually(async () => {
      const result = await cli(["get-event-source-mapping", "--uuid", uuid], "stock");
      return result.exitCode === 0 ? undefined : result;
    }, SETTLE_TIMEOUT_MS);
    expect(gone.exitCode).toBe(254);
    expect(gone.stderr.trim()).toBe(NOT_FOUND);
  },
  PHASE_TIMEOUT_MS,
);
