/**
 * The rules Lambda applies beyond the API model, in the order Lambda applies them (the order decides which error
 * a request with several faults gets; conformance/esm-api-cases.jsonl pins part of it). Each failure is an
 * InvalidParameterValueException whose message names the field and the rule.
 */
import { patternError } from "../pipeline/filter/index.js";
import { InvalidParameterValueException } from "../runtime/errors.js";
import { type ConfigField, SOURCE_KINDS, type SourceKindSpec } from "./source-kinds.js";
import type { EventSourceMapping, MappingConfig, SourceKind } from "./types.js";

/** Filters per mapping: AWS's default quota. */
export const MAX_FILTERS = 5;
export const MAX_TAGS = 50;

/** The fields of a Create/Update body that end up in the mapping's configuration. */
export type ConfigInput = Partial<MappingConfig>;

export const CREATE_ONLY: readonly ConfigField[] = [
  "EventSourceArn",
  "StartingPosition",
  "StartingPositionTimestamp",
  "Topics",
  "Queues",
  "SelfManagedEventSource",
  "AmazonManagedKafkaEventSourceConfig",
  "SelfManagedKafkaEventSourceConfig",
];

const invalid = (message: string) => new InvalidParameterValueException(message);

/** Rule 1, checked before anything else: event source mappings accept on-failure destinations only. */
export function rejectOnSuccess(input: ConfigInput): void {
  if (input.DestinationConfig?.OnSuccess !== undefined)
    throw invalid("Unsupported DestinationConfig parameter for given event source mapping type.");
}

/** Fields foreign to the kind, and Kafka's provisioned-mode-only fields outside provisioned mode. */
export function rejectForeignFields(spec: SourceKindSpec, input: ConfigInput, provisioned: boolean): void {
  for (const field of Object.keys(input) as ConfigField[]) {
    if (input[field] === undefined || field === "BatchSize" || field === "EventSourceArn") continue;
    if (!spec.fields.has(field)) {
      throw invalid(`Unsupported ${field} parameter for given event source mapping type.`);
    }
    if (spec.provisionedOnly.has(field) && !provisioned) {
      throw invalid(
        `${field} is supported for Kafka event sources only in provisioned mode: set ProvisionedPollerConfig.`,
      );
    }
  }
}

/** Create-only fields may be repeated on update with the same value, never changed. */
export function rejectCreateOnlyChanges(stored: EventSourceMapping, input: Record<string, unknown>): void {
  for (const field of CREATE_ONLY) {
    if (input[field] === undefined) continue;
    if (JSON.stringify(input[field]) !== JSON.stringify(stored.config[field]))
      throw invalid(`${field} cannot be changed after the event source mapping is created.`);
  }
  const vhost = (config: { SourceAccessConfigurations?: MappingConfig["SourceAccessConfigurations"] }) =>
    config.SourceAccessConfigurations?.find((c) => c.Type === "VIRTUAL_HOST")?.URI;
  const requested = input.SourceAccessConfigurations as MappingConfig["SourceAccessConfigurations"];
  if (requested !== undefined && vhost({ SourceAccessConfigurations: requested }) !== vhost(stored.config))
    throw invalid("VIRTUAL_HOST cannot be changed after the event source mapping is created.");
}

/** Fields a kind cannot do without. */
export function requireKindFields(kind: SourceKind, input: ConfigInput): void {
  const missing = (member: string) => invalid(`Required '${member}' parameter is missing.`);
  switch (kind) {
    case "kafka":
      if (!input.SelfManagedEventSource?.Endpoints?.KAFKA_BOOTSTRAP_SERVERS)
        throw missing("selfManagedEventSource.endpoints.KAFKA_BOOTSTRAP_SERVERS");
      if (!input.SourceAccessConfigurations) throw missing("sourceAccessConfigurations");
      if (!input.Topics) throw missing("topics");
      return;
    case "msk":
      if (!input.Topics) throw missing("topics");
      return;
    case "mq":
      if (!input.Queues) throw missing("queues");
      if (!input.SourceAccessConfigurations?.some((c) => c.Type === "BASIC_AUTH"))
        throw invalid(
          "Amazon MQ event sources require a BASIC_AUTH SourceAccessConfiguration (a secret ARN).",
        );
      return;
    case "documentdb":
      if (!input.DocumentDBEventSourceConfig?.DatabaseName)
        throw missing("documentDBEventSourceConfig.databaseName");
      return;
    default:
      return;
  }
}

export function checkStartingPosition(
  spec: SourceKindSpec,
  input: ConfigInput,
  eventSourceArn: string,
): void {
  const position = input.StartingPosition;
  if (position === undefined) {
    if (spec.startingPosition === "required")
      throw invalid(
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: Member must not be null.",
      );
  } else if (spec.startingPosition === "forbidden") {
    throw invalid("Unsupported StartingPosition parameter for given event source mapping type.");
  } else if (position === "AT_TIMESTAMP" && !spec.atTimestamp) {
    throw invalid(`Unsupported starting position for arn type: ${eventSourceArn}`);
  }
  const timestamp = input.StartingPositionTimestamp;
  if (position === "AT_TIMESTAMP" && timestamp === undefined)
    throw invalid("StartingPositionTimestamp is required when StartingPosition is AT_TIMESTAMP.");
  if (position !== "AT_TIMESTAMP" && timestamp !== undefined)
    throw invalid("StartingPositionTimestamp is only allowed when StartingPosition is AT_TIMESTAMP.");
  if (timestamp !== undefined && timestamp * 1000 > Date.now())
    throw invalid("StartingPositionTimestamp cannot be in the future.");
}

