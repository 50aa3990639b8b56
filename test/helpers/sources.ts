/** Real event sources on the local emulators, one uniquely named resource per call. */
import { randomUUID } from "node:crypto";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from "@aws-sdk/client-kinesis";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type MessageAttributeValue,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { awsClientConfig } from "../services/endpoints.js";

const sqs = new SQSClient(awsClientConfig("sqs"));
const kinesis = new KinesisClient(awsClientConfig("kinesis"));
const dynamodb = new DynamoDBClient(awsClientConfig("dynamodb"));

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A new queue's ARN; a short `visibilityTimeout` (seconds) makes failed messages come back quickly. */
export async function createQueue(
  options: { fifo?: boolean; visibilityTimeout?: number } = {},
): Promise<string> {
  const name = uniqueName("q") + (options.fifo ? ".fifo" : "");
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        ...(options.fifo ? { FifoQueue: "true" } : {}),
        ...(options.visibilityTimeout !== undefined
          ? { VisibilityTimeout: String(options.visibilityTimeout) }
          : {}),
      },
    }),
  );
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  return Attributes?.QueueArn as string;
}

export async function createKinesisStream(shards = 1): Promise<string> {
  const name = uniqueName("s");
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const { StreamDescriptionSummary } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: name }),
    );
    if (StreamDescriptionSummary?.StreamStatus === "ACTIVE")
      return StreamDescriptionSummary.StreamARN as string;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function createDynamodbStream(): Promise<string> {
  const { TableDescription } = await dynamodb.send(
    new CreateTableCommand({
      TableName: uniqueName("t"),
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
      StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
    }),
  );
  return TableDescription?.LatestStreamArn as string;
}

export const ARNS = {
  msk: "arn:aws:kafka:us-east-1:000000000000:cluster/orders/0001",
  mq: "arn:aws:mq:us-east-1:000000000000:broker:orders:b-0001",
  documentdb: "arn:aws:rds:us-east-1:000000000000:cluster:docs",
  secret: "arn:aws:secretsmanager:us-east-1:000000000000:secret:creds",
};

/** The keys of Lambda's SQS record, in the order AWS sends them. */
export const SQS_RECORD_KEYS = [
  "messageId",
  "receiptHandle",
  "body",
  "attributes",
  "messageAttributes",
  "md5OfMessageAttributes",
  "md5OfBody",
  "eventSource",
  "eventSourceARN",
  "awsRegion",
];

export async function queueUrl(queueArn: string): Promise<string> {
  return (await sqs.send(new GetQueueUrlCommand({ QueueName: queueArn.split(":")[5] }))).QueueUrl as string;
}

export async function deleteQueue(queueArn: string): Promise<void> {
  await sqs.send(new DeleteQueueCommand({ QueueUrl: await queueUrl(queueArn) }));
}

/** Sends messages ten at a time; a message with a group goes to a FIFO queue, deduplicated by its body. */
export async function sendMessages(
  queueArn: string,
  messages: readonly (
    | string
    | { body: string; group?: string; attributes?: Record<string, MessageAttributeValue> }
  )[],
) {
  const QueueUrl = await queueUrl(queueArn);
  const entries = messages.map((m) => (typeof m === "string" ? { body: m } : m));
  for (let i = 0; i < entries.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: entries.slice(i, i + 10).map((entry, j) => ({
          Id: String(j),
          MessageBody: entry.body,
          ...("group" in entry ? { MessageGroupId: entry.group, MessageDeduplicationId: entry.body } : {}),
          ...("attributes" in entry ? { MessageAttributes: entry.attributes } : {}),
        })),
      }),
    );
  }
}

/** Messages in the queue, visible or in flight. */
export async function messagesLeft(queueArn: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await queueUrl(queueArn),
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}
