/**
 * The request shapes of the Lambda 2015-03-31 event-source-mapping and tagging operations, with the member
 * constraints of AWS's API model. Two patterns are widened on purpose: the region part of an ARN also accepts
 * emulator regions such as DynamoDB Local's `ddblocal`, and an on-failure destination may be `kafka://<topic>`.
 */
import type { Shape, Structure } from "./model.js";

const ARN_PATTERN = String.raw`arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z0-9-]+)?:(\d{12})?:(.*)`;
export const FUNCTION_NAME_PATTERN = String.raw`(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`;
const URI_PATTERN = String.raw`[a-zA-Z0-9-\/*:_+=.@-]*`;
const BOOTSTRAP_SERVER_PATTERN = String.raw`^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9\-]*[A-Za-z0-9]):[0-9]{1,5}`;
const DOCDB_NAME_PATTERN = String.raw`[^ /\.$\x22]*`;

export const STARTING_POSITIONS = ["LATEST", "AT_TIMESTAMP", "TRIM_HORIZON"] as const;
export const SOURCE_ACCESS_TYPES = [
  "BASIC_AUTH",
  "VPC_SUBNET",
  "VPC_SECURITY_GROUP",
  "SASL_SCRAM_512_AUTH",
  "SASL_SCRAM_256_AUTH",
  "VIRTUAL_HOST",
  "CLIENT_CERTIFICATE_TLS_AUTH",
  "SERVER_ROOT_CA_CERTIFICATE",
] as const;

const str = (constraints: Omit<Extract<Shape, { type: "string" }>, "type"> = {}): Shape => ({
  type: "string",
  ...constraints,
});
const int = (min: number, max: number): Shape => ({ type: "integer", min, max });
const bool: Shape = { type: "boolean" };
const struct = (members: Record<string, Shape>, required?: string[]): Structure => ({
  type: "structure",
  members,
  ...(required ? { required } : {}),
});

const destination = struct({
  Destination: str({ min: 0, max: 350, pattern: `^$|kafka://.*|${ARN_PATTERN}` }),
});
const consumerGroup = struct({ ConsumerGroupId: str({ min: 1, max: 200, pattern: URI_PATTERN }) });

const tagsShape: Shape = {
  type: "map",
  key: str({ min: 1, max: 128 }),
  value: str({ min: 0, max: 256 }),
};

/** Members that Create and Update share. */
const updatable: Record<string, Shape> = {
  FunctionName: str({ min: 1, max: 140, pattern: FUNCTION_NAME_PATTERN }),
  Enabled: bool,
  BatchSize: int(1, 10000),
  FilterCriteria: struct({
    Filters: { type: "list", member: struct({ Pattern: str({ min: 0, max: 4096 }) }) },
  }),
  MaximumBatchingWindowInSeconds: int(0, 300),
  DestinationConfig: struct({ OnSuccess: destination, OnFailure: destination }),
  MaximumRecordAgeInSeconds: int(-1, 604800),
  BisectBatchOnFunctionError: bool,
  MaximumRetryAttempts: int(-1, 10000),
  ParallelizationFactor: int(1, 10),
  SourceAccessConfigurations: {
    type: "list",
    min: 0,
    max: 22,
    member: struct({
      Type: str({ enum: SOURCE_ACCESS_TYPES }),
      URI: str({ min: 1, max: 200, pattern: URI_PATTERN }),
    }),
  },
  TumblingWindowInSeconds: int(0, 900),
  FunctionResponseTypes: {
    type: "list",
    min: 0,
    max: 1,
    member: str({ enum: ["ReportBatchItemFailures"] }),
  },
  ScalingConfig: struct({ MaximumConcurrency: int(2, 1000) }),
  DocumentDBEventSourceConfig: struct({
    DatabaseName: str({ min: 1, max: 63, pattern: DOCDB_NAME_PATTERN }),
    CollectionName: str({ min: 1, max: 57, pattern: DOCDB_NAME_PATTERN }),
    FullDocument: str({ enum: ["UpdateLookup", "Default"] }),
  }),
  KMSKeyArn: str({ pattern: "(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()" }),
  MetricsConfig: struct({
    Metrics: {
      type: "list",
      min: 0,
      max: 3,
      member: str({ enum: ["EventCount", "ErrorCount", "KafkaMetrics"] }),
    },
  }),
  ProvisionedPollerConfig: struct({ MinimumPollers: int(1, 200), MaximumPollers: int(1, 2000) }),
};

/**
 * Members only Create sets. Update's model lacks them; Sluice still reads them there, typed, so that a client
 * sending one gets told it cannot change (or a no-op when the value is the stored one), not silence.
 */
const createOnly: Record<string, Shape> = {
  EventSourceArn: str({ pattern: ARN_PATTERN }),
  StartingPosition: str({ enum: STARTING_POSITIONS }),
  StartingPositionTimestamp: { type: "timestamp" },
  Topics: {
    type: "list",
    min: 1,
    max: 1,
    member: str({ min: 1, max: 249, pattern: String.raw`^[^.]([a-zA-Z0-9\-_.]+)` }),
  },
  Queues: { type: "list", min: 1, max: 1, member: str({ min: 1, max: 1000, pattern: String.raw`[\s\S]*` }) },
  SelfManagedEventSource: struct(
    {
      Endpoints: {
        type: "map",
        max: 2,
        key: str({ enum: ["KAFKA_BOOTSTRAP_SERVERS"] }),
        value: {
          type: "list",
          min: 1,
          max: 10,
          member: str({ min: 1, max: 300, pattern: BOOTSTRAP_SERVER_PATTERN }),
        },
      },
    },
    ["Endpoints"],
  ),
  AmazonManagedKafkaEventSourceConfig: consumerGroup,
  SelfManagedKafkaEventSourceConfig: consumerGroup,
};

export const createShape: Structure = struct({ ...updatable, ...createOnly, Tags: tagsShape }, [
  "FunctionName",
]);

export const updateShape: Structure = struct({ ...updatable, ...createOnly });

export const listShape: Structure = struct({
  EventSourceArn: str({ pattern: ARN_PATTERN }),
  FunctionName: str({ min: 1, max: 140, pattern: FUNCTION_NAME_PATTERN }),
  MaxItems: int(1, 10000),
  Marker: str(),
});

/** The resource ARN accepted by the tagging operations, exactly as Lambda's model states it. */
export const TAGGABLE_ARN_PATTERN = String.raw`arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)`;

export const resourceArnShape: Structure = struct({ Resource: str({ pattern: TAGGABLE_ARN_PATTERN }) });

export const tagResourceShape: Structure = struct({ Tags: tagsShape }, ["Tags"]);

export const untagResourceShape: Structure = struct(
  { TagKeys: { type: "list", min: 1, max: 50, member: str({ min: 1, max: 128 }) } },
  ["TagKeys"],
);
