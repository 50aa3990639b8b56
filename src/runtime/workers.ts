/**
 * Which worker runs a mapping. Queue sources (SQS, Amazon MQ) run on the queue machinery; Kinesis, DynamoDB
 * Streams, Kafka and DocumentDB on shard runners, each with its own worker.
 */
import type { FastifyBaseLogger } from "fastify";
import type { SluiceConfig } from "../config/config.js";
import { onFailureDestination } from "../destinations/destination.js";
import { nameOfFunctionArn } from "../functions/function-name.js";
import type { Invokers } from "../functions/invokers.js";
import type { MappingService } from "../mappings/service.js";
import type { EventSourceMapping } from "../mappings/types.js";
import { compileFilterCriteria } from "../pipeline/filter/index.js";
import { identifyKafkaItem } from "../pipeline/outcome.js";
import { RETRY_UNTIL_SUCCESS } from "../pipeline/stream-retry.js";
import { documentdbAccess } from "../sources/documentdb/documentdb-access.js";
import { DynamodbStreamSource } from "../sources/dynamodb/dynamodb-source.js";
import { kafkaAccess } from "../sources/kafka/kafka-access.js";
import { parseStreamArn } from "../sources/kinesis/client.js";
import { KinesisSource } from "../sources/kinesis/kinesis-source.js";
import { ActiveMqSource } from "../sources/mq/activemq-source.js";
import { type BrokerAccess, brokerAccess } from "../sources/mq/broker-access.js";
import { MisconfiguredSource } from "../sources/mq/misconfigured-source.js";
import { RabbitMqSource } from "../sources/mq/rabbitmq-source.js";
import type { QueueSource, ShardPosition, SourceRecord, StreamRecord } from "../sources/source.js";
import { SqsSource } from "../sources/sqs/sqs-source.js";
import type { Store } from "../store/store.js";
import { DocumentdbWorker } from "./documentdb-worker.js";
import { KafkaWorker } from "./kafka-worker.js";
import type { InvocationObserver } from "./mapping-invoker.js";
import type { Metrics } from "./metrics.js";
import { QueueWorker } from "./queue-worker.js";
import { StreamWorker } from "./stream-worker.js";
import type { WorkerFactory } from "./supervisor.js";

/**
 * AWS's SQS scaling: 5 concurrent batches at start, at most 1,250 per mapping, and down to 2 on an idle queue
 * to save SQS calls, unless MaximumConcurrency is set.
 */
export const SQS_INITIAL_CONCURRENCY = 5;
export const SQS_MAX_CONCURRENCY = 1_250;
export const SQS_IDLE_CONCURRENCY = 2;
/** Amazon MQ's concurrent batches per mapping (reference/aws-esm-facts.md §6.5). */
export const MQ_CONCURRENCY = { activemq: 5, rabbitmq: 1 } as const;
/**
 * Messages the broker may push ahead of Sluice's acknowledgements, per consumer. RabbitMQ (one consumer for all
 * pollers): what the pollers hold, plus headroom of at least RABBITMQ_HEADROOM messages, so that the broker keeps
 * sending through an invocation, the acknowledgement's way back and a collector pause; with one batch of
 * headroom it stopped for each of them (bench/mq). ActiveMQ (as many subscriptions as pollers): two batches a
 * subscription; deeper, the main thread, which parses every STOMP frame, only holds more of them (bench/mq).
 */
const RABBITMQ_HEADROOM = 500;
export const rabbitMqPrefetch = (batchSize: number, concurrency: number) =>
  batchSize * concurrency + Math.max(batchSize, RABBITMQ_HEADROOM);
export const activeMqPrefetch = (batchSize: number) => batchSize * 2;

/** The batching window of Amazon MQ, Kafka and DocumentDB mappings: AWS's default for them is 500 ms. */
const brokerWindowMs = (config: EventSourceMapping["config"]) =>
  config.MaximumBatchingWindowInSeconds === undefined ? 500 : config.MaximumBatchingWindowInSeconds * 1000;
