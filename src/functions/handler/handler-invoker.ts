/**
 * Invokes a `handler` function in worker threads: an idle thread takes the invocation, or a new one starts. It
 * does not bound how many threads run; the caller does (see invokers.ts), so that reservedConcurrency means the
 * same for every kind of target. With `reload` (sluice dev), an edit to the handler's code retires the threads
 * that loaded it: invocations in flight end on the old code, and later ones start fresh threads, which import
 * the module anew (each thread has its own module cache).
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyBaseLogger } from "fastify";
import { eventText } from "../../pipeline/payload-size.js";
import type { InvocationContext, InvokeResult, Invoker } from "../invoke.js";
import { locateHandler } from "./handler-path.js";
import type { InvokeRequest, WorkerSetup } from "./protocol.js";
import { type SourceWatch, watchSource } from "./source-watch.js";
import { workerScript } from "./worker-script.js";
import { WorkerThread } from "./worker-thread.js";

export interface HandlerTarget {
  functionName: string;
  /** As configured: `<module path>.<export>`, relative to baseDir. */
  handler: string;
  baseDir: string;
  /** The region the function sees in AWS_REGION. */
  region: string;
  timeoutSeconds: number;
  memorySizeMb: number;
  environment: Readonly<Record<string, string>>;
  /** Whether an edit to the handler's code reaches the next invocation; off, each thread loads it once. */
  reload?: boolean;
  /** Where a reload is reported. */
  log?: FastifyBaseLogger;
}

export class HandlerInvoker implements Invoker {
  private setup: WorkerSetup;
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly threads = new Set<WorkerThread>();
  private readonly idle: WorkerThread[] = [];
  /** Threads warm() has asked for that are not made yet. */
  private starting = 0;
  private closed = false;
  private readonly watch: SourceWatch | undefined;

  constructor(private readonly target: HandlerTarget) {
    this.setup = workerSetup(target);
    this.env = lambdaEnvironment(target);
    this.watch = target.reload
      ? watchSource(dirname(fileURLToPath(this.setup.moduleUrl)), (changed) => this.reload(changed))
      : undefined;
  }

  async invoke(event: unknown, context: InvocationContext, signal?: AbortSignal): Promise<InvokeResult> {
    this.checkOpen();
    signal?.throwIfAborted();
    const thread = this.takeIdle() ?? (await this.start());
    const timeoutMs = this.target.timeoutSeconds * 1000;
    const request: InvokeRequest = {
      eventJson: eventText(event),
      awsRequestId: context.awsRequestId,
      functionVersion: context.qualifier ?? "$LATEST",
      invokedFunctionArn: context.functionArn,
      deadlineMs: Date.now() + timeoutMs,
    };
    const started = performance.now();
    try {
      const response = await thread.run(request, timeoutMs, signal);
      const durationMs = performance.now() - started;
      if (!response.ok) {
        return { ok: false, kind: "function", functionError: "Unhandled", error: response.error, durationMs };
      }
      const payload = response.payloadJson === undefined ? undefined : JSON.parse(response.payloadJson);
      return { ok: true, payload, durationMs };
    } finally {
      if (thread.usable && !this.closed) this.idle.push(thread);
    }
  }

  /** Starts threads until there are `concurrency`, each loading the module at once, and keeps them idle. */
  warm(concurrency: number): void {
    const missing = concurrency - this.threads.size - this.starting;
    for (let i = 0; i < missing; i++) {
      this.starting++;
      void this.start()
        .then((thread) => {
          if (thread.usable && !this.closed) this.idle.push(thread);
        })
        .catch(() => {
          // closed meanwhile: nothing to keep
        })
        .finally(() => this.starting--);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watch?.close();
    this.idle.length = 0;
    const reason = this.closedError();
    await Promise.all([...this.threads].map((thread) => thread.abandon(reason)));
  }

  /** Retires every thread: idle ones stop now, busy ones once their invocation ends. */
  private reload(changed: string[]): void {
    // Found again, in case the module file was made or renamed (orders.js to orders.mjs) since.
    this.setup = workerSetup(this.target);
    this.idle.length = 0;
    for (const thread of this.threads) thread.retire();
    this.target.log?.info({ changed }, `reloading the handler of function ${this.target.functionName}`);
  }

  private takeIdle(): WorkerThread | undefined {
    let thread = this.idle.pop();
    while (thread && !thread.usable) thread = this.idle.pop();
    return thread;
  }

  private async start(): Promise<WorkerThread> {
    const script = await workerScript();
    this.checkOpen();
    const thread = new WorkerThread({
      script,
      setup: this.setup,
      env: this.env,
      memorySizeMb: this.target.memorySizeMb,
    });
    this.threads.add(thread);
    // A thread can also end while idle, when something it left running throws.
    void thread.exited.then(() => {
      this.threads.delete(thread);
      const index = this.idle.indexOf(thread);
      if (index >= 0) this.idle.splice(index, 1);
    });
    return thread;
  }

  private checkOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): Error {
    return new Error(`the invoker of function ${this.target.functionName} is closed`);
  }
}

function workerSetup(target: HandlerTarget): WorkerSetup {
  return {
    ...locateHandler(target.handler, target.baseDir),
    handler: target.handler,
    functionName: target.functionName,
    memoryLimitInMB: String(target.memorySizeMb),
  };
}

/**
 * What the function's threads see in process.env: Sluice's own environment, the function's, then the variables
 * Lambda sets itself, which a function's configuration cannot override.
 */
function lambdaEnvironment(target: HandlerTarget): Record<string, string | undefined> {
  return {
    ...process.env,
    ...target.environment,
    AWS_LAMBDA_FUNCTION_NAME: target.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(target.memorySizeMb),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_REGION: target.region,
    AWS_DEFAULT_REGION: target.region,
  };
}
