/**
 * Turns a configured function into an Invoker, and keeps one per function for the life of Sluice. Concurrency
 * is bounded here, once for every kind of target: invocations beyond the bound wait their turn in arrival order
 * rather than being throttled, since the caller would only retry them.
 */
import { availableParallelism } from "node:os";
import type { FastifyBaseLogger } from "fastify";
import type { FunctionConfig, SluiceConfig } from "../config/config.js";
import { HandlerInvoker } from "./handler/handler-invoker.js";
import { HttpInvoker } from "./http-invoker.js";
import type { InvocationContext, InvokeResult, Invoker } from "./invoke.js";
import { LambdaInvoker } from "./lambda-invoker.js";

/**
 * Worker threads per handler function when reservedConcurrency does not say: twice the cores, since handlers
 * mostly wait on I/O, and at most 16, since each thread holds its own heap.
 */
const DEFAULT_HANDLER_CONCURRENCY = Math.min(availableParallelism() * 2, 16);

export interface InvokerSettings {
  /** The directory handler paths are relative to: the config file's. */
  baseDir: string;
  /** Sluice's region: AWS_REGION for handlers, and for ARNs whose region is not a real one. */
  region: string;
  /** Whether an edit to a handler function's code reaches its next invocation, for `sluice dev`. Off by default. */
  reload?: boolean;
  /** Where handler reloads are reported. */
  log?: FastifyBaseLogger;
}

export function createInvoker(
  functionName: string,
  config: FunctionConfig,
  settings: InvokerSettings,
): Invoker {
  const invoker = targetInvoker(functionName, config, settings);
  const limit =
    config.reservedConcurrency ?? (config.handler !== undefined ? DEFAULT_HANDLER_CONCURRENCY : undefined);
  return limit === undefined ? invoker : new ConcurrencyLimit(invoker, limit, functionName);
}

function targetInvoker(functionName: string, config: FunctionConfig, settings: InvokerSettings): Invoker {
  if (config.handler !== undefined) {
    return new HandlerInvoker({
      functionName,
      handler: config.handler,
      baseDir: settings.baseDir,
      region: settings.region,
      timeoutSeconds: config.timeout,
      memorySizeMb: config.memorySize,
      environment: config.environment,
      reload: settings.reload,
      log: settings.log,
    });
  }
  if (config.url !== undefined) return new HttpInvoker({ url: config.url, timeoutSeconds: config.timeout });
  if (config.arn !== undefined) return new LambdaInvoker({ arn: config.arn, region: settings.region });
  throw new Error(`function ${functionName} has no handler, url or arn`);
}

/** The invokers of the configured functions, each made on first use. */
export class Invokers {
  private readonly invokers = new Map<string, Invoker>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly functions: Readonly<Record<string, FunctionConfig>>,
    private readonly settings: InvokerSettings,
  ) {}

  static fromConfig(config: SluiceConfig, options: Pick<InvokerSettings, "reload" | "log"> = {}): Invokers {
    return new Invokers(config.functions, { ...options, baseDir: config.baseDir, region: config.region });
  }

  /** The invoker of a function the config declares (resolve API names with FunctionRegistry first). */
  get(functionName: string): Invoker {
    if (this.closing) throw new Error("the function invokers are closed");
    let invoker = this.invokers.get(functionName);
    if (!invoker) {
      const config = Object.hasOwn(this.functions, functionName) ? this.functions[functionName] : undefined;
      if (!config) throw new Error(`function ${functionName} is not in the config`);
      invoker = createInvoker(functionName, config, this.settings);
      this.invokers.set(functionName, invoker);
    }
    return invoker;
  }

  /** Closes every invoker, each even if another fails. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const results = await Promise.allSettled([...this.invokers.values()].map((invoker) => invoker.close()));
      const failure = results.find((result) => result.status === "rejected");
      if (failure) throw failure.reason;
    })();
    return this.closing;
  }
}

interface Waiter {
  start(): void;
  abandon(reason: unknown): void;
}

/** At most `limit` invocations at once; the others wait in arrival order until one ends, or their signal aborts. */
class ConcurrencyLimit implements Invoker {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private closed = false;

  constructor(
    private readonly inner: Invoker,
    private readonly limit: number,
    private readonly functionName: string,
  ) {}

  async invoke(event: unknown, context: InvocationContext, signal?: AbortSignal): Promise<InvokeResult> {
    await this.turn(signal);
    try {
      return await this.inner.invoke(event, context, signal);
    } finally {
      this.running--;
      this.waiting.shift()?.start();
    }
  }

  warm(concurrency: number): void {
    this.inner.warm?.(Math.min(concurrency, this.limit));
  }

  async close(): Promise<void> {
    this.closed = true;
    const reason = this.closedError();
    for (const waiter of this.waiting.splice(0)) waiter.abandon(reason);
    await this.inner.close();
  }

  private turn(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener("abort", onAbort);
          this.running++;
          resolve();
        },
        abandon: (reason) => {
          signal?.removeEventListener("abort", onAbort);
          reject(reason);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private closedError(): Error {
    return new Error(`the invoker of function ${this.functionName} is closed`);
  }
}
