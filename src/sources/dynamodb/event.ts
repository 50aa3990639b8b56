/**
 * A DynamoDB Streams record as Lambda hands it to a function (reference/aws-esm-facts.md §4.1, with the key order
 * of the records AWS sent in conformance/aws-recorded-payloads.json): attribute values in DynamoDB JSON with
 * binaries in base64, `ApproximateCreationDateTime` in epoch seconds, and `userIdentity` on deletes by TTL.
 */
import type { _Record as DynamodbStreamRecord } from "@aws-sdk/client-dynamodb-streams";

/** The SDK's attribute value, binaries as bytes. */
export type AttributeValue = NonNullable<NonNullable<DynamodbStreamRecord["dynamodb"]>["Keys"]>[string];

export interface DynamodbRecordContext {
  streamArn: string;
  region: string;
}

export function toDynamodbEvent(
  record: DynamodbStreamRecord,
  { streamArn, region }: DynamodbRecordContext,
): Record<string, unknown> {
  const change = record.dynamodb ?? {};
  const identity = record.userIdentity;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: region,
    dynamodb: {
      ApproximateCreationDateTime: (change.ApproximateCreationDateTime as Date).getTime() / 1000,
      Keys: toImage(change.Keys ?? {}),
      ...(change.NewImage ? { NewImage: toImage(change.NewImage) } : {}),
      ...(change.OldImage ? { OldImage: toImage(change.OldImage) } : {}),
      SequenceNumber: change.SequenceNumber,
      SizeBytes: change.SizeBytes,
      StreamViewType: change.StreamViewType,
    },
    ...(identity ? { userIdentity: { type: identity.Type, principalId: identity.PrincipalId } } : {}),
    eventSourceARN: streamArn,
  };
}

/**
 * The same string for the same item key, whatever order its attributes come in: what must stay in order under
 * ParallelizationFactor.
 */
export function itemKey(keys: Record<string, AttributeValue>): string {
  return JSON.stringify(
    Object.entries(keys)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, value]) => [name, toJson(value)]),
  );
}

function toImage(image: Record<string, AttributeValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(image)) out[name] = toJson(value);
  return out;
}

/** DynamoDB JSON as the wire has it: the SDK hands binaries over as bytes. */
function toJson(value: AttributeValue): unknown {
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: toImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toJson) };
  return value;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
