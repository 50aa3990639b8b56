/** FilterCriteria per source: each source's data decoded before matching (aws-esm-facts §8.3), filters ORed. */
import { describe, expect, it } from "vitest";
import { compileFilterCriteria } from "../../../src/pipeline/filter/index.js";

const b64 = (text: string | Buffer) => Buffer.from(text).toString("base64");
const filters = (...patterns: object[]) => patterns.map((p) => ({ Pattern: JSON.stringify(p) }));

const sqsRecord = (body: string) => ({
  messageId: "m-1",
  body,
  attributes: { ApproximateReceiveCount: "1" },
  messageAttributes: {},
  eventSource: "aws:sqs",
  awsRegion: "us-east-1",
});

describe("SQS", () => {
  it("matches patterns on the body parsed as JSON", () => {
    const test = compileFilterCriteria("sqs", filters({ body: { kind: ["order"] } }));
    expect(test?.(sqsRecord('{"kind":"order"}'))).toBe(true);
    expect(test?.(sqsRecord('{"kind":"refund"}'))).toBe(false);
  });

  it("matches a plain-text body as a string, and never a JSON pattern against it", () => {
    expect(compileFilterCriteria("sqs", filters({ body: ["hello"] }))?.(sqsRecord("hello"))).toBe(true);
    expect(
      compileFilterCriteria("sqs", filters({ body: { kind: ["order"] } }))?.(sqsRecord("kind=order")),
    ).toBe(false);
  });

  it("filters on metadata whatever the body", () => {
    const test = compileFilterCriteria("sqs", filters({ attributes: { ApproximateReceiveCount: ["1"] } }));
    expect(test?.(sqsRecord("not json {"))).toBe(true);
  });

  it("keeps a record when any filter matches (filters are ORed)", () => {
    const test = compileFilterCriteria("sqs", filters({ body: { a: [1] } }, { body: { b: [2] } }));
    expect(test?.(sqsRecord('{"b":2}'))).toBe(true);
    expect(test?.(sqsRecord('{"c":3}'))).toBe(false);
  });

  it("has no test without filters", () => {
    expect(compileFilterCriteria("sqs", [])).toBeUndefined();
    expect(compileFilterCriteria("sqs", undefined)).toBeUndefined();
  });
});

describe("Kinesis", () => {
  const record = (data: string | Buffer, partitionKey = "pk-1") => ({
    eventSource: "aws:kinesis",
    eventID: "shardId-000000000000:1",
    kinesis: { data: b64(data), partitionKey, sequenceNumber: "1", approximateArrivalTimestamp: 1 },
  });

  it("matches `data` as base64-decoded JSON, and the kinesis fields at the top level", () => {
    const test = compileFilterCriteria("kinesis", filters({ data: { type: ["a"] }, partitionKey: ["pk-1"] }));
    expect(test?.(record('{"type":"a"}'))).toBe(true);
    expect(test?.(record('{"type":"a"}', "pk-2"))).toBe(false);
  });

  it("drops records whose data is not JSON when the pattern looks at data, binary data included", () => {
    const test = compileFilterCriteria("kinesis", filters({ data: { type: ["a"] } }));
    expect(test?.(record("plain text"))).toBe(false);
    expect(test?.(record(Buffer.from([0xff, 0xfe, 0x00, 0x80])))).toBe(false);
    expect(
      compileFilterCriteria("kinesis", filters({ partitionKey: ["pk-1"] }))?.(record(Buffer.from([0xff]))),
    ).toBe(true);
  });
});

describe("DynamoDB", () => {
  it("matches the record as it is, with DynamoDB JSON types", () => {
    const test = compileFilterCriteria(
      "dynamodb",
      filters({ dynamodb: { NewImage: { status: { S: ["open"] } } } }),
    );
    expect(test?.({ eventName: "INSERT", dynamodb: { NewImage: { status: { S: "open" } } } })).toBe(true);
    // Numbers are strings in DynamoDB JSON, so numeric rules do not apply to them.
    const numeric = compileFilterCriteria(
      "dynamodb",
      filters({ dynamodb: { NewImage: { n: { N: [{ numeric: [">", 1] }] } } } }),
    );
    expect(numeric?.({ dynamodb: { NewImage: { n: { N: "5" } } } })).toBe(false);
  });
});

describe("Kafka and Amazon MQ", () => {
  it("match Kafka `value` as base64 UTF-8 JSON, not `key`", () => {
    const test = compileFilterCriteria("kafka", filters({ value: { id: [7] } }));
    expect(test?.({ topic: "t", partition: 0, key: b64('{"id":7}'), value: b64('{"id":7}') })).toBe(true);
    expect(test?.({ topic: "t", partition: 0, key: b64('{"id":7}'), value: b64('{"id":8}') })).toBe(false);
  });

  it("filter Kafka records with non-UTF-8 values on metadata only", () => {
    const record = { topic: "orders", partition: 0, value: b64(Buffer.from([0xc3, 0x28])) };
    expect(compileFilterCriteria("msk", filters({ value: { id: [7] } }))?.(record)).toBe(false);
    expect(compileFilterCriteria("msk", filters({ topic: ["orders"] }))?.(record)).toBe(true);
  });

  it("match Amazon MQ `data` decoded", () => {
    const test = compileFilterCriteria("mq", filters({ data: { level: ["high"] } }));
    expect(test?.({ messageID: "ID:1", data: b64('{"level":"high"}') })).toBe(true);
    expect(test?.({ messageID: "ID:1", data: b64("level=high") })).toBe(false);
  });
});
