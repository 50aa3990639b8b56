/**
 * What the workers of ordered sources (Kinesis, DynamoDB Streams, Kafka, DocumentDB) share: the mapping's
 * labels, LastProcessingResult and invoker, and a run that starts only once the mapping's previous worker has
 * let go of the source (two readers of one shard would reorder its records) and ends when the worker stops.
 */
import type { FastifyBaseLogger } from "fastify";
import type { Invoker } from "../functions/invoke.js";
import { type InvocationObserver, MappingInvoker } from "./mapping-invoker.js";
import { Metrics } from "./metrics.js";
import { ProcessingResult } from "./processing-result.js";

export interface OrderedWorkerOptions {
  uuid: string;
  functionArn: string;
  invoker: Invoker;
  metrics: Metrics;
  log: FastifyBaseLogger;
  onProcessingResult(result: string, code?: string): void;
  onInvocation?: InvocationObserver;
}

export abstract class OrderedWorker {
  protected readonly controller = new AbortController();
  protected readonly labels;
  protected readonly result: ProcessingResult;
  protected readonly invoker: MappingInvoker;
  private running: Promise<void> | undefined;

  constructor(
    private readonly base: OrderedWorkerOptions,
    /** Names the worker in the log line of a run that failed. */
    private readonly source: string,
  ) {
    this.labels = Metrics.labels(base.uuid, base.functionArn);
    this.result = new ProcessingResult(base.onProcessingResult);
    this.invoker = new MappingInvoker(
      base.invoker,
      base.functionArn,
      base.metrics,
      this.labels,
      base.onInvocation,
    );
  }

  /** Starts once `after` resolves: the mapping's previous worker must have let go of the source. */
  start(after: Promise<void> = Promise.resolve()): void {
    this.running = after
      .then(() => this.run())
      .catch((err: unknown) =>
        this.base.log.error({ err, uuid: this.base.uuid }, `the ${this.source} worker failed`),
      );
  }

  /** Stops reading; batches in flight finish their invocation, and only final records are checkpointed. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
  }

  /** Reads until `controller` aborts. */
  protected abstract run(): Promise<void>;
}
