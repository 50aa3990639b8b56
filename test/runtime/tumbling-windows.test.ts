/** A shard's tumbling windows, driven with a scripted function in place of the stream worker's invocations. */
import { describe, expect, it } from "vitest";
import { splitByWindow, stateOf, windowOf } from "../../src/pipeline/windows.js";
import { TumblingWindows, type WindowRun } from "../../src/runtime/tumbling-windows.js";
import type { StreamRecord } from "../../src/sources/source.js";

const never = new AbortController().signal;
const record = (id: string, arrivedAt: number): StreamRecord => ({
  id,
  arrivedAt,
  orderKey: "k",
  bytes: 10,
  event: { id },
});

interface Call {
  ids: string[];
  event: Record<string, unknown>;
}

/** A function that counts records into its state, or answers with `answer` when given. */
function counting(answer?: (event: Record<string, unknown>) => unknown) {
  const calls: Call[] = [];
  const run: WindowRun<StreamRecord> = async (records, event, options) => {
    const e = event(records, options.state) as Record<string, unknown>;
    calls.push({ ids: records.map((r) => r.id), event: e });
    const state = answer
      ? answer(e)
      : { count: ((options.state as { count?: number }).count ?? 0) + (e.Records as unknown[]).length };
    return { final: true, state };
  };
  return { calls, run };
}

describe("tumbling windows", () => {
  it("align to the window length and split a batch where a record falls in the next window", () => {
    expect(windowOf(12_345, 5_000)).toEqual({ start: 10_000, end: 15_000 });
    const groups = splitByWindow([record("a", 10_000), record("b", 14_999), record("c", 15_000)], 5_000);
    expect(groups.map((g) => [g.window.start, g.records.map((r) => r.id)])).toEqual([
      [10_000, ["a", "b"]],
      [15_000, ["c"]],
    ]);
  });

  it("read a response's state, and refuse a response without one", () => {
    expect(stateOf({ state: { n: 1 }, batchItemFailures: [] })).toEqual({ ok: true, state: { n: 1 } });
    expect(stateOf({ state: null })).toEqual({ ok: true, state: null });
    expect(stateOf({})).toEqual({ ok: false });
    expect(stateOf("state")).toEqual({ ok: false });
  });

  it("pass the state along, close a window when the next one's records come, and make its records final then", async () => {
    const { calls, run } = counting();
    const windows = new TumblingWindows(5_000, "shard-1", "arn:stream", run);
    expect(await windows.process([record("a", 1_000), record("b", 2_000)], never)).toEqual([]);
    expect(windows.due()).toBe(5_000);
    expect(await windows.process([record("c", 6_000)], never)).toEqual(["a", "b"]);
    expect(
      calls.map((c) => [
        c.ids,
        c.event.state,
        c.event.isFinalInvokeForWindow,
        (c.event.Records as []).length,
      ]),
    ).toEqual([
      [["a", "b"], {}, false, 2],
      [["a", "b"], { count: 2 }, true, 0],
      [["c"], {}, false, 1],
    ]);
    expect(calls[1]?.event.window).toEqual({ start: "1970-01-01T00:00:00Z", end: "1970-01-01T00:00:05Z" });
  });

  it("close a window once its time is up, or when the shard ends, and not before", async () => {
    const { calls, run } = counting();
    const windows = new TumblingWindows(60_000, "shard-1", "arn:stream", run);
    const now = Date.now();
    await windows.process([record("a", now)], never);
    expect(await windows.settle(false, never)).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(await windows.settle(true, never)).toEqual(["a"]);
    expect(calls.at(-1)?.event.isFinalInvokeForWindow).toBe(true);
    expect(windows.due()).toBeUndefined();
  });

  it("end a window early when its state grows over 1 MB", async () => {
    const big = "x".repeat(1024 * 1024);
    const { calls, run } = counting(() => ({ big }));
    const windows = new TumblingWindows(60_000, "shard-1", "arn:stream", run);
    expect(await windows.process([record("a", 1_000)], never)).toEqual(["a"]);
    expect(calls.at(-1)?.event).toMatchObject({
      isFinalInvokeForWindow: true,
      isWindowTerminatedEarly: true,
    });
  });
});
