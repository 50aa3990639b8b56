/**
 * bench/sqs: messages per second from SQS (fauxqs) to a no-op handler, and the latency from SendMessage to the
 * handler at low load, for three contenders on the same fauxqs instance in the same run:
 *
 *   (a) bare loop: SQS_INITIAL_CONCURRENCY pollers, each ReceiveMessage(10) + no-op + DeleteMessageBatch: the ceiling;
 *   (b) sqs-consumer (npm) with a no-op handleMessageBatch, its defaults otherwise: what users pick today;
 *   (c) Sluice in-process, a mapping (BatchSize 10) to a no-op `handler` function run in its worker threads.
 *
 * Throughput: every contender gets its own fresh queue, pre-loaded with N messages by SendMessageBatch before its
 * clock starts; the clock runs from the contender's start (first receive; for Sluice, the mapping's creation) to
 * N messages deleted (Sluice: DeletedEventCount read in-process every METRICS_POLL_MS). Rounds interleave the
 * contenders; the median round is reported. Latency: LATENCY_MESSAGES sent one at a time at LATENCY_RATE/s to an
 * idle contender; each record's Date.now() - SentTimestamp when the handler sees it.
 */

import { readFileSync } from "node:fs";
import { Agent } from "node:http";
import os from "node:os";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { Consumer } from "sqs-consumer";
import { SQS_INITIAL_CONCURRENCY } from "../../src/runtime/workers.js";
import { count, cutRatio, cutTimes, markdownTable, rate } from "../filter/table.js";
import {
  type BenchSluice,
  CREDENTIALS,
  type Latency,
  median,
  REGION,
  sleep,
  startBenchSluice,
  type Throughput,
} from "../harness.js";

export const SQS_ENDPOINT = process.env.BENCH_SQS_ENDPOINT ?? "http://127.0.0.1:4576";

/** The issue's targets: Sluice at >= 90 % of the bare loop, and >= 1.5x sqs-consumer. */
export const TARGET_VS_BARE = 0.9;
export const TARGET_VS_SQS_CONSUMER = 1.5;

const DEFAULT_MESSAGES = 10_000;
const DEFAULT_ROUNDS = 5;
const LATENCY_MESSAGES = 200;
const LATENCY_RATE = 20;
const METRICS_POLL_MS = 2;
const RUN_TIMEOUT_MS = 60_000;
/** The bare loop runs as many pollers as Sluice starts with. */
const BARE_POLLERS = SQS_INITIAL_CONCURRENCY;

export interface SqsBenchOptions {
  messages?: number;
  rounds?: number;
  /** Skip the low-load latency runs. */
  noLatency?: boolean;
  /** ScalingConfig.MaximumConcurrency for Sluice's throughput mapping (a diagnostic; unset by default). */
  maxConcurrency?: number;
  log?: (line: string) => void;
}

export interface SqsBenchResult {
  messages: number;
  throughput: Throughput[];
  latency: Latency[];
  /** Sluice over the bare loop, and over sqs-consumer (median rounds). */
  vsBare: number;
  vsSqsConsumer: number;
  misses: string[];
}

const BARE = "bare loop (a)";
const SQS_CONSUMER = "sqs-consumer (b)";
const SLUICE = "sluice (c)";

const sqs = new SQSClient({
  endpoint: SQS_ENDPOINT,
  region: REGION,
  credentials: CREDENTIALS,
  requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }) }),
});

let queues = 0;
/** Sluice's mean invocation time (worker-thread round trip) in its last throughput run. */
let lastSluiceInvokeMs = Number.NaN;

async function createQueue(tag: string): Promise<{ url: string; arn: string }> {
  const name = `bench-sqs-${tag}-${process.pid}-${Date.now()}-${queues++}`;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
  );
  return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
}

/** N messages by SendMessageBatch, 16 calls in flight. */
async function preload(url: string, n: number): Promise<void> {
  let next = 0;
  const sender = async () => {
    while (next < n) {
      const from = next;
      next = Math.min(n, next + 10);
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: next - from }, (_, j) => ({
            Id: String(j),
            MessageBody: JSON.stringify({ n: from + j, at: Date.now() }),
          })),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 16 }, sender));
}

async function messagesLeft(url: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

const deleteQueue = (url: string) => sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => {});

/** A contender consuming one queue: started, it calls onMessages per batch its handler sees; stop() ends it. */
interface Running {
  stop(): Promise<void>;
}
type OnMessages = (messages: Message[]) => void;
interface Hooks {
  /** The handler saw these messages. */
  seen?: OnMessages;
  /** This many messages were deleted. */
  deleted?: (n: number) => void;
}

