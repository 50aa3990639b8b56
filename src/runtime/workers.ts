/**
 * Which worker runs a mapping. Queue sources run on the queue machinery; a kind whose records do not flow yet
 * has no worker (its mapping still reaches Enabled, as the README's support table says).
 */
import type { FastifyBaseLogger } from "fastify";
import { nameOfFunctionArn } from "../functions/function-name.js";
import type { Invokers } from "../functions/invokers.js";
import type { MappingService } from "../mappings/service.js";
import type { EventSourceMapping } from "../mappings/types.js";
import { compileFilterCriteria } from "../pipeline/filter/index.js";
import { SqsSource } from "../sources/sqs/sqs-source.js";
import type { Metrics } from "./metrics.js";
import { QueueWorker } from "./queue-worker.js";
import type { WorkerFactory } from "./supervisor.js";

/**
 * AWS's SQS scaling: 5 concurrent batches at start, at most 1,250 per mapping, and down to 2 on an idle queue
 * to save SQS calls, unless MaximumConcurrency is set.
 */
export const SQS_INITIAL_CONCURRENCY = 5;
export const SQS_MAX_CONCURRENCY = 1_250;
export const SQS_IDLE_CONCURRENCY = 2;

export interface WorkerDependencies {
  invokers: Invokers;
  service: MappingService;
  metrics: Metrics;
  region: string;
  log: FastifyBaseLogger;
}

export function workerFactory(deps: WorkerDependencies): WorkerFactory {
  return (mapping) => {
    if (mapping.kind !== "sqs") return undefined;
    const worker = sqsWorker(mapping, deps);
    worker.start();
    return worker;
  };
}

function sqsWorker(
  mapping: EventSourceMapping,
  { invokers, service, metrics, region, log }: WorkerDependencies,
) {
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
    metrics,
    log,
    onProcessingResult: (result) => {
      service
        .recordProcessingResult(uuid, result)
        .catch((err: unknown) => log.error({ err, uuid }, "recording the processing result failed"));
    },
  });
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
