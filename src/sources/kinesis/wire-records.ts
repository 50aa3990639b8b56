/**
 * GetRecords answers as Kinesis writes them. The SDK walks every record of an answer through its schema,
 * decoding `Data` from base64 into bytes and the epoch-seconds arrival time into a Date, and Lambda's event
 * wants both back exactly as they were on the wire: for a 10,000-record answer that walk cost about 5 µs a
 * record, more than all Sluice does with the record afterwards. So the client's protocol hands a successful
 * GetRecords body over as parsed JSON; errors, and every other operation, go through the SDK as before.
 */
import type { GetRecordsCommandOutput, KinesisClient } from "@aws-sdk/client-kinesis";

/** A record as the service sends it: `Data` is base64, `ApproximateArrivalTimestamp` epoch seconds. */
export interface WireKinesisRecord {
  SequenceNumber: string;
  ApproximateArrivalTimestamp: number;
  Data: string;
  PartitionKey: string;
}

export interface WireGetRecordsOutput {
  Records?: WireKinesisRecord[];
  NextShardIterator?: string;
  MillisBehindLatest?: number;
}

/** The output a client `withWireGetRecords` made answers GetRecords with. */
export const wireGetRecords = (output: GetRecordsCommandOutput) => output as unknown as WireGetRecordsOutput;

/** What this file uses of the SDK's protocol object, whose declared type is a union of its versions. */
interface Protocol {
  deserializeResponse(operation: { name: string }, context: unknown, response: unknown): Promise<unknown>;
}

interface Response {
  statusCode: number;
  headers: Record<string, string | undefined>;
  /** A stream from Node's HTTP handler; bytes or text from others. */
  body: AsyncIterable<Uint8Array> | Uint8Array | string | undefined;
}

/** Makes the client answer GetRecords with the service's JSON as it is (read it through `wireGetRecords`). */
export function withWireGetRecords(client: KinesisClient): KinesisClient {
  const protocol = client.config.protocol as unknown as Protocol;
  const deserialize = protocol.deserializeResponse.bind(protocol);
  protocol.deserializeResponse = async (operation, context, response) => {
    const { statusCode, headers, body } = response as Response;
    if (operation.name !== "GetRecords" || statusCode >= 300)
      return deserialize(operation, context, response);
    const text = await bodyText(body);
    const output = (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>;
    // The retry middleware writes its attempt count into $metadata.
    output.$metadata = { httpStatusCode: statusCode, requestId: headers["x-amzn-requestid"] };
    return output;
  };
  return client;
}

async function bodyText(body: Response["body"]): Promise<string> {
  if (body === undefined) return "";
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}
