import { describe, expect, it } from "vitest";
import type { InvokeResult } from "../../src/functions/invoke.js";
import { type Discard, runStreamBatch, type StreamRetryPolicy } from "../../src/pipeline/stream-retry.js";

interface Rec {
  id: string;
  arrivedAt: number;
}

const NOW = 1_000_000;
const recs = (...ids: string[]): Rec[] => ids.map((id) => ({ id, arrivedAt: NOW }));

const ok = (payload?: unknown): InvokeResult => ({ ok: true, payload, durationMs: 1 });
const functionError: InvokeResult = {
  ok: false,
  kind: "function",
  functionError: "Unhandled",
  error: { errorType: "Error", errorMessage: "boom" },
  durationMs: 1,
};
const throttled: InvokeResult = {
  ok: false,
  kind: "invoke",
  error: { errorType: "TooManyRequestsException", errorMessage: "Rate Exceeded." },
  durationMs: 1,
};

const POLICY: StreamRetryPolicy = {
  maximumRetryAttempts: -1,
  maximumRecordAgeMs: undefined,
  bisectOnError: false,
  reportBatchItemFailures: false,
};

/** Runs a batch against a function that answers by the ids it is given; records what happened. */
async function run(
  records: Rec[],
  policy: Partial<StreamRetryPolicy>,
  answer: (ids: string[], call: number) => InvokeResult,
  signal = new AbortController().signal,
) {
  const invoked: string[][] = [];
  const discarded: { ids: string[]; why: Discard }[] = [];
  const backoffs: number[] = [];
  const final = await runStreamBatch(
    records,
    { ...POLICY, ...policy },
    {
      async invoke(batch) {
        const ids = batch.map((r) => r.id);
        invoked.push(ids);
        return { requestId: `req-${invoked.length}`, result: answer(ids, invoked.length) };
      },
      async discard(batch, why) {
        discarded.push({ ids: batch.map((r) => r.id), why });
        return true;
      },
      async backoff(retry) {
        backoffs.push(retry);
      },
      now: () => NOW,
    },
    signal,
  );
  return { final, invoked, discarded, backoffs };
}

describe("a stream batch's retries", () => {
  it("is final after one successful invocation", async () => {
    const { final, invoked, discarded } = await run(recs("1", "2"), {}, () => ok());
    expect(final).toBe(true);
    expect(invoked).toEqual([["1", "2"]]);
    expect(discarded).toEqual([]);
  });

  it("retries a failing batch MaximumRetryAttempts times, then discards it as RetryAttemptsExhausted", async () => {
    const { invoked, discarded, backoffs } = await run(
      recs("1", "2"),
      { maximumRetryAttempts: 2 },
      () => functionError,
    );
    expect(invoked).toHaveLength(3);
    expect(backoffs).toEqual([1, 2]);
    expect(discarded).toEqual([
      {
        ids: ["1", "2"],
        why: {
          condition: "RetryAttemptsExhausted",
          approximateInvokeCount: 3,
          last: { requestId: "req-3", result: functionError },
        },
      },
    ]);
  });

  it("retries forever with MaximumRetryAttempts -1, until the function succeeds", async () => {
    const { invoked, discarded } = await run(recs("1"), {}, (_ids, call) =>
      call < 6 ? functionError : ok(),
    );
    expect(invoked).toHaveLength(6);
    expect(discarded).toEqual([]);
  });

  it("bisects a failing batch down to the bad record without using retries, and carries on after it", async () => {
    const { invoked, discarded } = await run(
      recs("a", "b", "c", "d"),
      { bisectOnError: true, maximumRetryAttempts: 0 },
      (ids) => (ids.includes("c") ? functionError : ok()),
    );
    expect(invoked).toEqual([["a", "b", "c", "d"], ["a", "b"], ["c", "d"], ["c"], ["d"]]);
    expect(discarded.map((d) => d.ids)).toEqual([["c"]]);
    expect(discarded[0]?.why.condition).toBe("RetryAttemptsExhausted");
    expect(discarded[0]?.why.approximateInvokeCount).toBe(3);
  });

  it("on a partial batch response retries from the lowest failed record, counting a retry", async () => {
    const failC = ok({ batchItemFailures: [{ itemIdentifier: "d" }, { itemIdentifier: "c" }] });
    const { invoked, discarded } = await run(
      recs("a", "b", "c", "d", "e"),
      { reportBatchItemFailures: true, maximumRetryAttempts: 1 },
      (_ids, call) => (call === 1 ? failC : ok()),
    );
    expect(invoked).toEqual([
      ["a", "b", "c", "d", "e"],
      ["c", "d", "e"],
    ]);
    expect(discarded).toEqual([]);
  });

  it("discards from the lowest failed record when a partial response exhausts the retries", async () => {
    const { discarded } = await run(
      recs("a", "b", "c"),
      { reportBatchItemFailures: true, maximumRetryAttempts: 0 },
      () => ok({ batchItemFailures: [{ itemIdentifier: "b" }] }),
    );
    expect(discarded.map((d) => d.ids)).toEqual([["b", "c"]]);
  });

  it("fails the whole batch on a malformed partial response, and bisects it like a function error", async () => {
    const { invoked } = await run(
      recs("a", "b"),
      { reportBatchItemFailures: true, bisectOnError: true, maximumRetryAttempts: 0 },
      (ids) => (ids.length === 2 ? ok({ batchItemFailures: [{ itemIdentifier: "zz" }] }) : ok()),
    );
    expect(invoked).toEqual([["a", "b"], ["a"], ["b"]]);
  });

  it("does not count invocations that never reached the function", async () => {
    const { invoked, discarded, backoffs } = await run(
      recs("1"),
      { maximumRetryAttempts: 0 },
      (_ids, call) => (call <= 3 ? throttled : ok()),
    );
    expect(invoked).toHaveLength(4);
    expect(backoffs).toEqual([1, 2, 3]);
    expect(discarded).toEqual([]);
  });

  it("discards records older than MaximumRecordAgeInSeconds before invoking, as RecordAgeExceeded", async () => {
    const records = [
      { id: "old", arrivedAt: NOW - 61_000 },
      { id: "new", arrivedAt: NOW - 1_000 },
    ];
    const { invoked, discarded } = await run(records, { maximumRecordAgeMs: 60_000 }, () => ok());
    expect(discarded).toEqual([
      { ids: ["old"], why: { condition: "RecordAgeExceeded", approximateInvokeCount: 0, last: undefined } },
    ]);
    expect(invoked).toEqual([["new"]]);
  });

  it("stops between attempts when its signal aborts, leaving the batch not final", async () => {
    const controller = new AbortController();
    const { final, invoked } = await run(
      recs("1"),
      {},
      () => {
        controller.abort();
        return functionError;
      },
      controller.signal,
    );
    expect(final).toBe(false);
    expect(invoked).toHaveLength(1);
  });
});
