/**
 * bench/mq: messages per second from an Amazon MQ queue to a no-op handler, and the latency from publish to the
 * handler at low load, on each of two brokers (RabbitMQ over AMQP 0-9-1, ActiveMQ over STOMP), for two contenders
 * on the same broker in the same run:
 *
 *   (a) bare consumer: the client library Sluice uses (amqplib; @stomp/stompjs over Sluice's STOMP socket), gathering
 *       BATCH_SIZE messages, a no-op, then one acknowledgement for the batch (AMQP basic.ack with `multiple`;
 *       STOMP `ack: client`, which is cumulative): the ceiling. Its prefetch is the issue's, BATCH_SIZE, for each
 *       of the batches Sluice runs at once (RabbitMQ 1, ActiveMQ 5);
 *   (c) Sluice in-process, a mapping (BatchSize BATCH_SIZE, MQ's default batching window) to a no-op `handler`
 *       function run in its worker threads.
 *
 * Throughput: every contender gets its own fresh queue, pre-loaded with N non-persistent messages before its clock
 * starts. The clock runs from the contender's basic.consume or SUBSCRIBE (seen by a wrapper around the client
 * library's method, so Sluice's own call is seen too) until N messages are handed to the no-op and acknowledged
 * (Sluice: DeletedEventCount, read in-process every METRICS_POLL_MS). Rounds interleave the contenders; the median
 * round is reported. Latency: LATENCY_MESSAGES published one at a time at LATENCY_RATE/s, each carrying its send
 * time, to idle contenders: the bare consumer (which hands what it has to the no-op once the broker's burst is
 * read), Sluice with MQ's default batching window (500 ms) and Sluice with a window of 0; the three run at once,
 * each on its own queue, their sends staggered.
 */

import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { Client, type IFrame, type IMessage, type StompSubscription } from "@stomp/stompjs";
import { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, connect } from "amqplib";
import { activeMqPrefetch, MQ_CONCURRENCY, rabbitMqPrefetch } from "../../src/runtime/workers.js";
import { StompTcpSocket } from "../../src/sources/mq/stomp-socket.js";
import { count, cutRatio, cutTimes, markdownTable, rate } from "../filter/table.js";
import {
  type BenchSluice,
  CpuMeter,
  type CpuReading,
  type CpuSplit,
  cpuOverClocks,
  cpuPerThousand,
  type Latency,
  median,
  sleep,
  startBenchSluice,
  type Throughput,
} from "../harness.js";

export const RABBITMQ_URL = process.env.BENCH_RABBITMQ_URL ?? "amqp://127.0.0.1:5673";
export const RABBITMQ_USERNAME = process.env.BENCH_RABBITMQ_USERNAME ?? "guest";
export const RABBITMQ_PASSWORD = process.env.BENCH_RABBITMQ_PASSWORD ?? "guest";
export const ACTIVEMQ_URL = process.env.BENCH_ACTIVEMQ_URL ?? "stomp://127.0.0.1:61613";
export const ACTIVEMQ_USERNAME = process.env.BENCH_ACTIVEMQ_USERNAME ?? "sluice";
export const ACTIVEMQ_PASSWORD = process.env.BENCH_ACTIVEMQ_PASSWORD ?? "sluice-secret";

/** The issue's target: Sluice at >= 90 % of the bare consumer, on each broker. */
export const TARGET_VS_BARE = 0.9;

/** Both contenders' batch: the bare consumer's prefetch and batch, Sluice's BatchSize. */
const BATCH_SIZE = 100;
const DEFAULT_MESSAGES = 50_000;
const DEFAULT_ROUNDS = 5;
const WARM_MESSAGES = 500;
const LATENCY_MESSAGES = 100;
const LATENCY_RATE = 10;
/** The MQ default MaximumBatchingWindowInSeconds, in ms: what the latency runs' first Sluice mapping gets. */
const MQ_DEFAULT_WINDOW_MS = 500;
const METRICS_POLL_MS = 2;
const RUN_TIMEOUT_MS = 60_000;

export type BrokerName = "rabbitmq" | "activemq";
/** The bare consumer's acknowledgements: one per batch (cumulative, the default), or one per message. */
export type BareAck = "batch" | "each";