/** With an on-failure destination and infinite retries, AWS retries a Kafka batch at most this often. */
const KAFKA_RETRIES_WITH_DESTINATION = 10;

export interface WorkerDependencies {
  invokers: Invokers;
  service: MappingService;
  store: Pick<Store, "getCheckpoints" | "putCheckpoint" | "putCheckpoints">;
  /** The config file's brokers and secrets, for Amazon MQ mappings. */
  brokers: SluiceConfig["brokers"];
  secrets: SluiceConfig["secrets"];
  metrics: Metrics;
  region: string;
  /** The execution role a function's stream events name (`invokeIdentityArn`). */
  roleArnOf(functionName: string): string;
  log: FastifyBaseLogger;
  /** Told of every invocation (`sluice dev` logs each one). */
  onInvocation?: InvocationObserver;
}

export function workerFactory(deps: WorkerDependencies): WorkerFactory {
  return (mapping, previousStopped) => {
    const { kind } = mapping;
    switch (kind) {
      case "sqs":
      case "mq": {
        // Queues serve competing consumers: no need to wait for the previous worker.
        const worker = kind === "sqs" ? sqsWorker(mapping, deps) : mqWorker(mapping, deps);
        worker.start();
        return worker;
      }
      case "kafka":
      case "msk": {
        const worker = kafkaWorker({ ...mapping, kind }, deps);
        worker.start(previousStopped);
        return worker;
      }
      case "documentdb": {
        const worker = documentdbWorker(mapping, deps);
        worker.start(previousStopped);
        return worker;
      }
      case "kinesis":
      case "dynamodb": {
        const worker = streamWorker(mapping, kind, deps);
        worker.start(previousStopped);
        return worker;
      }
    }
  };
}

/** A cluster's access, or the configuration error the worker reports in the mapping's state instead. */
function orError<T>(resolve: () => T): T | Error {
  try {
    return resolve();
  } catch (err) {
    return err as Error;
  }
}

const recordResult =
  ({ service, log }: WorkerDependencies, uuid: string) =>
  (result: string, code?: string) => {
    service
      .recordProcessingResult(uuid, result, code)
      .catch((err: unknown) => log.error({ err, uuid }, "recording the processing result failed"));
  };

function sqsWorker(mapping: EventSourceMapping, deps: WorkerDependencies) {
  const { invokers, metrics, region, log } = deps;
  const { config, uuid, functionArn } = mapping;
  return new QueueWorker({
    uuid,
    functionArn,
    source: new SqsSource(config.EventSourceArn as string, region),
    invoker: invokers.get(nameOfFunctionArn(functionArn)),
    batchSize: config.BatchSize,
    windowMs: (config.MaximumBatchingWindowInSeconds ?? 0) * 1000,
    filter: compileFilterCriteria("sqs", config.FilterCriteria?.Filters),
    reportBatchItemFailures: config.FunctionResponseTypes?.includes("ReportBatchItemFailures") ?? false,
    concurrency: sqsConcurrency(config),
    windowStartsAt: "flush",
    metrics,
    log,
    onProcessingResult: recordResult(deps, uuid),
    onInvocation: deps.onInvocation,
  });
}

/**
 * An Amazon MQ mapping: a fixed number of pollers on one connection to the broker, AWS's batching window from
 * the first record, whole-batch redelivery on failure. A broker or secret the config file lacks still gets a
 * worker, which reports the problem in the mapping's state until Sluice is restarted with a config that has it.
 */
function mqWorker(mapping: EventSourceMapping, deps: WorkerDependencies) {
  const { invokers, metrics, log } = deps;
  const { config, uuid, functionArn } = mapping;
  const brokerArn = config.EventSourceArn as string;
  const batchSize = config.BatchSize;
  let source: QueueSource<SourceRecord>;
  let concurrency = 1;
  try {
    const access = brokerAccess(brokerArn, config, deps);
    concurrency = deps.brokers[brokerArn]?.concurrency ?? MQ_CONCURRENCY[access.engine];
    source = mqSource(brokerArn, access, batchSize, concurrency);
  } catch (err) {
    source = new MisconfiguredSource(err);
  }
  return new QueueWorker({
    uuid,
    functionArn,
    source,
    invoker: invokers.get(nameOfFunctionArn(functionArn)),
    batchSize,
    windowMs: brokerWindowMs(config),
    filter: compileFilterCriteria("mq", config.FilterCriteria?.Filters),
    reportBatchItemFailures: false,
    concurrency: { fixed: concurrency },
    windowStartsAt: "firstRecord",
    metrics,
    log,
    onProcessingResult: recordResult(deps, uuid),
    onInvocation: deps.onInvocation,
  });
}

