/** The event source mapping resource, with AWS's field names so that what is stored is what the API returns. */
import type { MappingState } from "./state.js";

export type SourceKind = "sqs" | "kinesis" | "dynamodb" | "msk" | "kafka" | "mq" | "documentdb";

export type StartingPosition = "LATEST" | "AT_TIMESTAMP" | "TRIM_HORIZON";

export interface Filter {
  Pattern?: string;
}

export interface SourceAccessConfiguration {
  Type: string;
  URI: string;
}

export interface DestinationConfig {
  OnSuccess?: { Destination?: string };
  OnFailure?: { Destination?: string };
}

/** Every configuration field a mapping can carry; which ones a kind carries is set in defaults.ts. */
export interface MappingConfig {
  EventSourceArn?: string;
  BatchSize: number;
  MaximumBatchingWindowInSeconds?: number;
  ParallelizationFactor?: number;
  StartingPosition?: StartingPosition;
  StartingPositionTimestamp?: number;
  FilterCriteria?: { Filters: Filter[] };
  DestinationConfig?: DestinationConfig;
  MaximumRecordAgeInSeconds?: number;
  BisectBatchOnFunctionError?: boolean;
  MaximumRetryAttempts?: number;
  TumblingWindowInSeconds?: number;
  FunctionResponseTypes?: string[];
  Topics?: string[];
  Queues?: string[];
  SourceAccessConfigurations?: SourceAccessConfiguration[];
  SelfManagedEventSource?: { Endpoints?: Record<string, string[]> };
  AmazonManagedKafkaEventSourceConfig?: { ConsumerGroupId?: string };
  SelfManagedKafkaEventSourceConfig?: { ConsumerGroupId?: string };
  ScalingConfig?: { MaximumConcurrency?: number };
  DocumentDBEventSourceConfig?: { DatabaseName?: string; CollectionName?: string; FullDocument?: string };
  KMSKeyArn?: string;
  MetricsConfig?: { Metrics?: string[] };
  ProvisionedPollerConfig?: { MinimumPollers?: number; MaximumPollers?: number };
}

export interface EventSourceMapping {
  uuid: string;
  /** Epoch milliseconds of creation: the order ListEventSourceMappings pages in. */
  createdAt: number;
  kind: SourceKind;
  /** SQS FIFO queue: BatchSize at most 10, one batch at a time per message group. */
  fifo: boolean;
  functionArn: string;
  /** What the user asked for; `state` converges to Enabled or Disabled accordingly. */
  enabled: boolean;
  state: MappingState;
  stateTransitionReason: string;
  /** Epoch milliseconds of the last update or state change. */
  lastModified: number;
  lastProcessingResult?: string;
  config: MappingConfig;
}
