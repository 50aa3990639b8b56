/**
 * Invokes a `url` function: an HTTP POST of the event's JSON over kept-alive connections. This is also the
 * shape of the Lambda Runtime Interface Emulator's invoke endpoint, so a Lambda container image run locally is a
 * valid target.
 */

import { type Dispatcher, Pool } from "undici";
import { eventText } from "../pipeline/payload-size.js";
import {
  errorFromPayload,
  type FunctionError,
  type InvocationContext,
  type InvokeResult,
  type Invoker,
  parsePayload,
  timedOut,
} from "./invoke.js";

export interface HttpTarget {
  url: string;
  timeoutSeconds: number;
}

export class HttpInvoker implements Invoker {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(private readonly target: HttpTarget) {
    const url = new URL(target.url);
    // The function's timeout is the only deadline: undici's own header and body timeouts would cut it short.
    this.pool = new Pool(url.origin, { headersTimeout: 0, bodyTimeout: 0 });
    this.path = `${url.pathname}${url.search}`;
  }

  async invoke(event: unknown, context: InvocationContext, signal?: AbortSignal): Promise<InvokeResult> {
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(this.target.timeoutSeconds * 1000);
    const started = performance.now();
    try {
      const response = await this.pool.request({
        method: "POST",
        path: this.path,
        headers: {
          "content-type": "application/json",
          "x-amz-function-name": context.functionName,
          "lambda-runtime-aws-request-id": context.awsRequestId,
        },
        body: eventText(event),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      const body = await response.body.text();
      return toResult(response, body, performance.now() - started);
    } catch (thrown) {
      if (signal?.aborted) throw signal.reason;
      const durationMs = performance.now() - started;
      if (timeout.aborted) {
        const error = timedOut(context.awsRequestId, this.target.timeoutSeconds);
        return { ok: false, kind: "function", functionError: "Unhandled", error, durationMs };
      }
      // SPEC: an endpoint that cannot be reached is the function failing, as a timeout is.
      return {
        ok: false,
        kind: "function",
        functionError: "Unhandled",
        error: this.unreachable(thrown),
        durationMs,
      };
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private unreachable(thrown: unknown): FunctionError {
    const { name, code, message } = thrown as { name?: string; code?: string; message?: string };
    return {
      errorType: code ?? name ?? "Error",
      errorMessage: `POST ${this.target.url} failed: ${message ?? String(thrown)}`,
    };
  }
}

/**
 * A response carrying X-Amz-Function-Error is the function's error; any other 2xx is its result; any other
 * status is an error too, described by the body when it has Lambda's error shape.
 */
function toResult(response: Dispatcher.ResponseData, body: string, durationMs: number): InvokeResult {
  const header = response.headers["x-amz-function-error"];
  const functionError = Array.isArray(header) ? header[0] : header;
  if (functionError !== undefined) {
    const error = errorFromPayload(body, { errorType: functionError, errorMessage: body });
    const kind = functionError === "Handled" ? "Handled" : "Unhandled";
    return { ok: false, kind: "function", functionError: kind, error, durationMs };
  }
  const { statusCode } = response;
  if (statusCode >= 200 && statusCode < 300) return { ok: true, payload: parsePayload(body), durationMs };
  const error = errorFromPayload(body, {
    errorType: "HttpError",
    errorMessage: `HTTP ${statusCode}: ${body}`,
  });
  return { ok: false, kind: "function", functionError: "Unhandled", error, durationMs };
}
