/**
 * Invokes an `arn` function through AWS Lambda's Invoke (RequestResponse), with the SDK's own configuration:
 * its credentials chain, and AWS_ENDPOINT_URL_LAMBDA or AWS_ENDPOINT_URL to point it elsewhere. AWS enforces the
 * function's own timeout, so Sluice's `timeout` setting does not apply here.
 */

import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { awsClientOptions, regionForArn, withoutSdkLogging } from "../aws/client-config.js";
import { eventText } from "../pipeline/payload-size.js";
import {
  errorFromPayload,
  type InvocationContext,
  type InvokeResult,
  type Invoker,
  parsePayload,
} from "./invoke.js";

export interface LambdaTarget {
  arn: string;
  /** Sluice's region, used when the ARN's is not a real one. */
  region: string;
}

export class LambdaInvoker implements Invoker {
  private readonly client: LambdaClient;

  constructor(private readonly target: LambdaTarget) {
    this.client = withoutSdkLogging(
      new LambdaClient({
        ...awsClientOptions("LAMBDA", regionForArn(target.arn, target.region)),
        // Invoke is not idempotent: a retried call could run the function twice, and retrying is the caller's call.
        maxAttempts: 1,
      }),
    );
  }

  async invoke(event: unknown, _context: InvocationContext, signal?: AbortSignal): Promise<InvokeResult> {
    signal?.throwIfAborted();
    const started = performance.now();
    try {
      const output = await this.client.send(
        new InvokeCommand({
          FunctionName: this.target.arn,
          InvocationType: "RequestResponse",
          Payload: new TextEncoder().encode(eventText(event)),
        }),
        signal ? { abortSignal: signal } : {},
      );
      const durationMs = performance.now() - started;
      const body = output.Payload ? new TextDecoder().decode(output.Payload) : "";
      if (output.FunctionError !== undefined) {
        const error = errorFromPayload(body, { errorType: output.FunctionError, errorMessage: body });
        const kind = output.FunctionError === "Handled" ? "Handled" : "Unhandled";
        return { ok: false, kind: "function", functionError: kind, error, durationMs };
      }
      return { ok: true, payload: parsePayload(body), durationMs };
    } catch (thrown) {
      if (signal?.aborted) throw signal.reason;
      const { name, message } = thrown as { name?: string; message?: string };
      const error = { errorType: name ?? "Error", errorMessage: message ?? String(thrown) };
      return { ok: false, kind: "invoke", error, durationMs: performance.now() - started };
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
