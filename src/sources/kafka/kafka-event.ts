/**
 * Kafka records in AWS's event shape (reference/aws-esm-facts.md §5.1): base64 `key` (absent when the record has
 * none) and `value`, `headers` as single-key objects of byte arrays, the timestamp in epoch ms; the batch's
 * `records` keyed by "<topic>-<partition>".
 */
import { JsonEvent } from "../../pipeline/payload-size.js";
import { TextStreamRecord } from "../source.js";
import type { KafkaMessage } from "./client.js";

/** A record's id, and the partial batch response's item identifier turned into one: "<topic>-<partition>:<offset>". */
export const kafkaRecordId = (topic: string, partition: number, offset: string) =>
  `${topic}-${partition}:${offset}`;

/** A Kafka record as its event's JSON text; a partition's records stay in order. */
export class KafkaRecord extends TextStreamRecord {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
    json: string,
    arrivedAt: number,
  ) {
    super(kafkaRecordId(topic, partition, offset), json, arrivedAt, `${topic}-${partition}`);
  }
}

/** The record in AWS's shape and key order: topic, partition, offset, timestamp, timestampType, key, value, headers. */
export function toKafkaRecord(topic: string, partition: number, message: KafkaMessage): KafkaRecord {
  const key = message.key ? `,"key":"${message.key.toString("base64")}"` : "";
  const value = message.value ? `,"value":"${message.value.toString("base64")}"` : "";
  // KafkaJS does not pass the record batch's timestamp type on; producers' default is CREATE_TIME.
  const json =
    `{"topic":${JSON.stringify(topic)},"partition":${partition},"offset":${message.offset},` +
    `"timestamp":${message.timestamp},"timestampType":"CREATE_TIME"${key}${value},"headers":${headersJson(message)}}`;
  return new KafkaRecord(topic, partition, message.offset, json, Number(message.timestamp));
}

/** Headers as single-key objects of byte values, a repeated name once per value. */
function headersJson(message: KafkaMessage): string {
  const headers = message.headers;
  if (!headers) return "[]";
  const entries: string[] = [];
  for (const [name, values] of Object.entries(headers)) {
    for (const value of Array.isArray(values) ? values : [values]) {
      if (value === undefined) continue;
      const bytes = typeof value === "string" ? Buffer.from(value) : value;
      entries.push(`{${JSON.stringify(name)}:[${bytes.join(",")}]}`);
    }
  }
  return `[${entries.join(",")}]`;
}

/** The event's fields besides `records`. */
export interface KafkaEnvelope {
  eventSource: "aws:kafka" | "SelfManagedKafka";
  eventSourceArn: string | undefined;
  bootstrapServers: string;
}

/** The function's event for records of one or more partitions, joined from the records' JSON text. */
export function kafkaEvent(envelope: KafkaEnvelope, records: readonly KafkaRecord[]): JsonEvent {
  const byPartition = new Map<string, string[]>();
  for (const record of records) {
    const key = `${record.topic}-${record.partition}`;
    const list = byPartition.get(key) ?? [];
    list.push(record.json);
    byPartition.set(key, list);
  }
  const entries = [...byPartition].map(([key, list]) => `${JSON.stringify(key)}:[${list.join(",")}]`);
  return new JsonEvent(`${envelopeText(envelope).slice(0, -1)},"records":{${entries.join(",")}}}`);
}

/** `{"eventSource":...,"eventSourceArn":...,"bootstrapServers":...}`: AWS's key order, no ARN for self-managed. */
function envelopeText({ eventSource, eventSourceArn, bootstrapServers }: KafkaEnvelope): string {
  return JSON.stringify({
    eventSource,
    ...(eventSourceArn !== undefined ? { eventSourceArn } : {}),
    bootstrapServers,
  });
}

/** The bytes `kafkaEvent` adds to its records': the envelope and one partition's key, as the 6 MB cap counts. */
export function kafkaEnvelopeBytes(envelope: KafkaEnvelope, topic: string): number {
  return Buffer.byteLength(
    `${envelopeText(envelope).slice(0, -1)},"records":{${JSON.stringify(`${topic}-0000`)}:[]}}`,
  );
}