interface BareOptions {
  ack: BareAck;
  /** Messages the broker may push ahead of the acknowledgements. */
  prefetch: number;
}

export interface MqBenchOptions {
  messages?: number;
  rounds?: number;
  /** Skip the low-load latency runs. */
  noLatency?: boolean;
  /** The brokers to run, in order; both by default. */
  brokers?: BrokerName[];
  /** MaximumBatchingWindowInSeconds of Sluice's throughput mappings (a diagnostic; unset: MQ's default). */
  window?: number;
  /** The broker entry's `concurrency` for Sluice (a diagnostic; unset: Sluice's default per engine). */
  concurrency?: number;
  /** How the bare consumer acknowledges (a diagnostic; default "batch"). */
  bareAck?: BareAck;
  /** The bare consumer's prefetch (a diagnostic; default BatchSize for each of Sluice's concurrent batches). */
  barePrefetch?: number;
  /** Persistent messages (and durable RabbitMQ queues) instead of non-persistent ones (a diagnostic). */
  persistent?: boolean;
  log?: (line: string) => void;
}

export interface BrokerResult {
  broker: string;
  throughput: Throughput[];
  latency: Latency[];
  /** Sluice's control plane per round: from the POST that creates the mapping to its basic.consume/SUBSCRIBE. */
  sluiceStartMs: number[];
  /** Sluice over the bare consumer (median rounds). */
  vsBare: number;
}

export interface MqBenchResult {
  messages: number;
  batchSize: number;
  brokers: BrokerResult[];
  misses: string[];
}

const BARE = "bare consumer (a)";
const SLUICE = "sluice (c)";
const SLUICE_WINDOW_0 = "sluice (c), window 0";

/** Handed each batch by the bare consumer: does nothing with it. */
const noop = (_batch: unknown[]) => {};

/** The send time the bench writes into every message's body. */
const body = (n: number) => JSON.stringify({ n, at: Date.now() });
const sentAt = (text: string) => (JSON.parse(text) as { at: number }).at;

/** A bare consumer on one queue: started, it reports each batch it handed to the no-op; stop() ends it. */
interface Running {
  stop(): Promise<void>;
}

interface BareHooks {
  /** The no-op was handed this many messages, and they were acknowledged. */
  seen(n: number): void;
  /** When set, each message's latency (now minus the send time in its body) is pushed here. */
  latencies?: number[];
  /**
   * Hand a partial batch to the no-op once the broker's burst has been read (latency runs); otherwise wait for
   * BATCH_SIZE, or for `expected` messages in all.
   */
  flushPartial: boolean;
  expected?: number;
}

/** What the bench needs of a broker, and what Sluice's config file says about it. */
interface Broker {
  readonly name: BrokerName;
  readonly label: string;
  /** The mapping's EventSourceArn and BASIC_AUTH secret, and Sluice's config entries for them. */
  readonly arn: string;
  readonly secretArn: string;
  readonly endpoint: string;
  readonly username: string;
  readonly password: string;
  /** The mapping's SourceAccessConfigurations. */
  readonly sourceAccess: { Type: string; URI: string }[];
  /** Reads the CPU each round uses: the broker's too, if it is the one test/services/up started. */
  readonly cpu: CpuMeter;
  /** Connects the bench's own client (queues, publishing); the broker's name and version. */
  open(): Promise<string>;
  close(): Promise<void>;
  createQueue(tag: string): Promise<string>;
  deleteQueue(queue: string): Promise<void>;
  /** N messages, confirmed by the broker before this resolves. */
  preload(queue: string, n: number): Promise<void>;
  /** One message, confirmed by the broker. */
  publish(queue: string, text: string): Promise<void>;
  startBare(queue: string, hooks: BareHooks, bare: BareOptions): Promise<Running>;
  /** The first basic.consume/SUBSCRIBE anyone in this process made since resetSubscribed(). */
  firstSubscribed(): Subscribed | undefined;
  resetSubscribed(): void;
}

let queues = 0;
const queueName = (tag: string) => `bench-mq-${tag}-${process.pid}-${Date.now()}-${queues++}`;

