/**
 * What invoking a function means to the rest of Sluice, whatever the target: a handler in a worker thread, an
 * HTTP endpoint or AWS Lambda. The outcome is data: `invoke` resolves with it, and rejects only when the
 * caller's signal aborts (with the signal's reason) or the invoker is closed, since neither says anything about
 * the function and neither may count as a failed attempt.
 */

export interface InvocationContext {
  /** The function's name in Sluice's config. */
  functionName: string;
  /** The ARN it was invoked as, with the qualifier when one was given. */
  functionArn: string;
  qualifier?: string;
  awsRequestId: string;
}

/** Lambda's error payload. */
export interface FunctionError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** Lambda's `X-Amz-Function-Error` value. */
export type FunctionErrorKind = "Unhandled" | "Handled";

export type InvokeResult =
  /** The function returned; `payload` is its JSON result, undefined when it returned nothing. */
  | { ok: true; payload: unknown; durationMs: number }
  /**
   * The function failed: it threw or rejected, timed out, crashed, or its url endpoint answered with an error or
   * could not be reached (SPEC).
   */
  | {
      ok: false;
      kind: "function";
      error: FunctionError;
      functionError: FunctionErrorKind;
      durationMs: number;
    }
  /** AWS Lambda did not run the function: it refused (throttled, not found) or could not be reached. */
  | { ok: false; kind: "invoke"; error: FunctionError; durationMs: number };

export interface Invoker {
  invoke(event: unknown, context: InvocationContext, signal?: AbortSignal): Promise<InvokeResult>;
  /**
   * Gets ready for `concurrency` invocations at once before they come (a handler's threads started and its
   * module loaded), so a mapping's first batches do not pay for it. Optional: other targets have nothing to do.
   */
  warm?(concurrency: number): void;
  /** Ends the invocations in flight (their promises reject) and frees the target's threads or connections. */
  close(): Promise<void>;
}

/** Lambda's rules for what a function threw: an Error gives its name, message and stack; anything else its type. */
export function toFunctionError(thrown: unknown): FunctionError {
  if (thrown instanceof Error) {
    return { errorType: thrown.name, errorMessage: thrown.message, trace: thrown.stack?.split("\n") ?? [] };
  }
  return { errorType: typeof thrown, errorMessage: String(thrown), trace: [] };
}

/** Lambda's error for an invocation that ran past the function's timeout. */
export function timedOut(awsRequestId: string, timeoutSeconds: number): FunctionError {
  return {
    errorType: "Sandbox.Timedout",
    errorMessage: `RequestId: ${awsRequestId} Error: Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
  };
}

/**
 * A response body as the function's result: empty is no result, JSON is parsed, and anything else is kept as
 * text, so an endpoint answering a plain "OK" still succeeds.
 */
export function parsePayload(body: string): unknown {
  if (body === "") return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** The error a failed function's response body describes, when it has Lambda's shape; otherwise `fallback`. */
export function errorFromPayload(body: string, fallback: FunctionError): FunctionError {
  const payload = parsePayload(body);
  if (typeof payload !== "object" || payload === null) return fallback;
  const { errorType, errorMessage, trace, stackTrace } = payload as Record<string, unknown>;
  if (typeof errorType !== "string" && typeof errorMessage !== "string") return fallback;
  // Node runtimes send `trace`, Python and Java ones `stackTrace`.
  const lines = Array.isArray(trace) ? trace : Array.isArray(stackTrace) ? stackTrace : undefined;
  return {
    errorType: typeof errorType === "string" ? errorType : fallback.errorType,
    errorMessage: typeof errorMessage === "string" ? errorMessage : "",
    ...(lines ? { trace: lines.map(String) } : {}),
  };
}
