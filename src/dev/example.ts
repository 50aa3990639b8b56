/**
 * `sluice dev --example`: a queue, a Kinesis stream and a DynamoDB table with a stream, each mapped to a handler
 * under examples/functions, and a few records sent to each, all through the dev endpoint as a user's own code
 * would, so a newcomer sees every kind of delivery within seconds. Running it again reuses what exists.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { CreateEventSourceMappingCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { FunctionConfig, SluiceConfig } from "../config/config.js";

const FUNCTIONS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../examples/functions");
const QUEUE = "sluice-example-orders";
const STREAM = "sluice-example-clicks";
const TABLE = "sluice-example-carts";

/** The example's functions, added to the config's: one handler per source. */
export function exampleFunctions(): Record<string, FunctionConfig> {
  const fn = (module: string): FunctionConfig => ({
    handler: `${join(FUNCTIONS_DIR, module)}.handler`,
    timeout: 30,
    memorySize: 128,
    environment: {},
  });
  return { "example-orders": fn("orders"), "example-clicks": fn("clicks"), "example-carts": fn("carts") };
}

export async function runExample(
  endpoint: string,
  config: SluiceConfig,
  served: readonly string[],
  print: (line: string) => void,
): Promise<void> {
  const options = {
    endpoint,
    region: config.region,
    credentials: { accessKeyId: "sluice", secretAccessKey: "sluice" },
  };
  const sqs = new SQSClient(options);
  const kinesis = new KinesisClient(options);
  const dynamodb = new DynamoDBClient(options);
  const lambda = new LambdaClient(options);
  const withTable = served.includes("dynamodb");
  try {
    const [{ queueUrl, queueArn }, streamArn, tableStreamArn] = await Promise.all([
      queue(sqs),
      stream(kinesis),
      withTable ? tableStream(dynamodb) : undefined,
    ]);
    await Promise.all([
      map(lambda, { FunctionName: "example-orders", EventSourceArn: queueArn, BatchSize: 10 }),
      map(lambda, {
        FunctionName: "example-clicks",
        EventSourceArn: streamArn,
        StartingPosition: "TRIM_HORIZON",
        FunctionResponseTypes: ["ReportBatchItemFailures"],
      }),
      tableStreamArn &&
        map(lambda, {
          FunctionName: "example-carts",
          EventSourceArn: tableStreamArn,
          StartingPosition: "TRIM_HORIZON",
        }),
    ]);
    print(
      `example: ${QUEUE} → example-orders, ${STREAM} → example-clicks` +
        (withTable ? `, ${TABLE} → example-carts` : ` (no ${TABLE}: DynamoDB is not served)`),
    );
    await Promise.all([
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [1, 2, 3].map((n) => ({
            Id: `o${n}`,
            MessageBody: JSON.stringify({ id: n, item: "coffee" }),
          })),
        }),
      ),
      kinesis.send(
        new PutRecordsCommand({
          StreamName: STREAM,
          Records: ["home", "pricing", "signup"].map((page) => ({
            PartitionKey: page,
            Data: Buffer.from(JSON.stringify({ page })),
          })),
        }),
      ),
      ...(withTable
        ? ["alice", "bob"].map((id) =>
            dynamodb.send(
              new PutItemCommand({ TableName: TABLE, Item: { id: { S: id }, items: { N: "1" } } }),
            ),
          )
        : []),
    ]);
    print(
      `example: sent 3 orders, 3 clicks${withTable ? " and 2 cart items" : ""}; their invocations follow`,
    );
  } finally {
    for (const client of [sqs, kinesis, dynamodb, lambda]) client.destroy();
  }
}

async function queue(sqs: SQSClient): Promise<{ queueUrl: string; queueArn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: QUEUE }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  return { queueUrl: QueueUrl as string, queueArn: Attributes?.QueueArn as string };
}

async function stream(kinesis: KinesisClient): Promise<string> {
  await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 })).catch(unlessExists);
  for (;;) {
    const { StreamDescriptionSummary: s } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: STREAM }),
    );
    if (s?.StreamStatus === "ACTIVE") return s.StreamARN as string;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function tableStream(dynamodb: DynamoDBClient): Promise<string> {
  await dynamodb
    .send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
        StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
      }),
    )
    .catch(unlessExists);
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: TABLE }));
  return Table?.LatestStreamArn as string;
}

async function map(lambda: LambdaClient, input: Record<string, unknown>): Promise<void> {
  await lambda
    .send(new CreateEventSourceMappingCommand({ MaximumBatchingWindowInSeconds: 0, ...input } as never))
    .catch((err: Error) => {
      if (err.name !== "ResourceConflictException") throw err;
    });
}

/** An example resource made by an earlier `--example` run (with --persist) is used as it is. */
function unlessExists(err: Error): void {
  if (err.name !== "ResourceInUseException") throw err;
}
