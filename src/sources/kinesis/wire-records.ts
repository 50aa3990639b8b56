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

/**
 * The output a client `withWireGetRecords` made answers GetRecords with. Its first record is checked, so that a
 * client that decoded the answer after all (an SDK whose protocol object changed) fails loudly rather than
 * writing bytes and dates into events.
 */
export function wireGetRecords(output: GetRecordsCommandOutput): WireGetRecordsOutput {
  const wire = output as unknown as WireGetRecordsOutput;
  const first = wire.Records?.[0];
  if (first && (typeof first.Data !== "string" || typeof first.ApproximateArrivalTimestamp !== "number"))
    throw new TypeError(
      "GetRecords was answered decoded, not as the service's JSON (see withWireGetRecords)",
    );
  return wire;
}

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
  if (typeof protocol?.deserializeResponse !== "function")
    throw new TypeError("this AWS SDK's Kinesis client has no protocol object to read GetRecords through");
  const deserialize = protocol.deserializeResponse.bind(protocol);
  protocol.deserializeResponse = async (operation, context, response) => {
    const { statusCode, headers, body } = response as Response;
    if (operation.name !== "GetRecords" || statusCode >= 300)
      return deserialize(operation, context, response);
    const text = await bodyText(body);
    const output = (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>;
    // As the SDK fills it in; the retry middleware then adds its attempt count.
    output.$metadata = {
      httpStatusCode: statusCode,
      requestId: headers["x-amzn-requestid"] ?? headers["x-amzn-request-id"] ?? headers["x-amz-request-id"],
      extendedRequestId: headers["x-amz-id-2"],
      cfId: headers["x-amz-cf-id"],
    };
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
