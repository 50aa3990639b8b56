/**
 * What a filter sees of a record: the record as the function would get it, with the source's data field
 * decoded as Lambda decodes it before matching (reference/aws-esm-facts.md §8.3):
 * - SQS `body`: parsed when it is JSON, else matched as the plain string;
 * - Kinesis `data`: base64, then JSON; the `kinesis` fields are also addressable at the top level;
 * - DynamoDB: the record as it is (numbers stay DynamoDB JSON strings);
 * - Kafka `value` and Amazon MQ `data`: base64, UTF-8, then JSON.
 * Data that does not decode to JSON is left out of the view, so patterns on it never match, while patterns on
 * the record's metadata still do.
 */
import type { SourceKind } from "../../mappings/types.js";

export type FilterView = (record: Record<string, unknown>) => Record<string, unknown>;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const NOT_JSON = Symbol("not JSON");

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/** base64 → UTF-8 (strictly: invalid UTF-8 is not JSON) → JSON. */
export function decodeBase64Json(data: unknown): unknown {
  if (typeof data !== "string") return NOT_JSON;
  let text: string;
  try {
    text = utf8.decode(Buffer.from(data, "base64"));
  } catch {
    return NOT_JSON;
  }
  return parseJson(text);
}

function withDecoded(
  record: Record<string, unknown>,
  key: string,
  decoded: unknown,
): Record<string, unknown> {
  const view = { ...record };
  if (decoded === NOT_JSON) delete view[key];
  else view[key] = decoded;
  return view;
}

const sqsView: FilterView = (record) => {
  const body = typeof record.body === "string" ? parseJson(record.body) : NOT_JSON;
  return body === NOT_JSON ? record : { ...record, body };
};

const kinesisView: FilterView = (record) => {
  const kinesis = (record.kinesis ?? {}) as Record<string, unknown>;
  return withDecoded({ ...record, ...kinesis }, "data", decodeBase64Json(kinesis.data));
};

const identity: FilterView = (record) => record;
const kafkaView: FilterView = (record) => withDecoded(record, "value", decodeBase64Json(record.value));
const mqView: FilterView = (record) => withDecoded(record, "data", decodeBase64Json(record.data));

/** Lambda refuses filter criteria on DocumentDB mappings. */
export type FilterableKind = Exclude<SourceKind, "documentdb">;

export const FILTER_VIEWS: Readonly<Record<FilterableKind, FilterView>> = {
  sqs: sqsView,
  kinesis: kinesisView,
  dynamodb: identity,
  msk: kafkaView,
  kafka: kafkaView,
  mq: mqView,
};
