/** On-failure destinations against fauxqs: a record sent to a queue, a topic and a bucket, and each refusal. */
import { randomUUID } from "node:crypto";
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { type DeliveryContext, onFailureDestination } from "../../src/destinations/destination.js";
import { DestinationError } from "../../src/destinations/errors.js";
import { failureRecord, streamBatchInfo } from "../../src/destinations/failure-record.js";
import { createQueue, queueUrl, uniqueName } from "../helpers/sources.js";
import { accountId, awsClientConfig, region } from "../services/endpoints.js";

const sqs = new SQSClient(awsClientConfig("sqs"));
const sns = new SNSClient(awsClientConfig("sns"));
const s3 = new S3Client(awsClientConfig("s3"));

const record = failureRecord({
  requestId: "316aa6d0-8154-4f1c-9af7-85d5f4a6bc81",
  functionArn: `arn:aws:lambda:${region}:${accountId}:function:orders`,
  condition: "RetryAttemptsExhausted",
  approximateInvokeCount: 3,
  response: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
  ...streamBatchInfo("kinesis", {
    shardId: "shardId-000000000000",
    startSequenceNumber: "49601189658422359378836298521827638475320189012309704722",
    endSequenceNumber: "49601189658422359378836298521827638475320189012309704722",
    firstArrivalMs: Date.UTC(2024, 1, 29, 23, 59, 58, 7),
    lastArrivalMs: Date.UTC(2024, 1, 29, 23, 59, 58, 7),
    batchSize: 1,
    streamArn: `arn:aws:kinesis:${region}:${accountId}:stream/orders`,
  }),
  timestamp: new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 123)),
});

const event = {
  Records: [
    {
      kinesis: {
        kinesisSchemaVersion: "1.0",
        partitionKey: "k",
        sequenceNumber: "4960",
        data: "eyJhIjoxfQ==",
      },
      eventSource: "aws:kinesis",
      eventName: "aws:kinesis:record",
    },
  ],
};

const context: DeliveryContext = {
  uuid: randomUUID(),
  shardId: "shardId-000000000000",
  payload: event,
};

async function receiveBodies(queueArn: string, count: number): Promise<string[]> {
  const QueueUrl = await queueUrl(queueArn);
  const bodies: string[] = [];
  for (let polls = 0; bodies.length < count && polls < 10; polls++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    bodies.push(...Messages.map((m) => m.Body ?? ""));
  }
  return bodies;
}

const failure = (pattern: RegExp) =>
  expect.objectContaining({ name: "DestinationError", message: expect.stringMatching(pattern) });

describe("SQS queue", () => {
  it("receives the record's JSON as the message body, in AWS's key order", async () => {
    const queue = await createQueue();
    const destination = onFailureDestination(queue, "eu-west-1");
    await destination.deliver(record, context);
    await destination.deliver(record, context); // the second with the cached queue URL
    const bodies = await receiveBodies(queue, 2);
    expect(bodies).toEqual([JSON.stringify(record), JSON.stringify(record)]);
    expect(Object.keys(JSON.parse(bodies[0] ?? "{}"))).toEqual([
      "requestContext",
      "responseContext",
      "version",
      "timestamp",
      "KinesisBatchInfo",
    ]);
  });

  it("refuses a FIFO queue", async () => {
    const queue = await createQueue({ fifo: true });
    const delivery = onFailureDestination(queue, region).deliver(record, context);
    await expect(delivery).rejects.toBeInstanceOf(DestinationError);
    await expect(delivery).rejects.toThrow(
      `Could not deliver the on-failure record to ${queue}: FIFO queues are not supported as on-failure destinations; use a standard queue.`,
    );
  });

  it("says the queue does not exist, and finds it once it does", async () => {
    const name = uniqueName("missing");
    const arn = `arn:aws:sqs:${region}:${accountId}:${name}`;
    const destination = onFailureDestination(arn, region);
    await expect(destination.deliver(record, context)).rejects.toEqual(
      failure(
        new RegExp(
          `^Could not deliver the on-failure record to ${arn}: SQS GetQueueUrl failed: AWS\\.SimpleQueueService\\.NonExistentQueue: `,
        ),
      ),
    );
    await sqs.send(new CreateQueueCommand({ QueueName: name }));
    await destination.deliver(record, context);
    expect(await receiveBodies(arn, 1)).toEqual([JSON.stringify(record)]);
  });
});