/** RabbitMQ: one consumer all pollers share; ActiveMQ: a subscription for each poller, as JMS sessions. */
function mqSource(
  brokerArn: string,
  access: BrokerAccess,
  batchSize: number,
  concurrency: number,
): QueueSource<SourceRecord> {
  return access.engine === "rabbitmq"
    ? new RabbitMqSource(brokerArn, access, rabbitMqPrefetch(batchSize, concurrency))
    : new ActiveMqSource(brokerArn, access, concurrency, activeMqPrefetch(batchSize));
}

/**
 * A Kafka mapping. On demand (AWS's default) a failing batch is retried until it succeeds; provisioned mode
 * (ProvisionedPollerConfig) adds the streams' error handling, with Kafka's item identifiers, and runs
 * MinimumPollers group members.
 */
function kafkaWorker(mapping: EventSourceMapping & { kind: "kafka" | "msk" }, deps: WorkerDependencies) {
  const { config, uuid, functionArn } = mapping;
  const provisioned = config.ProvisionedPollerConfig;
  const destinationArn = provisioned ? config.DestinationConfig?.OnFailure?.Destination : undefined;
  const maximumRetryAttempts = config.MaximumRetryAttempts ?? -1;
  return new KafkaWorker({
    uuid,
    functionArn,
    access: orError(() => kafkaAccess(config, deps)),
    invoker: deps.invokers.get(nameOfFunctionArn(functionArn)),
    // LATEST is pinned when a partition is first assigned, by a commit.
    startingPosition: startingPosition(mapping, { latestFromCreation: false }),
    batchSize: config.BatchSize,
    windowMs: brokerWindowMs(config),
    filter: compileFilterCriteria(mapping.kind, config.FilterCriteria?.Filters),
    retry: provisioned
      ? {
          ...streamRetry(config),
          maximumRetryAttempts:
            maximumRetryAttempts === -1 && destinationArn
              ? KAFKA_RETRIES_WITH_DESTINATION
              : maximumRetryAttempts,
          identify: identifyKafkaItem,
        }
      : RETRY_UNTIL_SUCCESS,
    destinationArn,
    region: deps.region,
    pollers: provisioned ? Math.min(provisioned.MinimumPollers ?? 1, provisioned.MaximumPollers ?? 200) : 1,
    metrics: deps.metrics,
    log: deps.log,
    onProcessingResult: recordResult(deps, uuid),
    onInvocation: deps.onInvocation,
  });
}

/**
 * A DocumentDB mapping: its change stream, one batch at a time, each retried until it succeeds.
 */
function documentdbWorker(mapping: EventSourceMapping, deps: WorkerDependencies) {
  const { config, uuid, functionArn } = mapping;
  return new DocumentdbWorker({
    uuid,
    functionArn,
    access: orError(() => documentdbAccess(config, deps)),
    invoker: deps.invokers.get(nameOfFunctionArn(functionArn)),
    startingPosition: startingPosition(mapping, { latestFromCreation: true }),
    batchSize: config.BatchSize,
    windowMs: brokerWindowMs(config),
    store: deps.store,
    metrics: deps.metrics,
    log: deps.log,
    onProcessingResult: recordResult(deps, uuid),
    onInvocation: deps.onInvocation,
    disable: (reason) => deps.service.disableByLambda(uuid, reason),
  });
}

