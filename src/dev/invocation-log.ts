/**
 * `sluice dev`'s one line per invocation: when, which mapping (its source, short), which function, how many
 * records, how long, and the outcome with the first line of the error.
 *   12:00:01.120  sqs orders → orders-handler  3 records  12 ms  OK
 *   12:00:02.480  kinesis clicks → clicks-handler  1 record  4 ms  FAILED  TypeError: x is not a function
 */
import { nameOfFunctionArn } from "../functions/function-name.js";
import type { Invocation } from "../runtime/mapping-invoker.js";

/** The short name of a mapping's source: `sqs orders`, `kinesis clicks`, `dynamodb carts`, `kafka topic`. */
export function sourceName(mapping: Record<string, unknown>): string {
  const arn = mapping.EventSourceArn as string | undefined;
  if (arn === undefined) return `kafka ${((mapping.Topics as string[] | undefined) ?? []).join(",")}`;
  const [, , service = "", , , ...rest] = arn.split(":");
  const resource = rest.join(":");
  const name =
    service === "sqs"
      ? resource
      : service === "dynamodb"
        ? (resource.split("/")[1] ?? resource)
        : (resource.split(/[/:]/).filter(Boolean)[1] ?? resource);
  return `${service} ${name}`;
}

export function invocationLine(invocation: Invocation, source: string, at = new Date()): string {
  const { result, records } = invocation;
  const outcome = result.ok
    ? partial(result.payload)
    : `FAILED  ${result.error.errorType}: ${result.error.errorMessage.split("\n")[0] ?? ""}`;
  const count = `${records} record${records === 1 ? "" : "s"}`;
  return `${localTime(at)}  ${source} → ${nameOfFunctionArn(invocation.functionArn)}  ${count}  ${Math.round(result.durationMs)} ms  ${outcome}`;
}

/** OK, or how many items a partial batch response named as failed. */
function partial(payload: unknown): string {
  const failures = (payload as { batchItemFailures?: unknown } | undefined)?.batchItemFailures;
  return Array.isArray(failures) && failures.length > 0
    ? `OK, ${failures.length} item(s) reported failed`
    : "OK";
}

/** HH:MM:SS.mmm in the machine's time zone. */
function localTime(at: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, "0")}`;
}
