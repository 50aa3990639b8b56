/**
 * A handler's worker thread: loads the function's module once, then runs the invocations Sluice sends, one at
 * a time, with a Lambda-like context, and answers each with the JSON result or Lambda's error shape. Timeouts,
 * crashes and memory limits are watched from outside (worker-thread.ts). This file imports nothing but Node's
 * built-ins and types, so that it can also run transpiled on its own (see worker-script.ts).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { FunctionError } from "../invoke.js";
import type { InvokeRequest, InvokeResponse, WorkerSetup } from "./protocol.js";

type Callback = (error?: unknown, result?: unknown) => void;
type Handler = (event: unknown, context: LambdaContext, callback: Callback) => unknown;

interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

const setup = workerData as WorkerSetup;
if (!parentPort) throw new Error("worker.ts runs only as a worker thread");
const port = parentPort;

// Lambda initialises a function before its first invocation; an init that failed fails every invocation.
const loaded = loadHandler();

port.on("message", async (request: InvokeRequest) => {
  port.postMessage(await invoke(request));
});

async function invoke(request: InvokeRequest): Promise<InvokeResponse> {
  const handler = await loaded;
  if (typeof handler !== "function") return { ok: false, error: handler };
  try {
    const result = await callHandler(handler, JSON.parse(request.eventJson), contextFor(request));
    // A result JSON cannot express (a BigInt, a cycle) fails here, as it fails Lambda's response.
    return { ok: true, payloadJson: JSON.stringify(result) };
  } catch (thrown) {
    return { ok: false, error: toFunctionError(thrown) };
  }
}

/**
 * Async handlers answer with their promise, callback-style ones through the callback, whichever comes first. A
 * plain function that takes no callback answers with what it returns (Lambda would wait for the event loop to
 * empty and answer null).
 */
function callHandler(handler: Handler, event: unknown, context: LambdaContext): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback: Callback = (error, result) =>
      error === undefined || error === null ? resolve(result) : reject(error);
    const returned = handler(event, context, callback);
    if (isThenable(returned)) returned.then(resolve, reject);
    else if (handler.length < 3) resolve(returned);
  });
}

function contextFor(request: InvokeRequest): LambdaContext {
  return {
    functionName: setup.functionName,
    functionVersion: request.functionVersion,
    invokedFunctionArn: request.invokedFunctionArn,
    memoryLimitInMB: setup.memoryLimitInMB,
    awsRequestId: request.awsRequestId,
    // Accepted for compatibility: Sluice answers as soon as the handler does, whatever is left on the event loop.
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, request.deadlineMs - Date.now()),
  };
}

/** The handler, or the error Lambda's Node runtime reports when loading it fails. */
async function loadHandler(): Promise<Handler | FunctionError> {
  let module: Record<string, unknown>;
  try {
    module = await import(setup.moduleUrl);
  } catch (thrown) {
    return importError(thrown);
  }
  // A CommonJS module whose exports Node cannot detect statically has them only on `default`.
  const handler = exported(module) ?? exported(module.default);
  if (handler === undefined || handler === null) {
    return {
      errorType: "Runtime.HandlerNotFound",
      errorMessage: `${setup.handler} is undefined or not exported`,
    };
  }
  if (typeof handler !== "function") {
    return { errorType: "Runtime.HandlerNotFound", errorMessage: `${setup.handler} is not a function` };
  }
  return handler as Handler;
}

function exported(from: unknown): unknown {
  return setup.exportPath.reduce<unknown>(
    (value, key) => (value as Record<string, unknown> | null | undefined)?.[key],
    from,
  );
}

function importError(thrown: unknown): FunctionError {
  const error = toFunctionError(thrown);
  const code = (thrown as { code?: unknown } | null)?.code;
  const wrapped = (errorType: string): FunctionError => ({
    errorType,
    errorMessage: `${error.errorType}: ${error.errorMessage}`,
    trace: error.trace,
  });
  if (thrown instanceof SyntaxError) return wrapped("Runtime.UserCodeSyntaxError");
  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND")
    return wrapped("Runtime.ImportModuleError");
  return error;
}

/** toFunctionError of ../invoke.ts, repeated because this thread loads no Sluice module. */
function toFunctionError(thrown: unknown): FunctionError {
  if (thrown instanceof Error) {
    return { errorType: thrown.name, errorMessage: thrown.message, trace: thrown.stack?.split("\n") ?? [] };
  }
  return { errorType: typeof thrown, errorMessage: String(thrown), trace: [] };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}