/** (a) BARE_POLLERS loops of ReceiveMessage(10) + no-op + DeleteMessageBatch. */
function startBare(url: string, hooks: Hooks): Running {
  const controller = new AbortController();
  const poller = async () => {
    while (!controller.signal.aborted) {
      let Messages: Message[] = [];
      try {
        ({ Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 20,
            MessageSystemAttributeNames: ["All"],
            MessageAttributeNames: ["All"],
          }),
          { abortSignal: controller.signal },
        ));
      } catch (err) {
        if (controller.signal.aborted) return;
        throw err;
      }
      if (Messages.length === 0) continue;
      hooks.seen?.(Messages);
      const { Successful = [] } = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle as string })),
        }),
      );
      hooks.deleted?.(Successful.length);
    }
  };
  const pollers = Array.from({ length: BARE_POLLERS }, poller);
  return {
    async stop() {
      controller.abort();
      await Promise.allSettled(pollers);
    },
  };
}

/** (b) sqs-consumer, batchSize 10, a no-op batch handler that acknowledges the whole batch. */
function startSqsConsumer(url: string, hooks: Hooks): Running {
  const consumer = Consumer.create({
    queueUrl: url,
    sqs,
    batchSize: 10,
    messageSystemAttributeNames: ["All"],
    handleMessageBatch: async (messages) => {
      hooks.seen?.(messages);
      return messages;
    },
  });
  let stopping = false;
  consumer.on("message_processed", () => hooks.deleted?.(1));
  consumer.on("error", (err) => {
    if (!stopping) console.error(`sqs-consumer: ${err.message}`);
  });
  consumer.start();
  return {
    async stop() {
      stopping = true;
      const stopped = new Promise<void>((done) => consumer.once("stopped", () => done()));
      consumer.stop({ abort: true });
      await stopped;
    },
  };
}

/** (c) Sluice: a mapping of the queue to one of the bench's handler functions, BatchSize 10. */
const mappingOf = (FunctionName: string, EventSourceArn: string, maxConcurrency?: number) => ({
  FunctionName,
  EventSourceArn,
  BatchSize: 10,
  ...(maxConcurrency ? { ScalingConfig: { MaximumConcurrency: maxConcurrency } } : {}),
});

const startSluice = () =>
  startBenchSluice(
    {
      AWS_ENDPOINT_URL_SQS: SQS_ENDPOINT,
    },
    import.meta.dirname,
  );

/** Messages/s of one in-process contender (a or b) on a fresh pre-loaded queue. */
async function throughputOf(
  start: (url: string, hooks: Hooks) => Running,
  tag: string,
  n: number,
): Promise<number> {
  const { url } = await createQueue(tag);
  await preload(url, n);
  let deleted = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const t0 = process.hrtime.bigint();
  const running = start(url, {
    deleted: (k) => {
      deleted += k;
      if (deleted >= n) done();
    },
  });
  const timeout = setTimeout(done, RUN_TIMEOUT_MS);
  await finished;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  clearTimeout(timeout);
  await running.stop();
  await deleteQueue(url);
  if (deleted < n) throw new Error(`${tag}: ${deleted} of ${n} messages deleted within ${RUN_TIMEOUT_MS} ms`);
  return n / elapsed;
}

async function throughputOfSluice(sut: BenchSluice, n: number, maxConcurrency?: number): Promise<number> {
  const { url, arn } = await createQueue("sluice");
  await preload(url, n);
  const t0 = process.hrtime.bigint();
  const uuid = await sut.map(mappingOf("noop", arn, maxConcurrency));
  let deleted = 0;
  while (deleted < n && Number(process.hrtime.bigint() - t0) / 1e6 < RUN_TIMEOUT_MS) {
    await sleep(METRICS_POLL_MS);
    deleted = await sut.metric("DeletedEventCount", uuid);
  }
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  lastSluiceInvokeMs = await sut.meanInvokeMs(uuid);
  await sut.unmap(uuid);
  await deleteQueue(url);
  if (deleted < n) throw new Error(`sluice: ${deleted} of ${n} messages deleted within ${RUN_TIMEOUT_MS} ms`);
  return n / elapsed;
}

/** Sends LATENCY_MESSAGES one at a time at LATENCY_RATE/s; resolves once `seen()` reaches them all. */
async function trickle(url: string, seen: () => number): Promise<void> {
  const t0 = Date.now();
  for (let i = 0; i < LATENCY_MESSAGES; i++) {
    const due = t0 + (i * 1000) / LATENCY_RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `latency ${i}` }));
  }
  const deadline = Date.now() + 30_000;
  while (seen() < LATENCY_MESSAGES && Date.now() < deadline) await sleep(20);
}

