/**
 * AWS's SQS scaling, watched from the function's side: an HTTP function counts the batches in flight for each
 * queue. Five at start, more while messages wait, never above MaximumConcurrency, fewer while the function
 * fails; and a batch that takes long holds only its own poller.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, ESM_PATH } from "../helpers/http.js";
import {
  type Answer,
  type Behaviour,
  type HttpFunction,
  peakInFlight,
  startHttpFunction,
} from "../helpers/http-function.js";
import { eventually, type InProcessSluice, startInProcess, tempDir } from "../helpers/sluice.js";
import { createQueue, messagesLeft, sendMessages } from "../helpers/sources.js";

let fn: HttpFunction;
let sut: InProcessSluice;

beforeAll(async () => {
  fn = await startHttpFunction();
  sut = await startInProcess(tempDir(), {
    // Enough reserved concurrency that only the mapping's own scaling limits the batches in flight.
    hooks: { url: `${fn.origin}/invoke`, timeout: 30, reservedConcurrency: 200 },
  });
});
afterAll(async () => {
  await sut.close();
  await fn.close();
});

/** A function that takes `ms` to answer. */
const answerAfter =
  (ms: number, answer: Answer = {}): Behaviour =>
  async () => {
    await sleep(ms);
    return answer;
  };

/** The queue worker's first scaling decision comes this long after it starts (SCALING_INTERVAL_MS). */
const FIRST_SCALING_MS = 1_000;

const messages = (n: number, prefix = "m") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

async function map(queueArn: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await call(sut.endpoint, "POST", ESM_PATH, {
    FunctionName: "hooks",
    EventSourceArn: queueArn,
    BatchSize: 10,
    ...extra,
  });
  expect(created.status, created.text).toBe(202);
  return String(created.body?.UUID);
}

const drained = (queueArn: string, timeoutMs = 40_000) =>
  eventually(async () => ((await messagesLeft(queueArn)) === 0 ? true : undefined), timeoutMs);

const pollersMetric = async (uuid: string) => {
  const text = await (await fetch(`${sut.endpoint}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`ConcurrentPollers{uuid="${uuid}"`));
  return line === undefined ? undefined : Number(line.split(" ").pop());
};

describe("SQS scaling", () => {
  it("starts with five batches at once, adds pollers while messages wait, and stops at MaximumConcurrency", {
    timeout: 90_000,
  }, async () => {
    const queue = await createQueue();
    await sendMessages(queue, messages(3000));
    fn.on(queue, answerAfter(200));
    const created = Date.now();
    const uuid = await map(queue, { ScalingConfig: { MaximumConcurrency: 12 } });
    await eventually(async () => ((await pollersMetric(uuid)) === 12 ? true : undefined), 30_000);
    await drained(queue);
    const invocations = fn.invocationsOf(queue);
    // The first scaling decision comes a second after the worker starts, which is after the create: until then,
    // AWS's five.
    expect(peakInFlight(invocations, created, created + FIRST_SCALING_MS)).toBe(5);
    expect(peakInFlight(invocations)).toBe(12);
    expect(invocations.reduce((n, i) => n + i.event.Records.length, 0)).toBeGreaterThanOrEqual(3000);
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });

  it("keeps to a MaximumConcurrency below AWS's five from the start", { timeout: 60_000 }, async () => {
    const queue = await createQueue();
    await sendMessages(queue, messages(300));
    fn.on(queue, answerAfter(100));
    const uuid = await map(queue, { ScalingConfig: { MaximumConcurrency: 2 } });
    await drained(queue);
    expect(peakInFlight(fn.invocationsOf(queue))).toBe(2);
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });

  it("backs off while the function fails: fewer batches at once, down to one", {
    timeout: 60_000,
  }, async () => {
    // A long visibility timeout keeps failed messages out of the way: the queue only drains.
    const queue = await createQueue({ visibilityTimeout: 600 });
    await sendMessages(queue, messages(2000));
    fn.on(queue, answerAfter(100, { status: 500, body: { message: "down" } }));
    const created = Date.now();
    const uuid = await map(queue);
    await eventually(async () => ((await pollersMetric(uuid)) === 1 ? true : undefined), 20_000);
    const turnedDown = Date.now();
    await sleep(1500);
    const invocations = fn.invocationsOf(queue);
    expect(peakInFlight(invocations, created, created + FIRST_SCALING_MS)).toBe(5);
    expect(peakInFlight(invocations, turnedDown)).toBe(1);
    expect(invocations.filter((i) => i.at >= turnedDown).length).toBeGreaterThan(0);
    expect((await call(sut.endpoint, "GET", ESM_PATH + uuid)).body?.LastProcessingResult).toBe(
      "PROBLEM: Function call failed",
    );
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });

  it("lets other batches flow while one batch takes long", { timeout: 60_000 }, async () => {
    const queue = await createQueue();
    await sendMessages(queue, ["slow", ...messages(400)]);
    const seen = () =>
      new Set(fn.invocationsOf(queue).flatMap((i) => i.event.Records.map((r) => String(r.body)))).size;
    let waited: "for the others" | "in vain" | undefined;
    fn.on(queue, async ({ event }) => {
      if (!event.Records.some((r) => r.body === "slow")) return {};
      // The slow batch answers only once every other message has reached the function.
      const deadline = Date.now() + 20_000;
      while (seen() < 401 && Date.now() < deadline) await sleep(20);
      waited = seen() === 401 ? "for the others" : "in vain";
      return {};
    });
    const uuid = await map(queue);
    await drained(queue);
    expect(waited).toBe("for the others");
    await call(sut.endpoint, "DELETE", ESM_PATH + uuid);
  });
});
