/** The SQS source against fauxqs: Lambda's record shape, deletes, hand-backs and an aborted long poll. */
import { createHash } from "node:crypto";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { SqsSource } from "../../../src/sources/sqs/sqs-source.js";
import { createQueue, queueUrl, SQS_RECORD_KEYS } from "../../helpers/sources.js";
import { awsClientConfig } from "../../services/endpoints.js";

const sqs = new SQSClient(awsClientConfig("sqs"));

async function send(queueArn: string, input: Record<string, unknown>) {
  return sqs.send(new SendMessageCommand({ QueueUrl: await queueUrl(queueArn), MessageBody: "x", ...input }));
}

const never = new AbortController().signal;

describe("SqsSource", () => {
  it("shapes a message as Lambda's SQS record", async () => {
    const queue = await createQueue();
    const sent = await send(queue, {
      MessageBody: '{"foo":"bar"}',
      MessageAttributes: {
        Author: { DataType: "String", StringValue: "John Grisham" },
        WeeksOn: { DataType: "Number", StringValue: "6" },
        Cover: { DataType: "Binary", BinaryValue: Buffer.from("png!") },
      },
    });
    const source = new SqsSource(queue, "us-east-1");
    const [record] = await source.receive(10, 1000, never);
    expect(record?.id).toBe(sent.MessageId);
    expect(Object.keys(record?.event ?? {})).toEqual(SQS_RECORD_KEYS);
    expect(record?.event).toMatchObject({
      messageId: sent.MessageId,
      body: '{"foo":"bar"}',
      md5OfBody: createHash("md5").update('{"foo":"bar"}').digest("hex"),
      md5OfMessageAttributes: sent.MD5OfMessageAttributes,
      eventSource: "aws:sqs",
      eventSourceARN: queue,
      awsRegion: "us-east-1",
      messageAttributes: {
        Author: {
          stringValue: "John Grisham",
          stringListValues: [],
          binaryListValues: [],
          dataType: "String",
        },
        WeeksOn: { stringValue: "6", stringListValues: [], binaryListValues: [], dataType: "Number" },
        Cover: {
          binaryValue: Buffer.from("png!").toString("base64"),
          stringListValues: [],
          binaryListValues: [],
          dataType: "Binary",
        },
      },
    });
    const attributes = record?.event.attributes as Record<string, string>;
    expect(Object.keys(attributes)).toEqual([
      "ApproximateReceiveCount",
      "SentTimestamp",
      "SenderId",
      "ApproximateFirstReceiveTimestamp",
    ]);
    expect(attributes.ApproximateReceiveCount).toBe("1");
    expect(attributes.SentTimestamp).toMatch(/^\d{13}$/);
    expect(record?.arrivedAt).toBe(Number(attributes.SentTimestamp));
    expect(record?.bytes).toBe(Buffer.byteLength(JSON.stringify(record?.event)) + 1);
    expect(record?.orderKey).toBeUndefined();
  });

  it("gives a message without attributes md5OfMessageAttributes null", async () => {
    const queue = await createQueue();
    await send(queue, { MessageBody: "plain text" });
    const [record] = await new SqsSource(queue, "us-east-1").receive(1, 1000, never);
    expect(record?.event).toMatchObject({
      body: "plain text",
      messageAttributes: {},
      md5OfMessageAttributes: null,
    });
  });

  it("carries FIFO attributes and orders by message group", async () => {
    const queue = await createQueue({ fifo: true });
    await send(queue, { MessageBody: "one", MessageGroupId: "g1", MessageDeduplicationId: "d1" });
    const [record] = await new SqsSource(queue, "us-east-1").receive(10, 1000, never);
    expect(record?.orderKey).toBe("g1");
    expect(record?.event.attributes).toMatchObject({ MessageGroupId: "g1", MessageDeduplicationId: "d1" });
    expect((record?.event.attributes as Record<string, string> | undefined)?.SequenceNumber).toMatch(/^\d+$/);
  });

  it("deletes acknowledged messages and reports the ids SQS confirmed", async () => {
    const queue = await createQueue();
    for (let i = 0; i < 12; i++) await send(queue, { MessageBody: `m${i}` });
    const source = new SqsSource(queue, "us-east-1");
    const received = [];
    while (received.length < 12) received.push(...(await source.receive(10, 1000, never)));
    expect(received.length).toBe(12);
    const deleted = await source.ack(received);
    expect(deleted.sort()).toEqual(received.map((r) => r.id).sort());
    expect(await source.receive(10, 1000, never)).toEqual([]);
  });

  it("hands messages back at once on release, counting the receive", async () => {
    const queue = await createQueue();
    await send(queue, { MessageBody: "again" });
    const source = new SqsSource(queue, "us-east-1");
    const first = await source.receive(1, 1000, never);
    await source.release(first);
    const [again] = await source.receive(1, 1000, never);
    expect(again?.id).toBe(first[0]?.id);
    expect((again?.event.attributes as Record<string, string> | undefined)?.ApproximateReceiveCount).toBe(
      "2",
    );
  });

  it("ends a long poll when aborted, with nothing received", async () => {
    const queue = await createQueue();
    const source = new SqsSource(queue, "us-east-1");
    await source.receive(1, 0, never); // resolve the queue URL first
    const controller = new AbortController();
    const polling = source.receive(10, 20_000, controller.signal);
    setImmediate(() => controller.abort());
    expect(await polling).toEqual([]);
  });
});