function latencyOf(contender: string, samples: number[]): Latency {
  const sorted = [...samples].sort((x, y) => x - y);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { contender, samples: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
}

async function latencyInProcess(
  contender: string,
  start: (url: string, hooks: Hooks) => Running,
  tag: string,
): Promise<Latency> {
  const { url } = await createQueue(tag);
  const samples: number[] = [];
  const running = start(url, {
    seen: (messages) => {
      const now = Date.now();
      for (const m of messages) samples.push(now - Number(m.Attributes?.SentTimestamp));
    },
  });
  await sleep(500); // pollers in their long poll, as on an idle queue
  await trickle(url, () => samples.length);
  await running.stop();
  await deleteQueue(url);
  return latencyOf(contender, samples);
}

async function latencyOfSluice(sut: BenchSluice): Promise<Latency> {
  const { url, arn } = await createQueue("sluice-latency");
  const uuid = await sut.map(mappingOf("latency", arn));
  const read = () =>
    readFileSync(sut.latencyFile, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map(Number);
  await sleep(1_500); // the mapping's pollers started and scaled to the idle queue
  await trickle(url, () => read().length);
  await sut.unmap(uuid);
  await deleteQueue(url);
  return latencyOf(SLUICE, read());
}

export async function runSqsBench(options: SqsBenchOptions = {}): Promise<SqsBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const n = options.messages ?? DEFAULT_MESSAGES;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const started = Date.now();
  const cpus = os.cpus();
  log("## bench/sqs\n");
  log(
    `node ${process.version} · ${cpus[0]?.model.trim() ?? "unknown CPU"} × ${cpus.length} · fauxqs at ${SQS_ENDPOINT} · ` +
      `${count(n)} messages a run, ${rounds} round(s), bare loop with ${BARE_POLLERS} pollers`,
  );
  try {
    await messagesLeft((await createQueue("probe")).url);
  } catch (err) {
    throw new Error(
      `bench/sqs needs fauxqs at ${SQS_ENDPOINT} (test/services/up): ${(err as Error).message}`,
    );
  }
  const sut = await startSluice();
  try {
    // Warm-up: a small run of each, so no contender is timed cold (SDK, sockets, Sluice's worker threads).
    const warm = Math.min(n, 500);
    await throughputOf(startBare, "warm-bare", warm);
    await throughputOf(startSqsConsumer, "warm-sqs-consumer", warm);
    await throughputOfSluice(sut, warm, options.maxConcurrency);

    const measured: Record<string, number[]> = { [BARE]: [], [SQS_CONSUMER]: [], [SLUICE]: [] };
    for (let r = 0; r < rounds; r++) {
      measured[BARE]?.push(await throughputOf(startBare, "bare", n));
      measured[SQS_CONSUMER]?.push(await throughputOf(startSqsConsumer, "sqs-consumer", n));
      measured[SLUICE]?.push(await throughputOfSluice(sut, n, options.maxConcurrency));
      log(
        `round ${r + 1}: ${Object.entries(measured)
          .map(([name, xs]) => `${name} ${rate(xs.at(-1) ?? 0)}`)
          .join(", ")} msg/s; sluice's mean invocation ${lastSluiceInvokeMs.toFixed(2)} ms`,
      );
    }
    const throughput = Object.entries(measured).map(([contender, xs]) => ({
      contender,
      rounds: xs,
      median: median(xs),
    }));
    const latency = options.noLatency
      ? []
      : [
          await latencyInProcess(BARE, startBare, "latency-bare"),
          await latencyInProcess(SQS_CONSUMER, startSqsConsumer, "latency-sqs-consumer"),
          await latencyOfSluice(sut),
        ];

    const of = (name: string) => throughput.find((t) => t.contender === name)?.median ?? Number.NaN;
    const vsBare = of(SLUICE) / of(BARE);
    const vsSqsConsumer = of(SLUICE) / of(SQS_CONSUMER);
    const misses: string[] = [];
    if (!(vsBare >= TARGET_VS_BARE)) misses.push(`c/a ${cutRatio(vsBare)} < ${TARGET_VS_BARE}`);
    if (!(vsSqsConsumer >= TARGET_VS_SQS_CONSUMER))
      misses.push(`c/b ${cutRatio(vsSqsConsumer)} < ${TARGET_VS_SQS_CONSUMER}`);

    const lat = (name: string) => latency.find((l) => l.contender === name);
    const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "–" : `${x.toFixed(0)} ms`);
    log("");
    log(
      markdownTable(
        ["contender", "msg/s (median)", "rounds", "vs sluice", "p50", "p99", "latency samples"],
        throughput.map((t) => [
          t.contender,
          rate(t.median),
          t.rounds.map(rate).join(" / "),
          t.contender === SLUICE ? "–" : cutTimes(of(SLUICE) / t.median),
          ms(lat(t.contender)?.p50),
          ms(lat(t.contender)?.p99),
          lat(t.contender) ? String(lat(t.contender)?.samples) : "–",
        ]),
        (c) => c === 1 || c >= 3,
      ),
    );
    log("");
    log(
      `c/a = ${cutRatio(vsBare)} (target ≥ ${TARGET_VS_BARE}: ${vsBare >= TARGET_VS_BARE ? "ok" : "MISS"}) · ` +
        `c/b = ${cutRatio(vsSqsConsumer)} (target ≥ ${TARGET_VS_SQS_CONSUMER}: ${vsSqsConsumer >= TARGET_VS_SQS_CONSUMER ? "ok" : "MISS"})`,
    );
    log(
      `latency: ${LATENCY_MESSAGES} messages sent one at a time at ${LATENCY_RATE}/s, SendMessage (SentTimestamp) to the handler · ` +
        `bench/sqs took ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    return { messages: n, throughput, latency, vsBare, vsSqsConsumer, misses };
  } finally {
    await sut.close();
    sqs.destroy();
  }
}
