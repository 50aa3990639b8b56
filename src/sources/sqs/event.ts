/**
 * An SQS message as Lambda hands it to a function (reference/aws-esm-facts.md §2.1, and the AWS-recorded records
 * in conformance/aws-recorded-payloads.json): system attributes as strings, message attributes in lower camel
 * case with base64 binaries, `md5OfMessageAttributes` null when there are none.
 */
import type { Message, MessageAttributeValue } from "@aws-sdk/client-sqs";

/** System attributes Lambda passes on, in the order AWS's examples show them. */
const SYSTEM_ATTRIBUTES = [
  "ApproximateReceiveCount",
  "SentTimestamp",
  "SequenceNumber",
  "MessageGroupId",
  "SenderId",
  "MessageDeduplicationId",
  "ApproximateFirstReceiveTimestamp",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
] as const;

export interface SqsRecordContext {
  queueArn: string;
  region: string;
}

export function toSqsRecord(
  message: Message,
  { queueArn, region }: SqsRecordContext,
): Record<string, unknown> {
  const attributes: Record<string, string> = {};
  for (const name of SYSTEM_ATTRIBUTES) {
    const value = message.Attributes?.[name];
    if (value !== undefined) attributes[name] = value;
  }
  const messageAttributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = toMessageAttribute(value);
  }
  return {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? "",
    attributes,
    messageAttributes,
    md5OfMessageAttributes: message.MD5OfMessageAttributes ?? null,
    md5OfBody: message.MD5OfBody,
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function toMessageAttribute(value: MessageAttributeValue): Record<string, unknown> {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined ? { binaryValue: base64(value.BinaryValue) } : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(base64),
    dataType: value.DataType,
  };
}
