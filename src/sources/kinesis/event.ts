/**
 * A Kinesis record as Lambda hands it to a function (reference/aws-esm-facts.md §3.1, and the record AWS wrote
 * into an S3 on-failure object in conformance/aws-recorded-payloads.json), keys in AWS's order: `data` is the
 * base64 of the raw bytes, `approximateArrivalTimestamp` epoch seconds with a fraction.
 */
import type { _Record as KinesisStreamRecord } from "@aws-sdk/client-kinesis";

export interface KinesisRecordContext {
  shardId: string;
  /** The stream's ARN, also when the mapping reads through an enhanced fan-out consumer. */
  streamArn: string;
  region: string;
  /** The function's execution role, which Lambda names as `invokeIdentityArn`. */
  roleArn: string;
}

export function toKinesisEvent(
  record: KinesisStreamRecord,
  { shardId, streamArn, region, roleArn }: KinesisRecordContext,
): Record<string, unknown> {
  const data = record.Data as Uint8Array;
  return {
    kinesis: {
      kinesisSchemaVersion: "1.0",
      partitionKey: record.PartitionKey,
      sequenceNumber: record.SequenceNumber,
      data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64"),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp as Date).getTime() / 1000,
    },
    eventSource: "aws:kinesis",
    eventVersion: "1.0",
    eventID: `${shardId}:${record.SequenceNumber}`,
    eventName: "aws:kinesis:record",
    invokeIdentityArn: roleArn,
    awsRegion: region,
    eventSourceARN: streamArn,
  };
}
