/**
 * How to reach the Kafka cluster a mapping names and how to authenticate, from the mapping and the config file:
 * self-managed Kafka's bootstrap servers, or an MSK cluster's from `brokers:` (keyed by the cluster ARN); the
 * SourceAccessConfigurations' secrets from `secrets:`. As with AWS, SASL and certificates imply TLS.
 */
import type { SluiceConfig } from "../../config/config.js";
import type { MappingConfig } from "../../mappings/types.js";
import { BrokerConfigError } from "../broker-config-error.js";
import { configSecret } from "../config-secret.js";
import type { KafkaConnection } from "./client.js";

export interface KafkaAccess {
  connection: KafkaConnection;
  topic: string;
  groupId: string;
  /** What the events say: `aws:kafka` and the cluster ARN for MSK, `SelfManagedKafka` and no ARN otherwise. */
  eventSource: "aws:kafka" | "SelfManagedKafka";
  eventSourceArn: string | undefined;
  /** The bootstrap servers joined by commas, as events and on-failure records carry them. */
  bootstrapServers: string;
}

const SASL_TYPES = {
  BASIC_AUTH: "plain",
  SASL_SCRAM_256_AUTH: "scram-sha-256",
  SASL_SCRAM_512_AUTH: "scram-sha-512",
} as const;

type MappingFields = Pick<
  MappingConfig,
  | "EventSourceArn"
  | "Topics"
  | "SourceAccessConfigurations"
  | "SelfManagedEventSource"
  | "SelfManagedKafkaEventSourceConfig"
  | "AmazonManagedKafkaEventSourceConfig"
>;

export function kafkaAccess(
  config: MappingFields,
  { brokers, secrets }: Pick<SluiceConfig, "brokers" | "secrets">,
): KafkaAccess {
  const clusterArn = config.EventSourceArn;
  let servers = config.SelfManagedEventSource?.Endpoints?.KAFKA_BOOTSTRAP_SERVERS;
  if (clusterArn) {
    servers = brokers[clusterArn]?.bootstrapServers;
    if (!servers)
      throw new BrokerConfigError(
        `The MSK cluster ${clusterArn} is not in the config file's brokers: add it with its bootstrapServers. ` +
          `Looking clusters up with MSK's GetBootstrapBrokers is not built yet.`,
      );
  }
  const connection: KafkaConnection = { brokers: servers ?? [] };
  const secret = (type: string, fields: string[]) => configSecret(config, secrets, type, fields);
  for (const [type, mechanism] of Object.entries(SASL_TYPES)) {
    const found = secret(type, ["username", "password"]);
    if (!found) continue;
    if (connection.sasl)
      throw new BrokerConfigError(
        "A Kafka mapping takes one SASL authentication: BASIC_AUTH or SASL_SCRAM_*.",
      );
    connection.sasl = { mechanism, username: found.username as string, password: found.password as string };
    connection.ssl = true;
  }
  const client = secret("CLIENT_CERTIFICATE_TLS_AUTH", ["certificate", "privateKey"]);
  const rootCa = secret("SERVER_ROOT_CA_CERTIFICATE", ["certificate"]);
  if (client || rootCa)
    connection.ssl = {
      ...(rootCa ? { ca: [rootCa.certificate as string] } : {}),
      ...(client
        ? {
            cert: client.certificate,
            key: client.privateKey,
            ...(client.privateKeyPassword ? { passphrase: client.privateKeyPassword } : {}),
          }
        : {}),
    };
  const groupId =
    config.SelfManagedKafkaEventSourceConfig?.ConsumerGroupId ??
    config.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId;
  return {
    connection,
    topic: config.Topics?.[0] ?? "",
    groupId: groupId ?? "",
    eventSource: clusterArn ? "aws:kafka" : "SelfManagedKafka",
    eventSourceArn: clusterArn,
    bootstrapServers: connection.brokers.join(","),
  };
}
