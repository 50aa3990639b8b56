/**
 * What happens to one stream batch until every record in it is final: done, or discarded (then sent to the
 * on-failure destination). AWS's rules (reference/aws-esm-facts.md §3.4), in order:
 * - records older than MaximumRecordAgeInSeconds are discarded before each attempt;
 * - a function error (or a malformed partial response) retries the batch, counting toward MaximumRetryAttempts
 *   (-1: forever); with BisectBatchOnFunctionError the batch is split in two first, each half run in turn, and
 *   the split consumes no retry;
 * - a partial batch response makes the records before the lowest failed one done, and retries from it (also
 *   with bisect: "bisected at the returned sequence number");
 * - an invocation that never reached the function (throttled, missing) is retried until the records age out,
 *   and never counts as a retry.
 * The caller's signal ends the loop between attempts, leaving the records neither done nor discarded: they
 * are read again after a restart, since the checkpoint never passed them.
 */
import type { InvokeResult } from "../functions/invoke.js";
import { decideOutcome, type ItemIdentify, type Outcome } from "./outcome.js";

export interface StreamRetryPolicy {
  /** -1: retry until the records expire. */
  maximumRetryAttempts: number;
  /** Undefined: no limit (MaximumRecordAgeInSeconds -1). */
  maximumRecordAgeMs: number | undefined;
  bisectOnError: boolean;
  reportBatchItemFailures: boolean;
  /** How a partial batch response names a record; default: by its id string. Kafka: `identifyKafkaItem`. */
  identify?: ItemIdentify;
}

/** AWS's rule for sources with no error handling to configure (DocumentDB, on-demand Kafka): retry until it works. */
export const RETRY_UNTIL_SUCCESS: StreamRetryPolicy = {
  maximumRetryAttempts: -1,
  maximumRecordAgeMs: undefined,
  bisectOnError: false,
  reportBatchItemFailures: false,
};

export type DiscardCondition = "RetryAttemptsExhausted" | "RecordAgeExceeded";

export interface Attempt {
  requestId: string;
  result: InvokeResult;
}

/** Why records were given up, for the on-failure record. */
export interface Discard {
  condition: DiscardCondition;
  /** Invocations of these records so far (0 when they aged out unread by the function). */
  approximateInvokeCount: number;
  /** The last invocation of them, if any. */
  last: Attempt | undefined;
}

export interface StreamRetryDeps<R> {
  invoke(records: R[]): Promise<Attempt>;
  /** Gives the records up; false when that could not be finished (stopping), leaving them not final. */
  discard(records: R[], why: Discard): Promise<boolean>;
  /** Waits before the n-th retry (n from 1); resolves early when the signal aborts. */
  backoff(retry: number, signal: AbortSignal): Promise<void>;
  now(): number;
  /** Every attempt's outcome, for metrics and LastProcessingResult. */
  onOutcome?(records: R[], outcome: Outcome): void;
}

export interface RetryRecord {
  id: string;
  arrivedAt: number;
}

/** True once every record is final (done or discarded); false when the signal stopped it first. */
export async function runStreamBatch<R extends RetryRecord>(
  records: R[],
  policy: StreamRetryPolicy,
  deps: StreamRetryDeps<R>,
  signal: AbortSignal,
): Promise<boolean> {
  return run(records, 0, { invokes: 0, last: undefined });

  async function run(
    start: R[],
    retriesBefore: number,
    history: { invokes: number; last: Attempt | undefined },
  ): Promise<boolean> {
    let batch = start;
    let retries = retriesBefore;
    let invokes = history.invokes;
    let last = history.last;
    let invokeErrors = 0;
    const discard = (records: R[], condition: DiscardCondition) =>
      deps.discard(records, { condition, approximateInvokeCount: invokes, last });
    while (batch.length > 0) {
      if (signal.aborted) return false;
      if (policy.maximumRecordAgeMs !== undefined) {
        const oldest = deps.now() - policy.maximumRecordAgeMs;
        const expired = batch.filter((r) => r.arrivedAt < oldest);
        if (expired.length > 0) {
          if (!(await discard(expired, "RecordAgeExceeded"))) return false;
          batch = batch.filter((r) => r.arrivedAt >= oldest);
          continue;
        }
      }
      const attempt = await deps.invoke(batch);
      const outcome = decideOutcome(attempt.result, {
        reportBatchItemFailures: policy.reportBatchItemFailures,
        batchIds: new Set(batch.map((r) => r.id)),
        ...(policy.identify ? { identify: policy.identify } : {}),
      });
      deps.onOutcome?.(batch, outcome);
      if (outcome.kind === "invokeError") {
        // Never reached the function: no retry counted, only the records' age ends it.
        await deps.backoff(++invokeErrors, signal);
        continue;
      }
      invokes++;
      last = attempt;
      invokeErrors = 0;
      if (outcome.kind === "success") return true;
      if (outcome.kind === "partial") {
        const failed = new Set(outcome.failedIds);
        batch = batch.slice(batch.findIndex((r) => failed.has(r.id)));
      } else if (policy.bisectOnError && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        const [first, second] = [batch.slice(0, half), batch.slice(half)];
        return (
          (await run(first, retries, { invokes, last })) && (await run(second, retries, { invokes, last }))
        );
      }
      retries++;
      if (policy.maximumRetryAttempts !== -1 && retries > policy.maximumRetryAttempts) {
        return discard(batch, "RetryAttemptsExhausted");
      }
      await deps.backoff(retries, signal);
    }
    return true;
  }
}