describe("SNS topic", () => {
  it("publishes the record's JSON as the message, which a subscribed queue receives", async () => {
    const { TopicArn = "" } = await sns.send(new CreateTopicCommand({ Name: uniqueName("topic") }));
    const queue = await createQueue();
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: queue }));
    await onFailureDestination(TopicArn, region).deliver(record, context);
    const [body] = await receiveBodies(queue, 1);
    // fauxqs wraps it in SNS's notification envelope, as AWS does without RawMessageDelivery.
    const notification = JSON.parse(body ?? "{}");
    expect(notification).toMatchObject({ Type: "Notification", TopicArn, Message: JSON.stringify(record) });
  });

  it("refuses a FIFO topic", async () => {
    const arn = `arn:aws:sns:${region}:${accountId}:${uniqueName("topic")}.fifo`;
    await expect(onFailureDestination(arn, region).deliver(record, context)).rejects.toEqual(
      failure(/: FIFO topics are not supported as on-failure destinations; use a standard topic\.$/),
    );
  });

  it("says the topic does not exist", async () => {
    const arn = `arn:aws:sns:${region}:${accountId}:${uniqueName("missing")}`;
    await expect(onFailureDestination(arn, region).deliver(record, context)).rejects.toEqual(
      failure(
        new RegExp(`^Could not deliver the on-failure record to ${arn}: SNS Publish failed: NotFound: `),
      ),
    );
  });
});

describe("S3 bucket", () => {
  it("puts the record and the event under aws/lambda/<UUID>/<shard>/YYYY/MM/DD/", async () => {
    const bucket = uniqueName("bucket");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await onFailureDestination(`arn:aws:s3:::${bucket}`, region).deliver(record, context);

    const prefix = `aws/lambda/${context.uuid}/${context.shardId}/`;
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    expect(Contents).toHaveLength(1);
    const key = Contents[0]?.Key ?? "";
    expect(key).toMatch(
      new RegExp(
        `^${prefix}2024/02/29/2024-02-29T23\\.59\\.59-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
      ),
    );

    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(object.ContentType).toBe("application/json");
    const body = JSON.parse((await object.Body?.transformToString()) ?? "{}");
    expect(Object.keys(body)).toEqual([...Object.keys(record), "payload"]);
    expect(body).toEqual({ ...record, payload: JSON.stringify(event) });
  });

  it("says the bucket does not exist", async () => {
    const arn = `arn:aws:s3:::${uniqueName("missing")}`;
    await expect(onFailureDestination(arn, region).deliver(record, context)).rejects.toEqual(
      failure(
        new RegExp(`^Could not deliver the on-failure record to ${arn}: S3 PutObject failed: NoSuchBucket: `),
      ),
    );
  });
});

describe("onFailureDestination", () => {
  it("refuses anything but a queue, a topic or a bucket", async () => {
    await expect(onFailureDestination("kafka://failures", region).deliver(record, context)).rejects.toEqual(
      failure(
        /^Could not deliver the on-failure record to kafka:\/\/failures: Sluice delivers on-failure records only to SQS queues, SNS topics and S3 buckets\.$/,
      ),
    );
  });

  it("lets a cancelled delivery's abort through unwrapped", async () => {
    const queue = await createQueue();
    const delivery = onFailureDestination(queue, region).deliver(record, {
      ...context,
      signal: AbortSignal.abort(),
    });
    await expect(delivery).rejects.not.toBeInstanceOf(DestinationError);
    await expect(delivery).rejects.toMatchObject({ name: "AbortError" });
  });
});