/** The streams' error handling as the mapping configures it. */
function streamRetry(config: EventSourceMapping["config"]) {
  return {
    maximumRetryAttempts: config.MaximumRetryAttempts ?? -1,
    maximumRecordAgeMs:
      (config.MaximumRecordAgeInSeconds ?? -1) === -1
        ? undefined
        : (config.MaximumRecordAgeInSeconds as number) * 1000,
    bisectOnError: config.BisectBatchOnFunctionError ?? false,
    reportBatchItemFailures: config.FunctionResponseTypes?.includes("ReportBatchItemFailures") ?? false,
  };
}

function streamWorker(mapping: EventSourceMapping, kind: "kinesis" | "dynamodb", deps: WorkerDependencies) {
  const { config, uuid, functionArn } = mapping;
  const { invokers, store, metrics, region, log } = deps;
  const arn = config.EventSourceArn as string;
  const functionName = nameOfFunctionArn(functionArn);
  const source =
    kind === "kinesis"
      ? new KinesisSource({ arn, region, roleArn: deps.roleArnOf(functionName) })
      : new DynamodbStreamSource({ arn, region });
  const destinationArn = config.DestinationConfig?.OnFailure?.Destination;
  return new StreamWorker<StreamRecord>({
    uuid,
    functionArn,
    kind,
    streamArn: kind === "kinesis" ? parseStreamArn(arn).streamArn : arn,
    source,
    invoker: invokers.get(functionName),
    // DynamoDB Streams has no timestamp iterator, so there LATEST stays LATEST.
    startingPosition: startingPosition(mapping, { latestFromCreation: kind === "kinesis" }),
    batchSize: config.BatchSize,
    windowMs: (config.MaximumBatchingWindowInSeconds ?? 0) * 1000,
    // A shard's windows are aggregated in order, by one lane.
    parallelization: config.TumblingWindowInSeconds ? 1 : (config.ParallelizationFactor ?? 1),
    tumblingWindowMs: (config.TumblingWindowInSeconds ?? 0) * 1000,
    filter: compileFilterCriteria(kind, config.FilterCriteria?.Filters),
    retry: streamRetry(config),
    destination: destinationArn ? onFailureDestination(destinationArn, region) : undefined,
    store,
    metrics,
    log,
    onProcessingResult: recordResult(deps, uuid),
    onInvocation: deps.onInvocation,
  });
}

/**
 * Where a stream mapping starts before any checkpoint. Where the source can start at a time (Kinesis,
 * DocumentDB), LATEST is read as "from the mapping's creation": a shard that has seen no record yet then resumes
 * at the same point after a restart or a disable/enable, instead of skipping what arrived in between.
 */
function startingPosition(
  mapping: EventSourceMapping,
  { latestFromCreation }: { latestFromCreation: boolean },
): ShardPosition {
  const { config } = mapping;
  switch (config.StartingPosition) {
    case "LATEST":
      return latestFromCreation
        ? { type: "AT_TIMESTAMP", timestampMs: mapping.createdAt }
        : { type: "LATEST" };
    case "AT_TIMESTAMP":
      return { type: "AT_TIMESTAMP", timestampMs: (config.StartingPositionTimestamp ?? 0) * 1000 };
    default:
      return { type: "TRIM_HORIZON" };
  }
}

/** Pollers for an SQS mapping: provisioned mode's own bounds, or AWS's automatic scaling within MaximumConcurrency. */
export function sqsConcurrency(config: EventSourceMapping["config"]): {
  initial: number;
  max: number;
  idle: number;
} {
  const provisioned = config.ProvisionedPollerConfig;
  if (provisioned) {
    const min = provisioned.MinimumPollers ?? SQS_IDLE_CONCURRENCY;
    const max = Math.max(min, provisioned.MaximumPollers ?? SQS_MAX_CONCURRENCY);
    return { initial: min, max, idle: min };
  }
  const maximum = config.ScalingConfig?.MaximumConcurrency;
  return {
    initial: SQS_INITIAL_CONCURRENCY,
    max: maximum ?? SQS_MAX_CONCURRENCY,
    idle: maximum === undefined ? SQS_IDLE_CONCURRENCY : SQS_INITIAL_CONCURRENCY,
  };
}
