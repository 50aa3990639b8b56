/**
 * One table row per source kind: the fields it accepts, the defaults AWS fills in (and returns) on create, and
 * how AWS words its responses. References: reference/aws-esm-facts.md §9, and the AWS-recorded create responses
 * in conformance/aws-recorded-payloads.json (`esm_responses`).
 */
import { InvalidParameterValueException } from "../runtime/errors.js";
import type { MappingConfig, SourceKind } from "./types.js";

export type ConfigField = keyof MappingConfig;

export interface SourceKindSpec {
  kind: SourceKind;
  /** Fields the kind accepts in Create/Update, besides FunctionName, Enabled, BatchSize, Tags and the source. */
  fields: ReadonlySet<ConfigField>;
  /** Fields a Kafka mapping accepts only in provisioned mode (ProvisionedPollerConfig set). */
  provisionedOnly: ReadonlySet<ConfigField>;
  startingPosition: "required" | "defaultsToTrimHorizon" | "forbidden";
  atTimestamp: boolean;
  /** Filled in on create, stored, and returned: the keys AWS always shows for this kind. */
  defaults(uuid: string): MappingConfig;
  /** Shown in responses while unset, without being stored (DocumentDB shows its 500 ms default window as 0). */
  shownWhenAbsent: Partial<MappingConfig>;
  /** `StateTransitionReason` for a user's change: AWS words it differently per kind. */
  userActionReason: "User action" | "USER_INITIATED";
  /** Whether create responses carry `LastProcessingResult: "No records processed"` (AWS omits it for SQS). */
  reportsInitialProcessingResult: boolean;
  /** Source access types the kind accepts. */
  accessTypes: ReadonlySet<string>;
}

const set = <T>(...items: T[]): ReadonlySet<T> => new Set(items);

const STREAM_FIELDS = set<ConfigField>(
  "MaximumBatchingWindowInSeconds",
  "ParallelizationFactor",
  "StartingPosition",
  "StartingPositionTimestamp",
  "FilterCriteria",
  "DestinationConfig",
  "MaximumRecordAgeInSeconds",
  "BisectBatchOnFunctionError",
  "MaximumRetryAttempts",
  "TumblingWindowInSeconds",
  "FunctionResponseTypes",
  "MetricsConfig",
  "KMSKeyArn",
);

const KAFKA_PROVISIONED_ONLY = set<ConfigField>(
  "MaximumRecordAgeInSeconds",
  "BisectBatchOnFunctionError",
  "MaximumRetryAttempts",
  "FunctionResponseTypes",
);

const kafkaFields = (consumerGroupField: ConfigField, ...extra: ConfigField[]) =>
  set<ConfigField>(
    "MaximumBatchingWindowInSeconds",
    "StartingPosition",
    "StartingPositionTimestamp",
    "FilterCriteria",
    "DestinationConfig",
    "Topics",
    "SourceAccessConfigurations",
    "MetricsConfig",
    "ProvisionedPollerConfig",
    "KMSKeyArn",
    consumerGroupField,
    ...KAFKA_PROVISIONED_ONLY,
    ...extra,
  );

const streamDefaults = (): MappingConfig => ({
  BatchSize: 100,
  BisectBatchOnFunctionError: false,
  DestinationConfig: { OnFailure: {} },
  FunctionResponseTypes: [],
  MaximumBatchingWindowInSeconds: 0,
  MaximumRecordAgeInSeconds: -1,
  MaximumRetryAttempts: -1,
  ParallelizationFactor: 1,
  TumblingWindowInSeconds: 0,
});

const noFields = set<ConfigField>();
const noAccessTypes = set<string>();

const streamSpec = (kind: "kinesis" | "dynamodb"): SourceKindSpec => ({
  kind,
  fields: STREAM_FIELDS,
  provisionedOnly: noFields,
  startingPosition: "required",
  atTimestamp: kind === "kinesis",
  defaults: streamDefaults,
  shownWhenAbsent: {},
  userActionReason: "User action",
  reportsInitialProcessingResult: true,
  accessTypes: noAccessTypes,
});

