/**
 * How to reach the DocumentDB cluster a mapping names and what to watch: the cluster's MongoDB connection string
 * from the config file's `brokers:` (keyed by the cluster ARN), the credentials of the mapping's BASIC_AUTH
 * secret from `secrets:`, and the mapping's DocumentDBEventSourceConfig. A cluster the config file lacks is a
 * configuration error the mapping reports (ESM_CONFIG_NOT_VALID).
 */
import type { SluiceConfig } from "../../config/config.js";
import type { MappingConfig } from "../../mappings/types.js";
import { BrokerConfigError } from "../broker-config-error.js";
import { configSecret } from "../config-secret.js";

/** DocumentDB's default change_stream_log_retention_duration: 3 hours. */
const DOCUMENTDB_RETENTION_SECONDS = 10_800;

export interface DocumentdbAccess {
  clusterArn: string;
  uri: string;
  /** From the BASIC_AUTH secret; without one, the connection string's own credentials (if any) apply. */
  auth: { username: string; password: string } | undefined;
  database: string;
  /** Undefined: every collection of the database. */
  collection: string | undefined;
  /** The change stream's fullDocument option: UpdateLookup adds the whole document to update events. */
  fullDocument: "default" | "updateLookup";
  /** How far back TRIM_HORIZON starts: the cluster's change stream retention. */
  retentionMs: number;
}

export function documentdbAccess(
  config: Pick<
    MappingConfig,
    "EventSourceArn" | "SourceAccessConfigurations" | "DocumentDBEventSourceConfig"
  >,
  { brokers, secrets }: Pick<SluiceConfig, "brokers" | "secrets">,
): DocumentdbAccess {
  const clusterArn = config.EventSourceArn ?? "";
  const cluster = brokers[clusterArn];
  if (!cluster?.uri)
    throw new BrokerConfigError(
      `The DocumentDB cluster ${clusterArn} is not in the config file's brokers: add it with the uri to reach ` +
        `it (mongodb://...). Looking clusters up with RDS DescribeDBClusters is not built yet.`,
    );
  const secret = configSecret(config, secrets, "BASIC_AUTH", ["username", "password"]);
  const source = config.DocumentDBEventSourceConfig;
  return {
    clusterArn,
    uri: cluster.uri,
    auth: secret ? { username: secret.username as string, password: secret.password as string } : undefined,
    database: source?.DatabaseName ?? "",
    collection: source?.CollectionName,
    fullDocument: source?.FullDocument === "UpdateLookup" ? "updateLookup" : "default",
    retentionMs: (cluster.changeStreamRetentionSeconds ?? DOCUMENTDB_RETENTION_SECONDS) * 1000,
  };
}
