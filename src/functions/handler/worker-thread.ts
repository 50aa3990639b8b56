/**
 * One worker thread running a handler, seen from Sluice. It runs one invocation at a time and turns a timeout, a
 * crash or an exhausted heap into Lambda's error for that invocation. A thread that timed out, crashed, was
 * abandoned or retired is stopped, and is never given another invocation.
 */
import { Worker } from "node:worker_threads";
import { type FunctionError, timedOut, toFunctionError } from "../invoke.js";
import type { InvokeRequest, InvokeResponse, WorkerSetup } from "./protocol.js";

export interface WorkerThreadOptions {
  script: URL;
  setup: WorkerSetup;
  env: Readonly<Record<string, string | undefined>>;
  /** The heap limit, as Lambda's memorySize limits the whole sandbox. */
  memorySizeMb: number;
}

interface Running {
  awsRequestId: string;
  settle(response: InvokeResponse): void;
  abandon(reason: unknown): void;
}

export class WorkerThread {
  /** Resolves once the thread has ended, however it ended. */
  readonly exited: Promise<void>;
  private readonly worker: Worker;
  private running: Running | undefined;
  private uncaught: unknown;
  private stopping = false;
  /** Stop once the invocation in flight ends. */
  private retiring = false;

  constructor(private readonly options: WorkerThreadOptions) {
    this.worker = new Worker(options.script, {
      workerData: options.setup,
      env: options.env,
      resourceLimits: { maxOldGenerationSizeMb: options.memorySizeMb },
    });
    this.worker.on("message", (response: InvokeResponse) => this.running?.settle(response));
    // An uncaught exception (or OOM) arrives here first, then the exit that settles the invocation.
    this.worker.on("error", (error: unknown) => {
      this.uncaught = error;
    });
    this.exited = new Promise((resolve) => {
      this.worker.once("exit", (exitCode: number) => {
        this.stopping = true;
        this.running?.settle({ ok: false, error: this.exitError(exitCode) });
        resolve();
      });
    });
  }

  /** Whether the thread can take another invocation: false once it is stopping or has ended. */
  get usable(): boolean {
    return !this.stopping;
  }

  run(request: InvokeRequest, timeoutMs: number, signal?: AbortSignal): Promise<InvokeResponse> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const finish = (end: () => void) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.running = undefined;
        end();
        if (this.retiring) void this.stop();
      };
      const timer = setTimeout(() => {
        finish(() => resolve({ ok: false, error: timedOut(request.awsRequestId, timeoutMs / 1000) }));
        void this.stop();
      }, timeoutMs);
      const onAbort = () => void this.abandon(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.running = {
        awsRequestId: request.awsRequestId,
        settle: (response) => finish(() => resolve(response)),
        abandon: (reason) => finish(() => reject(reason)),
      };
      this.worker.postMessage(request);
    });
  }

  /** Stops the thread; the invocation in flight, if any, rejects with `reason`. */
  async abandon(reason: unknown): Promise<void> {
    this.running?.abandon(reason);
    await this.stop();
  }

  /** Stops the thread once the invocation in flight, if any, has ended on the code it began on. */
  retire(): void {
    this.stopping = true;
    if (this.running) this.retiring = true;
    else void this.stop();
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
    await this.exited;
  }

  private exitError(exitCode: number): FunctionError {
    const exited = `RequestId: ${this.running?.awsRequestId} Error: Runtime exited with error`;
    const code = (this.uncaught as { code?: unknown } | undefined)?.code;
    if (code === "ERR_WORKER_OUT_OF_MEMORY") {
      return {
        errorType: "Runtime.ExitError",
        errorMessage: `${exited}: out of memory (the ${this.options.memorySizeMb} MB heap limit was reached)`,
      };
    }
    // An exception thrown outside the handler's promise ends the thread; Lambda's Node runtime reports it as is.
    if (this.uncaught !== undefined) return toFunctionError(this.uncaught);
    return { errorType: "Runtime.ExitError", errorMessage: `${exited}: exit status ${exitCode}` };
  }
}