export const SOURCE_KINDS: Readonly<Record<SourceKind, SourceKindSpec>> = {
  sqs: {
    kind: "sqs",
    fields: set<ConfigField>(
      "MaximumBatchingWindowInSeconds",
      "FilterCriteria",
      "FunctionResponseTypes",
      "ScalingConfig",
      "MetricsConfig",
      "ProvisionedPollerConfig",
      "KMSKeyArn",
    ),
    provisionedOnly: noFields,
    startingPosition: "forbidden",
    atTimestamp: false,
    defaults: () => ({ BatchSize: 10, FunctionResponseTypes: [], MaximumBatchingWindowInSeconds: 0 }),
    shownWhenAbsent: {},
    userActionReason: "USER_INITIATED",
    reportsInitialProcessingResult: false,
    accessTypes: noAccessTypes,
  },
  kinesis: streamSpec("kinesis"),
  dynamodb: streamSpec("dynamodb"),
  msk: {
    kind: "msk",
    fields: kafkaFields("AmazonManagedKafkaEventSourceConfig"),
    provisionedOnly: KAFKA_PROVISIONED_ONLY,
    startingPosition: "required",
    atTimestamp: true,
    defaults: (uuid) => ({ BatchSize: 100, AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: uuid } }),
    shownWhenAbsent: {},
    userActionReason: "USER_INITIATED",
    reportsInitialProcessingResult: true,
    accessTypes: set(
      "SASL_SCRAM_512_AUTH",
      "CLIENT_CERTIFICATE_TLS_AUTH",
      "VPC_SUBNET",
      "VPC_SECURITY_GROUP",
    ),
  },
  kafka: {
    kind: "kafka",
    fields: kafkaFields("SelfManagedKafkaEventSourceConfig", "SelfManagedEventSource"),
    provisionedOnly: KAFKA_PROVISIONED_ONLY,
    // AWS-recorded: a self-managed Kafka mapping created without StartingPosition reads from TRIM_HORIZON.
    startingPosition: "defaultsToTrimHorizon",
    atTimestamp: true,
    defaults: (uuid) => ({
      BatchSize: 100,
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: uuid },
      StartingPosition: "TRIM_HORIZON",
    }),
    shownWhenAbsent: {},
    userActionReason: "USER_INITIATED",
    reportsInitialProcessingResult: true,
    accessTypes: set(
      "BASIC_AUTH",
      "SASL_SCRAM_256_AUTH",
      "SASL_SCRAM_512_AUTH",
      "CLIENT_CERTIFICATE_TLS_AUTH",
      "SERVER_ROOT_CA_CERTIFICATE",
      "VPC_SUBNET",
      "VPC_SECURITY_GROUP",
    ),
  },
  mq: {
    kind: "mq",
    fields: set<ConfigField>(
      "MaximumBatchingWindowInSeconds",
      "FilterCriteria",
      "Queues",
      "SourceAccessConfigurations",
      "KMSKeyArn",
    ),
    provisionedOnly: noFields,
    startingPosition: "forbidden",
    atTimestamp: false,
    defaults: () => ({ BatchSize: 100 }),
    shownWhenAbsent: {},
    userActionReason: "USER_INITIATED",
    reportsInitialProcessingResult: true,
    accessTypes: set("BASIC_AUTH", "VIRTUAL_HOST"),
  },
  documentdb: {
    kind: "documentdb",
    fields: set<ConfigField>(
      "MaximumBatchingWindowInSeconds",
      "StartingPosition",
      "StartingPositionTimestamp",
      "DocumentDBEventSourceConfig",
      "SourceAccessConfigurations",
    ),
    provisionedOnly: noFields,
    startingPosition: "required",
    atTimestamp: true,
    defaults: () => ({ BatchSize: 100 }),
    shownWhenAbsent: { MaximumBatchingWindowInSeconds: 0 },
    userActionReason: "User action",
    reportsInitialProcessingResult: true,
    accessTypes: set("BASIC_AUTH"),
  },
};

export interface DetectedSource {
  kind: SourceKind;
  fifo: boolean;
}

/** Which kind of source a create request names, as Lambda decides it: by the ARN's service. */
export function detectSource(eventSourceArn: string | undefined, selfManaged: boolean): DetectedSource {
  if (selfManaged) {
    if (eventSourceArn !== undefined)
      throw new InvalidParameterValueException(
        "EventSourceArn and SelfManagedEventSource cannot both be specified.",
      );
    return { kind: "kafka", fifo: false };
  }
  if (eventSourceArn === undefined) throw new InvalidParameterValueException("Unrecognized event source.");
  const [, , service = "", , , ...rest] = eventSourceArn.split(":");
  const resource = rest.join(":");
  switch (service) {
    case "sqs":
      return { kind: "sqs", fifo: resource.endsWith(".fifo") };
    case "kinesis":
      if (resource.startsWith("stream/")) return { kind: "kinesis", fifo: false };
      break;
    case "dynamodb":
      if (/^table\/[^/]+\/stream\/.+/.test(resource)) return { kind: "dynamodb", fifo: false };
      break;
    case "kafka":
      if (resource.startsWith("cluster/")) return { kind: "msk", fifo: false };
      break;
    case "mq":
      if (resource.startsWith("broker:")) return { kind: "mq", fifo: false };
      break;
    case "rds":
      if (resource.startsWith("cluster:")) return { kind: "documentdb", fifo: false };
      break;
  }
  throw new InvalidParameterValueException("Unrecognized event source.");
}
