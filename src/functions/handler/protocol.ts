/** The messages between Sluice and a handler's worker thread. Types only, so that worker.ts can import them. */
import type { FunctionError } from "../invoke.js";

/** What the thread loads, given once as its workerData. */
export interface WorkerSetup {
  /** The module's file URL. */
  moduleUrl: string;
  /** The export, and for a nested handler (`index.handlers.orders`) the path inside it. */
  exportPath: string[];
  /** The handler setting as configured, for Lambda's error messages. */
  handler: string;
  functionName: string;
  /** Lambda's context gives it as a string. */
  memoryLimitInMB: string;
}

/** Sluice → thread: one invocation; the thread runs one at a time. */
export interface InvokeRequest {
  /** The event as JSON, so the handler gets a fresh object with JSON's semantics, as it would on Lambda. */
  eventJson: string;
  awsRequestId: string;
  functionVersion: string;
  invokedFunctionArn: string;
  /** Epoch ms at which Sluice times the invocation out, for `getRemainingTimeInMillis()`. */
  deadlineMs: number;
}

/** Thread → Sluice: how the handler ended. */
export type InvokeResponse =
  | { ok: true; payloadJson: string | undefined }
  | { ok: false; error: FunctionError };
