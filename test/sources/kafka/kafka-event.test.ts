import { describe, expect, it } from "vitest";
import { eventText } from "../../../src/pipeline/payload-size.js";
import type { KafkaMessage } from "../../../src/sources/kafka/client.js";
import { kafkaEnvelopeBytes, kafkaEvent, toKafkaRecord } from "../../../src/sources/kafka/kafka-event.js";

/** AWS's MSK event sample (reference/aws-esm-facts.md §5.1). */
const AWS_EVENT = {
  eventSource: "aws:kafka",
  eventSourceArn:
    "arn:aws:kafka:sa-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2",
  bootstrapServers:
    "b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092",
  records: {
    "mytopic-0": [
      {
        topic: "mytopic",
        partition: 0,
        offset: 15,
        timestamp: 1545084650987,
        timestampType: "CREATE_TIME",
        // The sample's key is not canonical base64 (its last character carries stray bits): as it decodes.
        key: Buffer.from("abcDEFghiJKLmnoPQRstuVWXyz1234==", "base64").toString("base64"),
        value: "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==",
        headers: [{ headerKey: [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101] }],
      },
    ],
  },
};

const message = (offset: string, extra: Partial<KafkaMessage> = {}): KafkaMessage =>
  ({
    key: Buffer.from("abcDEFghiJKLmnoPQRstuVWXyz1234==", "base64"),
    value: Buffer.from("Hello, this is a test."),
    timestamp: "1545084650987",
    attributes: 0,
    offset,
    headers: { headerKey: Buffer.from("headerValue") },
    ...extra,
  }) as KafkaMessage;

describe("the Kafka event", () => {
  it("is AWS's MSK sample, key for key and in its order", () => {
    const record = toKafkaRecord("mytopic", 0, message("15"));
    const envelope = {
      eventSource: "aws:kafka" as const,
      eventSourceArn: AWS_EVENT.eventSourceArn,
      bootstrapServers: AWS_EVENT.bootstrapServers,
    };
    expect(eventText(kafkaEvent(envelope, [record]))).toBe(JSON.stringify(AWS_EVENT));
    expect(record).toMatchObject({ id: "mytopic-0:15", offset: "15", arrivedAt: 1545084650987 });
  });

  it("has no eventSourceArn for self-managed Kafka, and groups records by topic-partition", () => {
    const envelope = {
      eventSource: "SelfManagedKafka" as const,
      eventSourceArn: undefined,
      bootstrapServers: "k:9092",
    };
    const records = [toKafkaRecord("t", 1, message("7")), toKafkaRecord("t", 2, message("3"))];
    const event = JSON.parse(eventText(kafkaEvent(envelope, records)));
    expect(Object.keys(event)).toEqual(["eventSource", "bootstrapServers", "records"]);
    expect(Object.keys(event.records)).toEqual(["t-1", "t-2"]);
    expect(event.records["t-2"][0].offset).toBe(3);
  });

  it("leaves out a missing key and value, and repeats a header given several values", () => {
    const record = toKafkaRecord(
      "t",
      0,
      message("1", {
        key: null,
        value: null,
        headers: { h: [Buffer.from([1]), "b"] },
      } as Partial<KafkaMessage>),
    );
    expect(record.event).toEqual({
      topic: "t",
      partition: 0,
      offset: 1,
      timestamp: 1545084650987,
      timestampType: "CREATE_TIME",
      headers: [{ h: [1] }, { h: [98] }],
    });
  });

  it("counts its envelope against the 6 MB cap no smaller than it is", () => {
    const envelope = {
      eventSource: "SelfManagedKafka" as const,
      eventSourceArn: undefined,
      bootstrapServers: "k:9092",
    };
    const record = toKafkaRecord("topic", 12, message("1"));
    const text = eventText(kafkaEvent(envelope, [record]));
    expect(kafkaEnvelopeBytes(envelope, "topic") + record.bytes).toBeGreaterThanOrEqual(
      Buffer.byteLength(text),
    );
  });
});