/** Rules on the mapping's full (merged) configuration: they hold after an update as after a create. */
export function checkConfig(kind: SourceKind, fifo: boolean, config: MappingConfig): void {
  const spec = SOURCE_KINDS[kind];
  checkBatching(kind, fifo, config);
  const age = config.MaximumRecordAgeInSeconds;
  if (age !== undefined && age !== -1 && age < 60)
    throw invalid("MaximumRecordAgeInSeconds must be -1 (infinite) or between 60 and 604800.");
  checkScaling(kind, config);
  checkAccessConfigurations(spec, config);
  checkDestination(kind, config);
  checkMetrics(kind, config);
  checkFilters(config);
}

function checkBatching(kind: SourceKind, fifo: boolean, config: MappingConfig): void {
  if (kind !== "sqs") return;
  const window = config.MaximumBatchingWindowInSeconds ?? 0;
  if (fifo) {
    if (config.BatchSize > 10) throw invalid("BatchSize must be between 1 and 10 for FIFO queues.");
    if (window > 0) throw invalid("Batching window is not supported for FIFO queues.");
    return;
  }
  if (config.BatchSize > 10 && window < 1)
    throw invalid(
      "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
    );
}

function checkScaling(kind: SourceKind, config: MappingConfig): void {
  const pollers = config.ProvisionedPollerConfig;
  if (pollers) {
    const min = pollers.MinimumPollers;
    const max = pollers.MaximumPollers;
    if (kind === "sqs" && min !== undefined && min < 2)
      throw invalid("ProvisionedPollerConfig.MinimumPollers must be between 2 and 200 for Amazon SQS.");
    if (kind === "sqs" && max !== undefined && max < 2)
      throw invalid("ProvisionedPollerConfig.MaximumPollers must be between 2 and 2000 for Amazon SQS.");
    if (min !== undefined && max !== undefined && max < min)
      throw invalid(
        "ProvisionedPollerConfig.MaximumPollers must be greater than or equal to MinimumPollers.",
      );
    if (config.ScalingConfig?.MaximumConcurrency !== undefined)
      throw invalid("ScalingConfig and ProvisionedPollerConfig cannot be used together.");
  }
}

function checkAccessConfigurations(spec: SourceKindSpec, config: MappingConfig): void {
  const seen = new Set<string>();
  for (const { Type } of config.SourceAccessConfigurations ?? []) {
    if (!spec.accessTypes.has(Type))
      throw invalid(
        `Unsupported SourceAccessConfiguration type ${Type} for given event source mapping type.`,
      );
    if (seen.has(Type)) throw invalid(`SourceAccessConfigurations contains more than one ${Type}.`);
    seen.add(Type);
  }
  const auth = [...seen].filter((t) => t.endsWith("_AUTH"));
  if (auth.length > 1) throw invalid(`Only one authentication method may be set; found ${auth.join(", ")}.`);
}

function checkDestination(kind: SourceKind, config: MappingConfig): void {
  const destination = config.DestinationConfig?.OnFailure?.Destination;
  if (destination === undefined || destination === "") return;
  const service = destination.startsWith("kafka://") ? "kafka-topic" : destination.split(":")[2];
  const allowed = ["sqs", "sns", "s3"];
  if (kind === "msk" || kind === "kafka") allowed.push("kafka-topic");
  if (service === undefined || !allowed.includes(service))
    throw invalid(
      `Unsupported on-failure destination ${destination}: use an Amazon SQS queue, Amazon SNS topic or Amazon S3 bucket ARN${
        allowed.includes("kafka-topic") ? ", or kafka://<topic>" : ""
      }.`,
    );
  if (service === "kafka-topic") {
    if (!config.ProvisionedPollerConfig)
      throw invalid(
        "A kafka:// on-failure destination requires provisioned mode: set ProvisionedPollerConfig.",
      );
    if (config.Topics?.includes(destination.slice("kafka://".length)))
      throw invalid("The on-failure destination topic cannot be a source topic of the event source mapping.");
  }
}

function checkMetrics(kind: SourceKind, config: MappingConfig): void {
  for (const metric of config.MetricsConfig?.Metrics ?? []) {
    if (metric !== "EventCount" && kind !== "msk" && kind !== "kafka")
      throw invalid(`Metric ${metric} is available only for Kafka event sources.`);
  }
}

function checkFilters(config: MappingConfig): void {
  const filters = config.FilterCriteria?.Filters ?? [];
  if (filters.length > MAX_FILTERS)
    throw invalid(`FilterCriteria may hold at most ${MAX_FILTERS} filters; found ${filters.length}.`);
  for (const filter of filters) {
    // Lambda answers with one sentence; the engine's detailed reason travels as the cause, for the log.
    const reason =
      typeof filter.Pattern === "string" ? patternError(filter.Pattern) : new Error("Pattern is missing");
    if (reason)
      throw new InvalidParameterValueException("Invalid filter pattern definition.", { cause: reason });
  }
}

/** Checks a resource's tags as they will be once the request is applied. */
export function checkTags(tags: Record<string, string>): void {
  const count = Object.keys(tags).length;
  if (count > MAX_TAGS)
    throw invalid(`A resource can have at most ${MAX_TAGS} tags; this request makes ${count}.`);
  for (const key of Object.keys(tags)) {
    if (key.toLowerCase().startsWith("aws:"))
      throw invalid(`Tag keys starting with "aws:" are reserved: ${key}`);
  }
}
