/**
 * How to reach the Amazon MQ broker a mapping names: its endpoints from the config file's `brokers:` (keyed by
 * the broker ARN), its engine from their scheme, and the credentials of the mapping's BASIC_AUTH secret from
 * `secrets:`. What cannot be resolved is a configuration error the mapping reports (ESM_CONFIG_NOT_VALID).
 */
import type { SluiceConfig } from "../../config/config.js";
import type { MappingConfig } from "../../mappings/types.js";
import { BrokerConfigError } from "../broker-config-error.js";

/** RabbitMQ speaks AMQP 0-9-1; ActiveMQ is read over STOMP, which Amazon MQ for ActiveMQ also offers. */
export type MqEngine = "rabbitmq" | "activemq";

const ENGINE_OF_SCHEME: Readonly<Record<string, MqEngine>> = {
  "amqp:": "rabbitmq",
  "amqps:": "rabbitmq",
  "stomp:": "activemq",
  "stomp+ssl:": "activemq",
};

/** The endpoint schemes a broker entry may use, for the config file's own check. */
export const MQ_ENDPOINT_SCHEMES = Object.keys(ENGINE_OF_SCHEME).map((s) => `${s}//`);

export interface BrokerAccess {
  engine: MqEngine;
  /** Tried in order: a single broker, or an active/standby pair. */
  endpoints: URL[];
  username: string;
  password: string;
  /** The queue's name, the mapping's only entry in `Queues`. */
  queue: string;
  /** RabbitMQ's virtual host: the mapping's VIRTUAL_HOST, or "/". */
  virtualHost: string;
}

export function brokerAccess(
  brokerArn: string,
  config: Pick<MappingConfig, "Queues" | "SourceAccessConfigurations">,
  { brokers, secrets }: Pick<SluiceConfig, "brokers" | "secrets">,
): BrokerAccess {
  const broker = brokers[brokerArn];
  if (!broker?.endpoints)
    throw new BrokerConfigError(
      `The broker ${brokerArn} is not in the config file's brokers: add it with the endpoints to reach it ` +
        `(amqp:// for RabbitMQ, stomp:// for ActiveMQ). Looking brokers up with Amazon MQ's DescribeBroker is ` +
        `not built yet.`,
    );
  const endpoints = broker.endpoints.map((e) => new URL(e));
  const engines = new Set(endpoints.map((e) => ENGINE_OF_SCHEME[e.protocol]));
  const [engine] = engines;
  if (engines.size !== 1 || engine === undefined)
    throw new BrokerConfigError(
      `The broker ${brokerArn}'s endpoints must all be ${MQ_ENDPOINT_SCHEMES.join(", ")} of one engine.`,
    );
  const access = config.SourceAccessConfigurations ?? [];
  const secretArn = access.find((c) => c.Type === "BASIC_AUTH")?.URI ?? "";
  const secret = secrets[secretArn];
  if (secret?.username === undefined || secret.password === undefined)
    throw new BrokerConfigError(
      `The BASIC_AUTH secret ${secretArn} is not in the config file's secrets, with a username and a ` +
        `password. Reading secrets from AWS Secrets Manager is not built yet.`,
    );
  const virtualHost = access.find((c) => c.Type === "VIRTUAL_HOST")?.URI;
  if (virtualHost !== undefined && engine !== "rabbitmq")
    throw new BrokerConfigError("VIRTUAL_HOST applies to RabbitMQ brokers only.");
  return {
    engine,
    endpoints,
    username: secret.username,
    password: secret.password,
    queue: config.Queues?.[0] ?? "",
    virtualHost: virtualHost ?? "/",
  };
}
