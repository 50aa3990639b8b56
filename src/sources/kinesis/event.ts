/**
 * A Kinesis record as Lambda hands it to a function (reference/aws-esm-facts.md §3.1, and the record AWS wrote
 * into an S3 on-failure object in conformance/aws-recorded-payloads.json), keys in AWS's order: `data` is the
 * base64 of the raw bytes, `approximateArrivalTimestamp` epoch seconds with a fraction. Both come as such in
 * the service's answer, so the record's JSON text is written straight from it.
 */
import type { WireKinesisRecord } from "./wire-records.js";

export interface KinesisRecordContext {
  shardId: string;
  /** The stream's ARN, also when the mapping reads through an enhanced fan-out consumer. */
  streamArn: string;
  region: string;
  /** The function's execution role, which Lambda names as `invokeIdentityArn`. */
  roleArn: string;
}

/** Writes a shard's records as Lambda's Kinesis event entries, as JSON text. */
export function kinesisEventWriter({
  shardId,
  streamArn,
  region,
  roleArn,
}: KinesisRecordContext): (record: WireKinesisRecord) => string {
  const idPrefix = JSON.stringify(`${shardId}:`).slice(0, -1);
  const tail =
    `,"eventName":"aws:kinesis:record","invokeIdentityArn":${JSON.stringify(roleArn)},` +
    `"awsRegion":${JSON.stringify(region)},"eventSourceARN":${JSON.stringify(streamArn)}}`;
  return (record) => {
    const sequenceNumber = JSON.stringify(record.SequenceNumber);
    return (
      `{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":${JSON.stringify(record.PartitionKey)},` +
      `"sequenceNumber":${sequenceNumber},"data":${JSON.stringify(record.Data)},` +
      `"approximateArrivalTimestamp":${JSON.stringify(record.ApproximateArrivalTimestamp)}},` +
      `"eventSource":"aws:kinesis","eventVersion":"1.0","eventID":${idPrefix}${sequenceNumber.slice(1)}${tail}`
    );
  };
}
