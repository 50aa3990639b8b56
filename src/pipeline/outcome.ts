/**
 * What an invocation means for the records in it, as data. `decideOutcome` turns an invoker's result into an
 * `Outcome`; `parseBatchItemFailures` reads a partial batch response (`ReportBatchItemFailures`) with AWS's
 * rules. Both are pure; nothing here throws for a bad function response, since that is the function's fault
 * and becomes a failed outcome.
 *
 * AWS's rules for a partial batch response:
 * - SQS: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 * - Kinesis: https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 *   (DynamoDB Streams: the same rules)
 * - Kafka: https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
 */

import type { FunctionError } from "../functions/invoke.js";

export type { FunctionError } from "../functions/invoke.js";

/**
 * The part of an invoker's result (functions/invoke.ts `InvokeResult`) an outcome depends on.
 * - `ok`: the function returned; `payload` is its decoded result (`undefined` for an empty response; text
 *   that is not JSON stays a string).
 * - `kind: "function"`: the function ran and failed (threw, timed out, crashed); `functionError` is Lambda's
 *   `X-Amz-Function-Error` (`Unhandled`, `Handled`).
 * - `kind: "invoke"`: AWS Lambda never ran the function (throttled, function missing, unreachable).
 */
export type InvocationResult =
  | { ok: true; payload?: unknown }
  | { ok: false; kind: "function" | "invoke"; error: FunctionError; functionError?: string };

/**
 * What an invocation means for its batch.
 * - `success`: every record is done.
 * - `partial`: the function reported these record ids as failed (deduplicated, in the order reported); the
 *   others are done. SQS retries only these; a stream restarts from the earliest of them in batch order.
 * - `failed`: the invocation reached the function and the whole batch failed: the function errored, or its
 *   partial batch response was malformed (then `error.errorType` is `INVALID_BATCH_ITEM_FAILURES` and there
 *   is no `functionError`, since the function itself returned). Counts toward MaximumRetryAttempts.
 * - `invokeError`: the batch never reached the function. Streams retry it without counting an attempt.
 */
export type Outcome =
  | { kind: "success" }
  | { kind: "partial"; failedIds: string[] }
  | { kind: "failed"; error: FunctionError; functionError?: string }
  | { kind: "invokeError"; error: FunctionError };

/** `errorType` of a failed outcome whose cause is a malformed `batchItemFailures` response. */
export const INVALID_BATCH_ITEM_FAILURES = "Sluice.InvalidBatchItemFailures";

/** Maps a response's `itemIdentifier` to the id of a record in the batch; undefined when it names none. */
export type ItemIdentify = (itemIdentifier: unknown) => string | undefined;

export interface DecideOptions {
  /** `FunctionResponseTypes` includes `ReportBatchItemFailures`. */
  reportBatchItemFailures: boolean;
  /** The ids of the records in the invoked batch (`SourceRecord.id`). */
  batchIds: ReadonlySet<string>;
  /** How to read an `itemIdentifier`; default: a non-empty string is the id. Kafka: `identifyKafkaItem`. */
  identify?: ItemIdentify;
}

export function decideOutcome(result: InvocationResult, options: DecideOptions): Outcome {
  if (!result.ok) {
    if (result.kind === "invoke") return { kind: "invokeError", error: result.error };
    const failed: Outcome = { kind: "failed", error: result.error };
    return result.functionError === undefined ? failed : { ...failed, functionError: result.functionError };
  }
  // Without ReportBatchItemFailures, a returned batchItemFailures is ignored (AWS, Kinesis page).
  if (!options.reportBatchItemFailures) return { kind: "success" };
  const parsed = parseBatchItemFailures(result.payload, options.batchIds, options.identify);
  if (!parsed.ok) {
    return { kind: "failed", error: { errorType: INVALID_BATCH_ITEM_FAILURES, errorMessage: parsed.reason } };
  }
  return parsed.failedIds.length === 0
    ? { kind: "success" }
    : { kind: "partial", failedIds: parsed.failedIds };
}

export type ParsedBatchItemFailures = { ok: true; failedIds: string[] } | { ok: false; reason: string };