/**
 * Gathers a consumer's deliveries into batches for the no-op: a batch is handed over at BATCH_SIZE, at the
 * run's last expected message, or (flushPartial) once the current burst of deliveries has been read.
 */
function batching<M>(hooks: BareHooks, sentAtOf: (m: M) => number, settle: (batch: M[]) => void) {
  let batch: M[] = [];
  let seen = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (batch.length === 0) return;
    const messages = batch;
    batch = [];
    if (hooks.latencies) {
      const now = Date.now();
      for (const m of messages) hooks.latencies.push(now - sentAtOf(m));
    }
    noop(messages);
    settle(messages);
    seen += messages.length;
    hooks.seen(messages.length);
  };
  return (message: M) => {
    batch.push(message);
    if (batch.length >= BATCH_SIZE || seen + batch.length === hooks.expected) flush();
    else if (hooks.flushPartial && !scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}

// ---------------------------------------------------------------------------------------------------------
// RabbitMQ: amqplib, a queue of its own per run in vhost "/"
// ---------------------------------------------------------------------------------------------------------

/** When a contender subscribed, and the CPU used until then: where its clock starts. */
interface Subscribed {
  at: bigint;
  cpu: CpuReading | undefined;
}

/** Read in the subscribe call itself, the CPU first so that reading it is not on the clock. */
const subscribedNow = (meter: CpuMeter): Subscribed => {
  const cpu = meter.read();
  return { at: process.hrtime.bigint(), cpu };
};

class RabbitBroker implements Broker {
  readonly name = "rabbitmq";
  readonly label = "RabbitMQ";
  readonly arn = "arn:aws:mq:us-east-1:000000000000:broker:bench-rabbitmq:b-bench-rabbitmq";
  readonly secretArn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-rabbitmq";
  readonly endpoint = RABBITMQ_URL;
  readonly username = RABBITMQ_USERNAME;
  readonly password = RABBITMQ_PASSWORD;
  readonly sourceAccess = [
    { Type: "BASIC_AUTH", URI: this.secretArn },
    { Type: "VIRTUAL_HOST", URI: "/" },
  ];
  readonly cpu = new CpuMeter(process.env.BENCH_RABBITMQ_URL === undefined ? "rabbitmq" : undefined);
  private connection: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  private subscribed: Subscribed | undefined;
  private unwrap: (() => void) | undefined;

  /** Persistent messages go to a durable queue, the others to a transient one. */
  constructor(private readonly persistent: boolean) {}

  /** As Sluice connects: the URL's host and port, the credentials apart, Nagle off. */
  private connect(): Promise<ChannelModel> {
    const url = new URL(this.endpoint);
    return connect(
      {
        protocol: url.protocol.slice(0, -1),
        hostname: url.hostname,
        port: Number(url.port || 5672),
        username: this.username,
        password: this.password,
        vhost: "/",
      },
      { noDelay: true },
    );
  }

  async open(): Promise<string> {
    this.connection = await this.connect();
    this.channel = await this.connection.createConfirmChannel();
    // Every channel's consume, Sluice's included (one amqplib in the process): the clock starts there.
    const plain = await this.connection.createChannel();
    const prototype = Object.getPrototypeOf(plain) as Channel;
    const consume = prototype.consume;
    const broker = this;
    prototype.consume = function (this: Channel, ...args: Parameters<Channel["consume"]>) {
      broker.subscribed ??= subscribedNow(broker.cpu);
      return consume.apply(this, args);
    };
    this.unwrap = () => {
      prototype.consume = consume;
    };
    await plain.close();
    return `RabbitMQ ${String(this.connection.connection.serverProperties.version ?? "")}`.trim();
  }

  async close(): Promise<void> {
    this.unwrap?.();
    await this.connection?.close().catch(() => {});
  }

  async createQueue(tag: string): Promise<string> {
    const name = queueName(tag);
    await this.confirmChannel().assertQueue(name, { durable: this.persistent });
    return name;
  }

  async deleteQueue(queue: string): Promise<void> {
    await this.confirmChannel()
      .deleteQueue(queue)
      .catch(() => {});
  }

  async preload(queue: string, n: number): Promise<void> {
    const channel = this.confirmChannel();
    for (let i = 0; i < n; i++) {
      if (!channel.sendToQueue(queue, Buffer.from(body(i)), { persistent: this.persistent }))
        await once(channel, "drain");
    }
    await channel.waitForConfirms();
  }

  async publish(queue: string, text: string): Promise<void> {
    const channel = this.confirmChannel();
    channel.sendToQueue(queue, Buffer.from(text), { persistent: this.persistent });
    await channel.waitForConfirms();
  }

  async startBare(queue: string, hooks: BareHooks, { ack, prefetch }: BareOptions): Promise<Running> {
    const connection = await this.connect();
    const channel = await connection.createChannel();
    await channel.prefetch(prefetch);
    const deliver = batching<ConsumeMessage>(
      hooks,
      (m) => sentAt(m.content.toString()),
      (batch) => {
        if (ack === "batch") channel.ack(batch.at(-1) as ConsumeMessage, true);
        else for (const m of batch) channel.ack(m);
      },
    );
    await channel.consume(queue, (m) => m && deliver(m), { noAck: false });
    return { stop: () => connection.close().catch(() => {}) };
  }

  firstSubscribed(): Subscribed | undefined {
    return this.subscribed;
  }

  resetSubscribed(): void {
    this.subscribed = undefined;
  }

  private confirmChannel(): ConfirmChannel {
    if (!this.channel) throw new Error("the RabbitMQ broker is not open");
    return this.channel;
  }
}

// ---------------------------------------------------------------------------------------------------------
// ActiveMQ: STOMP, a queue name of its own per run (ActiveMQ creates a queue on first use)
// ---------------------------------------------------------------------------------------------------------

class ActiveBroker implements Broker {
  readonly name = "activemq";
  readonly label = "ActiveMQ";
  readonly arn = "arn:aws:mq:us-east-1:000000000000:broker:bench-activemq:b-bench-activemq";
  readonly secretArn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-activemq";
  readonly endpoint = ACTIVEMQ_URL;
  readonly username = ACTIVEMQ_USERNAME;
  readonly password = ACTIVEMQ_PASSWORD;
  readonly sourceAccess = [{ Type: "BASIC_AUTH", URI: this.secretArn }];
  readonly cpu = new CpuMeter(process.env.BENCH_ACTIVEMQ_URL === undefined ? "activemq" : undefined);
  private client: Client | undefined;
  private subscribed: Subscribed | undefined;
  private unwrap: (() => void) | undefined;
  private receipts = 0;

  constructor(private readonly persistent: boolean) {}

  /** A connected client, no heart-beats; the CONNECTED frame's `server` header. */
  private connect(): Promise<{ client: Client; server: string }> {
    const url = new URL(this.endpoint);
    const host = url.hostname;
    const port = Number(url.port || 61613);
    return new Promise((resolve, reject) => {
      const client = new Client({
        // The socket and logging Sluice uses: the client's debug line for each chunk read costs nothing.
        webSocketFactory: () => new StompTcpSocket(host, port),
        connectHeaders: { login: this.username, passcode: this.password, host },
        reconnectDelay: 0,
        heartbeatIncoming: 0,
        heartbeatOutgoing: 0,
        connectionTimeout: 10_000,
        logRawCommunication: true,
        onConnect: (frame: IFrame) => resolve({ client, server: frame.headers.server ?? "ActiveMQ" }),
        onStompError: (frame: IFrame) => {
          void client.deactivate({ force: true });
          reject(new Error(`STOMP ERROR: ${frame.headers.message ?? ""} ${frame.body}`));
        },
        onWebSocketClose: () => reject(new Error(`the STOMP connection to ${host}:${port} closed`)),
      });
      client.activate();
    });
  }

  async open(): Promise<string> {
    const { client, server } = await this.connect();
    this.client = client;
    // Every client's subscribe, Sluice's included (one @stomp/stompjs in the process): the clock starts there.
    const subscribe = Client.prototype.subscribe;
    const broker = this;
    Client.prototype.subscribe = function (this: Client, ...args: Parameters<Client["subscribe"]>) {
      broker.subscribed ??= subscribedNow(broker.cpu);
      return subscribe.apply(this, args);
    };
    this.unwrap = () => {
      Client.prototype.subscribe = subscribe;
    };
    return server.replace("/", " ");
  }

  async close(): Promise<void> {
    this.unwrap?.();
    await this.client?.deactivate();
  }

  async createQueue(tag: string): Promise<string> {
    return queueName(tag);
  }

  async deleteQueue(): Promise<void> {
    // STOMP cannot delete a destination; the queue is empty and stays.
  }

  /** Frames on one connection are handled in order: the last message's receipt confirms them all. */
  async preload(queue: string, n: number): Promise<void> {
    for (let i = 0; i < n - 1; i++) this.send(queue, body(i));
    if (n > 0) await this.publish(queue, body(n - 1));
  }

  publish(queue: string, text: string): Promise<void> {
    const client = this.stompClient();
    const receipt = `bench-${this.receipts++}`;
    const done = new Promise<void>((resolve) => client.watchForReceipt(receipt, () => resolve()));
    this.send(queue, text, { receipt });
    return done;
  }

  async startBare(queue: string, hooks: BareHooks, { ack, prefetch }: BareOptions): Promise<Running> {
    const { client } = await this.connect();
    const deliver = batching<IMessage>(
      hooks,
      (m) => sentAt(m.body),
      (batch) => {
        if (ack === "batch") batch.at(-1)?.ack();
        else for (const m of batch) m.ack();
      },
    );
    const subscription: StompSubscription = client.subscribe(`/queue/${queue}`, deliver, {
      ack: ack === "batch" ? "client" : "client-individual",
      "activemq.prefetchSize": String(prefetch),
    });
    return {
      async stop() {
        subscription.unsubscribe();
        await client.deactivate();
      },
    };
  }

  firstSubscribed(): Subscribed | undefined {
    return this.subscribed;
  }

  resetSubscribed(): void {
    this.subscribed = undefined;
  }

  /** A JMS TextMessage (no content-length). */
  private send(queue: string, text: string, headers: Record<string, string> = {}): void {
    this.stompClient().publish({
      destination: `/queue/${queue}`,
      body: text,
      headers: { persistent: String(this.persistent), ...headers },
      skipContentLengthHeader: true,
    });
  }

  private stompClient(): Client {
    if (!this.client) throw new Error("the ActiveMQ broker is not open");
    return this.client;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The runs
// ---------------------------------------------------------------------------------------------------------

interface Knobs {
  /** Sluice's MaximumBatchingWindowInSeconds in the throughput runs; undefined: MQ's default. */
  window: number | undefined;
  bare: BareOptions;
}

/** A mapping of `queue` to one of the bench's handler functions. */
const mappingOf = (broker: Broker, FunctionName: string, queue: string, windowSeconds?: number) => ({
  FunctionName,
  EventSourceArn: broker.arn,
  Queues: [queue],
  SourceAccessConfigurations: broker.sourceAccess,
  BatchSize: BATCH_SIZE,
  ...(windowSeconds === undefined ? {} : { MaximumBatchingWindowInSeconds: windowSeconds }),
});

/** What Sluice lets the broker push ahead: RabbitMQ's one consumer, or each of ActiveMQ's subscriptions. */
const sluicePrefetch = (broker: BrokerName, concurrency: number) =>
  broker === "rabbitmq"
    ? String(rabbitMqPrefetch(BATCH_SIZE, concurrency))
    : `${activeMqPrefetch(BATCH_SIZE)} a subscription`;

const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;

interface BareRun {
  perSecond: number;
  /** The CPU used over the clock. */
  cpu: CpuSplit | undefined;
}

/** (a) on a fresh pre-loaded queue: messages/s from its basic.consume/SUBSCRIBE to N acknowledged. */
async function throughputOfBare(broker: Broker, tag: string, n: number, knobs: Knobs): Promise<BareRun> {
  const queue = await broker.createQueue(tag);
  await broker.preload(queue, n);
  let seen = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  broker.resetSubscribed();
  const t0 = process.hrtime.bigint();
  const timeout = setTimeout(() => done(), RUN_TIMEOUT_MS);
  let running: Running;
  let elapsed: number;
  let cpu: CpuSplit | undefined;
  try {
    running = await broker.startBare(
      queue,
      {
        seen: (k) => {
          seen += k;
          if (seen >= n) done();
        },
        flushPartial: false,
        expected: n,
      },
      knobs.bare,
    );
    await finished;
    const subscribed = broker.firstSubscribed();
    elapsed = since(subscribed?.at ?? t0);
    cpu = broker.cpu.since(subscribed?.cpu);
  } finally {
    clearTimeout(timeout);
  }
  await running.stop();
  await broker.deleteQueue(queue);
  if (seen < n) throw new Error(`${tag}: ${seen} of ${n} messages seen within ${RUN_TIMEOUT_MS} ms`);
  return { perSecond: n / elapsed, cpu };
}

interface SluiceRun {
  perSecond: number;
  /** From the POST that creates the mapping to its basic.consume/SUBSCRIBE. */
  startMs: number;
  /** Mean InvocationDurationSeconds, in ms. */
  invokeMs: number;
  /** The CPU used over the clock, handler threads among the other threads. */
  cpu: CpuSplit | undefined;
}

/** (c) on a fresh pre-loaded queue: messages/s from its basic.consume/SUBSCRIBE to N acknowledged. */
async function throughputOfSluice(
  sut: BenchSluice,
  broker: Broker,
  n: number,
  knobs: Knobs,
): Promise<SluiceRun> {
  const queue = await broker.createQueue("sluice");
  await broker.preload(queue, n);
  broker.resetSubscribed();
  const t0 = process.hrtime.bigint();
  const uuid = await sut.map(mappingOf(broker, "noop", queue, knobs.window));
  let deleted = 0;
  while (deleted < n && since(t0) * 1000 < RUN_TIMEOUT_MS) {
    await sleep(METRICS_POLL_MS);
    deleted = await sut.metric("DeletedEventCount", uuid);
  }
  const subscribed = broker.firstSubscribed();
  const started = subscribed?.at ?? t0;
  const elapsed = since(started);
  const cpu = broker.cpu.since(subscribed?.cpu);
  const invokeMs = await sut.meanInvokeMs(uuid);
  await sut.unmap(uuid);
  await broker.deleteQueue(queue);
  if (deleted < n)
    throw new Error(`sluice: ${deleted} of ${n} messages acknowledged within ${RUN_TIMEOUT_MS} ms`);
  return { perSecond: n / elapsed, startMs: Number(started - t0) / 1e6, invokeMs, cpu };
}

function latencyOf(contender: string, samples: number[]): Latency {
  const sorted = [...samples].sort((x, y) => x - y);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { contender, samples: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
}

/** The `latency` function's lines (`<queue> <ms>`) for `queue`. */
function sluiceLatencies(sut: BenchSluice, queue: string): number[] {
  return readFileSync(sut.latencyFile, "utf8")
    .split("\n")
    .filter((line) => line.startsWith(`${queue} `))
    .map((line) => Number(line.slice(queue.length + 1)));
}

/**
 * The three latency contenders at once, each on its own empty queue: LATENCY_MESSAGES each, one at a time at
 * LATENCY_RATE/s, the three queues' sends staggered evenly within each period.
 */
async function latencyRuns(sut: BenchSluice, broker: Broker, knobs: Knobs): Promise<Latency[]> {
  const [bareQueue, defaultQueue, zeroQueue] = [
    await broker.createQueue("latency-bare"),
    await broker.createQueue("latency-sluice"),
    await broker.createQueue("latency-sluice-0"),
  ] as [string, string, string];
  writeFileSync(sut.latencyFile, "");
  const bareSamples: number[] = [];
  const bare = await broker.startBare(
    bareQueue,
    { seen: () => {}, latencies: bareSamples, flushPartial: true },
    knobs.bare,
  );
  const uuids = [
    await sut.map(mappingOf(broker, "latency", defaultQueue)),
    await sut.map(mappingOf(broker, "latency", zeroQueue, 0)),
  ];
  await sleep(1_000); // the mappings connected and subscribed
  const targets = [bareQueue, defaultQueue, zeroQueue];
  const t0 = Date.now();
  for (let i = 0; i < LATENCY_MESSAGES; i++) {
    for (const [k, queue] of targets.entries()) {
      const due = t0 + (i * 1000) / LATENCY_RATE + (k * 1000) / LATENCY_RATE / targets.length;
      if (due > Date.now()) await sleep(due - Date.now());
      await broker.publish(queue, body(i));
    }
  }
  const all = () => [bareSamples, sluiceLatencies(sut, defaultQueue), sluiceLatencies(sut, zeroQueue)];
  const deadline = Date.now() + 10_000;
  while (all().some((s) => s.length < LATENCY_MESSAGES) && Date.now() < deadline) await sleep(20);
  await bare.stop();
  for (const uuid of uuids) await sut.unmap(uuid);
  for (const queue of targets) await broker.deleteQueue(queue);
  const [a, c, c0] = all() as [number[], number[], number[]];
  return [latencyOf(BARE, a), latencyOf(SLUICE, c), latencyOf(SLUICE_WINDOW_0, c0)];
}

async function runBroker(
  sut: BenchSluice,
  broker: Broker,
  n: number,
  rounds: number,
  options: MqBenchOptions,
  log: (line: string) => void,
): Promise<BrokerResult> {
  const concurrency = options.concurrency ?? MQ_CONCURRENCY[broker.name];
  // The bare consumer may hold as many unacknowledged messages as Sluice asks the broker for.
  const knobs: Knobs = {
    window: options.window,
    bare: {
      ack: options.bareAck ?? "batch",
      prefetch: options.barePrefetch ?? BATCH_SIZE * concurrency,
    },
  };
  const window =
    knobs.window === undefined ? `${MQ_DEFAULT_WINDOW_MS} ms (MQ's default)` : `${knobs.window} s`;
  log(
    `### ${broker.label}\n\n${broker.endpoint}: bare consumer prefetch ${knobs.bare.prefetch}, ` +
      `${knobs.bare.ack === "batch" ? "one cumulative ack a batch" : "an ack a message"}; ` +
      `sluice ${concurrency} batch(es) at a time, prefetch ${sluicePrefetch(broker.name, concurrency)}, ` +
      `batching window ${window}`,
  );
  // Warm-up: a small run of each, so no contender is timed cold (connections, Sluice's worker threads).
  const warm = Math.min(n, WARM_MESSAGES);
  await throughputOfBare(broker, "warm-bare", warm, knobs);
  await throughputOfSluice(sut, broker, warm, knobs);

  const measured: Record<string, number[]> = { [BARE]: [], [SLUICE]: [] };
  const cpu: Record<string, (CpuSplit | undefined)[]> = { [BARE]: [], [SLUICE]: [] };
  const sluiceStartMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const bare = await throughputOfBare(broker, "bare", n, knobs);
    measured[BARE]?.push(bare.perSecond);
    const run = await throughputOfSluice(sut, broker, n, knobs);
    measured[SLUICE]?.push(run.perSecond);
    cpu[BARE]?.push(bare.cpu);
    cpu[SLUICE]?.push(run.cpu);
    sluiceStartMs.push(run.startMs);
    log(
      `round ${r + 1}: ${Object.entries(measured)
        .map(([name, xs]) => `${name} ${rate(xs.at(-1) ?? 0)}`)
        .join(", ")} msg/s; sluice's mean invocation ${run.invokeMs.toFixed(2)} ms, ` +
        `mapping created to ${broker.name === "rabbitmq" ? "basic.consume" : "SUBSCRIBE"} ${run.startMs.toFixed(0)} ms` +
        cpuOverClocks(bare.cpu, run.cpu),
    );
  }
  const throughput = Object.entries(measured).map(([contender, xs]) => ({
    contender,
    rounds: xs,
    median: median(xs),
  }));
  const latency = options.noLatency ? [] : await latencyRuns(sut, broker, knobs);
  const of = (name: string) => throughput.find((t) => t.contender === name)?.median ?? Number.NaN;
  const vsBare = of(SLUICE) / of(BARE);

  const lat = (name: string) => latency.find((l) => l.contender === name);
  const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "–" : `${x.toFixed(0)} ms`);
  const rows = [...throughput.map((t) => t.contender), ...(latency.length > 0 ? [SLUICE_WINDOW_0] : [])];
  log("");
  log(
    markdownTable(
      ["contender", "msg/s (median)", "rounds", "vs sluice", "p50", "p99", "latency samples"],
      rows.map((name) => {
        const t = throughput.find((x) => x.contender === name);
        const l = lat(name);
        return [
          name,
          t ? rate(t.median) : "–",
          t ? t.rounds.map(rate).join(" / ") : "–",
          t && name !== SLUICE ? cutTimes(of(SLUICE) / t.median) : "–",
          ms(l?.p50),
          ms(l?.p99),
          l ? String(l.samples) : "–",
        ];
      }),
      (c) => c === 1 || c >= 3,
    ),
  );
  log("");
  for (const [name, splits] of Object.entries(cpu)) {
    const used = cpuPerThousand(splits, n, measured[name] ?? []);
    if (used) log(`CPU, ${name}: ${used}  `);
  }
  log("");
  log(
    `${broker.label}: c/a = ${cutRatio(vsBare)} (target ≥ ${TARGET_VS_BARE}: ${vsBare >= TARGET_VS_BARE ? "ok" : "MISS"})`,
  );
  log("");
  return { broker: broker.label, throughput, latency, sluiceStartMs, vsBare };
}

export async function runMqBench(options: MqBenchOptions = {}): Promise<MqBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const n = options.messages ?? DEFAULT_MESSAGES;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const started = Date.now();
  const cpus = os.cpus();
  const persistent = options.persistent ?? false;
  const all: Broker[] = [new RabbitBroker(persistent), new ActiveBroker(persistent)];
  const brokers = all.filter((b) => (options.brokers ?? ["rabbitmq", "activemq"]).includes(b.name));
  log("## bench/mq\n");
  const versions: string[] = [];
  try {
    for (const broker of brokers) {
      try {
        versions.push(await broker.open());
      } catch (err) {
        throw new Error(
          `bench/mq needs ${broker.label} at ${broker.endpoint} (test/services/up): ${(err as Error).message}`,
        );
      }
    }
    log(
      `node ${process.version} · ${cpus[0]?.model.trim() ?? "unknown CPU"} × ${cpus.length} · ${versions.join(", ")} · ` +
        `${count(n)} ${persistent ? "persistent" : "non-persistent"} messages a run, BatchSize ${BATCH_SIZE}, ${rounds} round(s)\n`,
    );
    const sut = await startBenchSluice({}, import.meta.dirname, {
      brokers: Object.fromEntries(
        brokers.map((b) => [
          b.arn,
          { endpoints: [b.endpoint], ...(options.concurrency ? { concurrency: options.concurrency } : {}) },
        ]),
      ),
      secrets: Object.fromEntries(
        brokers.map((b) => [b.secretArn, { username: b.username, password: b.password }]),
      ),
    });
    try {
      const results: BrokerResult[] = [];
      for (const broker of brokers) results.push(await runBroker(sut, broker, n, rounds, options, log));
      const misses = results
        .filter((r) => !(r.vsBare >= TARGET_VS_BARE))
        .map((r) => `${r.broker}: c/a ${cutRatio(r.vsBare)} < ${TARGET_VS_BARE}`);
      log(
        `latency: ${LATENCY_MESSAGES} messages a contender, published one at a time at ${LATENCY_RATE}/s (send time in ` +
          `the body) to the handler; the bare consumer hands over what it has as it comes, sluice (c) with the MQ ` +
          `default window (${MQ_DEFAULT_WINDOW_MS} ms), sluice (c), window 0 with MaximumBatchingWindowInSeconds 0 · ` +
          `bench/mq took ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
      return { messages: n, batchSize: BATCH_SIZE, brokers: results, misses };
    } finally {
      await sut.close();
    }
  } finally {
    for (const broker of brokers) await broker.close();
  }
}
