/**
 * The 6 MB invoke payload and each record's share of it. A source sets `SourceRecord.bytes` (and keeps `json`)
 * with `sizedJson(event)`, or with `jsonBytes(json)` when it writes the text itself (TextRecord); the batcher
 * adds the shares up against `MAX_PAYLOAD_BYTES`.
 */

/**
 * The synchronous-invoke request limit, which caps every event-source-mapping batch and cannot be changed:
 * 6 MB = 6 × 1024 × 1024 bytes. https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html
 */
export const MAX_PAYLOAD_BYTES = 6_291_456;

/**
 * Bytes of the envelope SQS, Kinesis and DynamoDB Streams batches share, `{"Records":[]}`, once the records
 * themselves are taken out. Sources with a larger envelope (Kafka's `records` map keyed by topic-partition,
 * Amazon MQ, DocumentDB, tumbling-window fields and state) pass their own `envelopeBytes` to the batcher.
 */
export const RECORDS_ENVELOPE_BYTES = Buffer.byteLength('{"Records":[]}');

/**
 * A record's JSON text, kept so a batch is not serialised twice, and its share of the payload: the text's
 * UTF-8 size plus one byte for the comma that separates it from the next entry. Counting a separator for every
 * record overestimates a batch by at most one byte, which keeps the sum an upper bound of the real payload.
 */
export function sizedJson(event: unknown): { json: string; bytes: number } {
  const json = JSON.stringify(event) as string | undefined;
  if (json === undefined) throw new TypeError("an event entry must be a JSON value");
  return { json, bytes: jsonBytes(json) };
}

/** A record's share of the payload from its JSON text (see sizedJson). */
export const jsonBytes = (json: string) => Buffer.byteLength(json, "utf8") + 1;

/**
 * An event already serialised: invokers send its text as is. JSON.stringify of it (an S3 on-failure record's
 * payload) still gives the same JSON, through toJSON.
 */
export class JsonEvent {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** The JSON text an invoker sends for an event. */
export function eventText(event: unknown): string {
  return event instanceof JsonEvent ? event.text : (JSON.stringify(event) ?? "null");
}
