/**
 * A mapping's invocations of its function, whatever the source: each with Lambda's context (a fresh request id,
 * the qualifier it was mapped with), counted in InvokedEventCount and timed in InvocationDurationSeconds.
 */
import { randomUUID } from "node:crypto";
import { type FunctionRef, parseFunctionName } from "../functions/function-name.js";
import type { InvocationContext, InvokeResult, Invoker } from "../functions/invoke.js";
import type { Attempt } from "../pipeline/stream-retry.js";
import type { Metrics } from "./metrics.js";

/** One invocation a mapping made, as `sluice dev` logs it. */
export interface Invocation {
  uuid: string;
  functionArn: string;
  records: number;
  result: InvokeResult;
}

export type InvocationObserver = (invocation: Invocation) => void;

export class MappingInvoker {
  private readonly context: Omit<InvocationContext, "awsRequestId">;

  constructor(
    private readonly invoker: Invoker,
    functionArn: string,
    private readonly metrics: Metrics,
    private readonly labels: { uuid: string; function: string },
    private readonly observe?: InvocationObserver,
  ) {
    const { name, qualifier } = parseFunctionName(functionArn) as FunctionRef;
    this.context = { functionName: name, functionArn, ...(qualifier !== undefined ? { qualifier } : {}) };
  }

  /** The version the function runs as: the mapping's qualifier, or $LATEST. */
  get executedVersion(): string {
    return this.context.qualifier ?? "$LATEST";
  }

  /** Invokes with `event`, which carries `records` events. */
  async invoke(event: unknown, records: number): Promise<Attempt> {
    const requestId = randomUUID();
    this.metrics.invoked.inc(this.labels, records);
    const result = await this.invoker.invoke(event, { ...this.context, awsRequestId: requestId });
    this.metrics.invocationDuration.observe(this.labels, result.durationMs / 1000);
    this.observe?.({ uuid: this.labels.uuid, functionArn: this.labels.function, records, result });
    return { requestId, result };
  }

  warm(concurrency: number): void {
    this.invoker.warm?.(concurrency);
  }
}
