import { describe, expect, it } from "vitest";
import { Deliveries } from "../../../src/sources/mq/deliveries.js";

const LONG_MS = 60_000;
const SHORT_MS = 50;

/** A take that reports what it got, and whether it has returned yet. */
function waiting(
  buffer: Deliveries<number>,
  max: number,
  waitMs = LONG_MS,
  signal = new AbortController().signal,
) {
  const state: { got?: number[]; error?: unknown } = {};
  const done = buffer.take(max, waitMs, signal).then(
    (got) => {
      state.got = got;
    },
    (error: unknown) => {
      state.error = error;
    },
  );
  return { state, done };
}

describe("Deliveries", () => {
  it("wakes the waiting pollers with what arrives: the first to wait takes it all, the others find nothing", async () => {
    const buffer = new Deliveries<number>();
    const first = waiting(buffer, 10);
    const second = waiting(buffer, 10, SHORT_MS);
    buffer.push(1);
    buffer.push(2);
    await Promise.all([first.done, second.done]);
    expect(first.state.got).toEqual([1, 2]);
    expect(second.state.got).toEqual([]);
  });

  it("takes at most what a poller asks for", async () => {
    const buffer = new Deliveries<number>();
    for (const n of [1, 2, 3]) buffer.push(n);
    const signal = new AbortController().signal;
    expect(await buffer.take(2, LONG_MS, signal)).toEqual([1, 2]);
    expect(await buffer.take(2, LONG_MS, signal)).toEqual([3]);
  });

  it("gives records waiting to a take at once, redeliveries first", async () => {
    const buffer = new Deliveries<number>();
    buffer.push(3);
    buffer.unshift([1, 2]);
    expect(await buffer.take(10, LONG_MS, new AbortController().signal)).toEqual([1, 2, 3]);
  });

  it("ends a wait with nothing when its signal aborts", async () => {
    const buffer = new Deliveries<number>();
    const controller = new AbortController();
    const aborted = waiting(buffer, 10, LONG_MS, controller.signal);
    controller.abort();
    await aborted.done;
    expect(aborted.state.got).toEqual([]);
    // The aborted take is no longer a waiter: the next arrival goes to a live one.
    const live = waiting(buffer, 10);
    buffer.push(1);
    await live.done;
    expect(live.state.got).toEqual([1]);
  });

  it("fails every waiting poller when the connection is lost, and drops what was not taken", async () => {
    const buffer = new Deliveries<number>();
    const a = waiting(buffer, 10);
    const b = waiting(buffer, 10);
    const lost = new Error("connection lost");
    buffer.fail(lost);
    await Promise.all([a.done, b.done]);
    expect([a.state.error, b.state.error]).toEqual([lost, lost]);
    buffer.reset();
    buffer.push(1);
    expect(await buffer.take(10, LONG_MS, new AbortController().signal)).toEqual([1]);
  });
});
