/**
 * The one module that knows the Kafka client library. Sluice is written against the KafkaJS API (kafkajs
 * here); @confluentinc/kafka-javascript offers the same API over librdkafka, so moving to it changes this file
 * alone.
 */
import type { ConnectionOptions } from "node:tls";
import type { FastifyBaseLogger } from "fastify";
import { Kafka, type LogEntry, logLevel, Partitioners, type SASLOptions } from "kafkajs";

export type {
  Admin as KafkaAdmin,
  Batch as KafkaBatch,
  Consumer as KafkaConsumer,
  KafkaMessage,
  Producer as KafkaProducer,
} from "kafkajs";

/** How to reach a cluster and prove who Sluice is: what a mapping's SourceAccessConfigurations resolve to. */
export interface KafkaConnection {
  brokers: string[];
  /** TLS: true for the system's CAs, or options carrying a private CA and a client certificate. */
  ssl?: ConnectionOptions | true;
  sasl?: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string };
}

/**
 * A client for one mapping's cluster. The library's own log goes to Sluice's at debug level: it reports every
 * rebalance and retry as an error, while what a user must see reaches the mapping's LastProcessingResult.
 */
export type KafkaClient = Kafka;

export function kafkaClient(
  connection: KafkaConnection,
  clientId: string,
  log: FastifyBaseLogger,
): KafkaClient {
  return new Kafka({
    clientId,
    brokers: connection.brokers,
    ...(connection.ssl ? { ssl: connection.ssl } : {}),
    ...(connection.sasl ? { sasl: connection.sasl as SASLOptions } : {}),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, log: entry }: LogEntry) =>
        log.debug({ kafka: namespace, ...entry }, entry.message),
  });
}

/** A producer that partitions keyed records as Java clients do (murmur2), which is also KafkaJS's default. */
export function kafkaProducer(client: KafkaClient) {
  return client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
}