/**
 * Reads a partial batch response. `{ok: true, failedIds: []}` is complete success; `{ok: false}` means the
 * whole batch failed, with the reason in words that name what to fix.
 *
 * Success (AWS-recorded on Kinesis and DynamoDB): no response, `null`, `""`, `[]`, `{}`,
 * `{"batchItemFailures": []}`, `{"batchItemFailures": null}`.
 * Whole batch failed (AWS-documented or recorded): a response that is not JSON; an entry without
 * `itemIdentifier` (e.g. `{"foo": null}`); an `itemIdentifier` that is `null`, `""`, or names no record of the
 * batch (e.g. `123`). For streams AWS leaves an unknown sequence number undocumented; Sluice fails the batch,
 * as SQS and Kafka document (SPEC.md).
 *
 * Where AWS says nothing, Sluice reads the response as a typed document and fails the batch on anything that
 * is not one, never guessing a success:
 * - a top-level value that is neither an object nor one of the empty values above: a non-empty string
 *   (including a string holding JSON text: the function returned a string, not a response object, so it is
 *   not parsed twice, unlike LocalStack), a number, a boolean, a non-empty array;
 * - `batchItemFailures` that is present but not an array or `null` (e.g. `{}`, `""`);
 * - an entry that is not an object; an `itemIdentifier` that is not a non-empty string (unless `identify`
 *   says otherwise): a number is refused even if its digits match an id, as `123` was recorded to fail.
 * Other keys of the response and of its entries are ignored (tumbling-window responses carry `state`).
 * Duplicate identifiers count once.
 */
export function parseBatchItemFailures(
  payload: unknown,
  batchIds: ReadonlySet<string>,
  identify: ItemIdentify = identifyString,
): ParsedBatchItemFailures {
  const response = payload;
  if (response === undefined || response === null || response === "") return { ok: true, failedIds: [] };
  if (Array.isArray(response)) {
    if (response.length === 0) return { ok: true, failedIds: [] };
    return { ok: false, reason: `the function's response is an array, not an object: ${preview(response)}` };
  }
  if (typeof response !== "object") {
    return {
      ok: false,
      reason: `the function's response is a ${typeof response}, not an object: ${preview(response)}`,
    };
  }

  const entries = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (entries === undefined || entries === null) return { ok: true, failedIds: [] };
  if (!Array.isArray(entries)) {
    return { ok: false, reason: `batchItemFailures must be an array, not ${preview(entries)}` };
  }

  const failed = new Set<string>();
  for (const [index, entry] of entries.entries()) {
    const at = `batchItemFailures[${index}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      return { ok: false, reason: `${at} must be an object with an itemIdentifier, not ${preview(entry)}` };
    }
    const item = (entry as { itemIdentifier?: unknown }).itemIdentifier;
    if (item === undefined) return { ok: false, reason: `${at} has no itemIdentifier: ${preview(entry)}` };
    if (item === null || item === "") {
      return {
        ok: false,
        reason: `${at}.itemIdentifier is ${preview(item)}; it must name a record of the batch`,
      };
    }
    const id = identify(item);
    if (id === undefined) {
      return { ok: false, reason: `${at}.itemIdentifier ${preview(item)} is not a valid item identifier` };
    }
    if (!batchIds.has(id)) {
      return { ok: false, reason: `${at}.itemIdentifier ${preview(item)} names no record of this batch` };
    }
    failed.add(id);
  }
  return { ok: true, failedIds: [...failed] };
}

/** The default `identify`: SQS message ids and stream sequence numbers are non-empty strings. */
export function identifyString(itemIdentifier: unknown): string | undefined {
  return typeof itemIdentifier === "string" && itemIdentifier !== "" ? itemIdentifier : undefined;
}

/**
 * Kafka's `itemIdentifier`, `{"partition": "<topic>-<partition>", "offset": <int>}`, as the record id
 * `"<topic>-<partition>:<offset>"`. Undefined unless `partition` ends in `-<digits>` and `offset` is a
 * non-negative integer number (AWS's sample sends an int).
 */
export function identifyKafkaItem(itemIdentifier: unknown): string | undefined {
  if (typeof itemIdentifier !== "object" || itemIdentifier === null) return undefined;
  const { partition, offset } = itemIdentifier as { partition?: unknown; offset?: unknown };
  if (typeof partition !== "string" || !/^.+-\d+$/.test(partition)) return undefined;
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return `${partition}:${offset}`;
}

/** A short JSON rendering of a value for messages. */
function preview(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
