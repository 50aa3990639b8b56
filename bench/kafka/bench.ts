/**
 * bench/kafka: records per second from a 4-partition Kafka topic (librdkafka's mock cluster, started by
 * test/services/up) to a no-op, for two contenders in the same run:
 *
 *   (a) bare consumer: KafkaJS, the client Sluice uses, in a fresh consumer group, `eachBatch` calling a no-op per
 *       BATCH_SIZE records and committing as KafkaJS does by default: the ceiling;
 *   (c) Sluice in-process, a self-managed Kafka mapping (BatchSize BATCH_SIZE, Kafka's default 500 ms batching
 *       window, TRIM_HORIZON, a fresh ConsumerGroupId) to a no-op `handler` function run in its worker threads.
 *
 * Every round each contender gets its own fresh topic, pre-loaded with N records before its clock starts. A new
 * group's first join takes the mock 3 s whoever joins, so each clock starts when the contender's consumer has
 * joined its group (seen by a wrapper around KafkaJS's consumer factory, which Sluice's consumers go through too)
 * and stops when N records have been handed to the no-op (Sluice: InvokedEventCount, read in-process every
 * METRICS_POLL_MS). Rounds interleave the contenders; the median round is reported.
 */
import os from "node:os";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { count, cutRatio, markdownTable, rate } from "../filter/table.js";
import {
  type BenchSluice,
  CpuMeter,
  type CpuReading,
  type CpuSplit,
  cpuOverClocks,
  cpuPerThousand,
  median,
  sleep,
  startBenchSluice,
  type Throughput,
} from "../harness.js";

/** The issue's target: Sluice at >= 90 % of the bare consumer. */
export const TARGET_VS_BARE = 0.9;

const BATCH_SIZE = 100;
const DEFAULT_RECORDS = 50_000;
const DEFAULT_ROUNDS = 5;
const RECORD_BYTES = 100;
const METRICS_POLL_MS = 2;
const RUN_TIMEOUT_MS = 120_000;

export interface KafkaBenchOptions {
  records?: number;
  rounds?: number;
  /** MaximumBatchingWindowInSeconds of Sluice's mapping (a diagnostic; unset: Kafka's default, 500 ms). */
  window?: number;
  /** Bootstrap servers; default: the mock test/services/up started. */
  brokers?: string[];
  log?: (line: string) => void;
}

export interface KafkaBenchResult {
  records: number;
  batchSize: number;
  throughput: Throughput[];
  /** Sluice over the bare consumer (median rounds). */
  vsBare: number;
  misses: string[];
}

/** Reads the CPU each round uses: the mock's too, unless the bench was pointed at other brokers. */
let meter = new CpuMeter();

/**
 * When a consumer of the given group first finished joining it (KafkaJS's GROUP_JOIN, whoever made the
 * consumer), and the CPU used until then; and how often it joined. A rejoin (a consumer that crashed and came
 * back) does not restart the clock.
 */
const joined = new Map<string, { at: number; cpu: CpuReading | undefined; joins: number }>();
const consumerOf = Kafka.prototype.consumer;
Kafka.prototype.consumer = function (this: Kafka, config) {
  const consumer = consumerOf.call(this, config);
  consumer.on(consumer.events.GROUP_JOIN, () => {
    const known = joined.get(config.groupId);
    if (known) known.joins++;
    else joined.set(config.groupId, { cpu: meter.read(), at: performance.now(), joins: 1 });
  });
  return consumer;
};

/** A contender's run: records/s from its join to N records, and the CPU used meanwhile. */
interface Run {
  perSecond: number;
  cpu: CpuSplit | undefined;
}

/** The run of `group`'s consumer, which joined, until `end`. */
function runOf(group: string, n: number, end: number): Run {
  const start = joined.get(group);
  if (!start) throw new Error(`no consumer of group ${group} was seen joining it`);
  if (start.joins > 1)
    console.warn(`group ${group}: its consumer joined ${start.joins} times during the run`);
  return { perSecond: (n * 1000) / (end - start.at), cpu: meter.since(start.cpu) };
}

/** The bootstrap servers of the mock test/services/up started. */
async function localMock(): Promise<string[]> {
  const { kafkaBootstrap } = await import("../../test/services/endpoints.js");
  return kafkaBootstrap();
}

let topics = 0;
const freshName = (what: string) => `bench-${what}-${process.pid}-${++topics}`;

async function load(kafka: Kafka, topic: string, n: number): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const value = Buffer.alloc(RECORD_BYTES, "x");
  for (let i = 0; i < n; i += 1_000) {
    const messages = Array.from({ length: Math.min(1_000, n - i) }, (_, j) => ({ key: `k${i + j}`, value }));
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
}

const noop = (_records: unknown[]) => {};

/** (a) A fresh group reading `topic` from the start, from its join to N records. */
async function runBare(kafka: Kafka, topic: string, n: number): Promise<Run> {
  const group = freshName("bare");
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 1_000 });
  let seen = 0;
  let done!: (at: number) => void;
  const finished = new Promise<number>((resolve) => {
    done = resolve;
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (let i = 0; i < batch.messages.length; i += BATCH_SIZE)
        noop(batch.messages.slice(i, i + BATCH_SIZE));
      seen += batch.messages.length;
      if (seen >= n) done(performance.now());
    },
  });
  const end = await within(finished, `the bare consumer saw ${seen} of ${n}`);
  const run = runOf(group, n, end);
  await consumer.disconnect();
  return run;
}

/** (c) A mapping on `topic`, from its consumer's join to N invoked records. */
async function runSluice(
  sut: BenchSluice,
  brokers: string[],
  topic: string,
  n: number,
  window: number | undefined,
): Promise<Run> {
  const group = freshName("sluice");
  const uuid = await sut.map({
    FunctionName: "noop",
    Topics: [topic],
    SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: brokers } },
    SourceAccessConfigurations: [{ Type: "VPC_SUBNET", URI: "subnet:subnet-bench" }],
    SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: group },
    StartingPosition: "TRIM_HORIZON",
    BatchSize: BATCH_SIZE,
    ...(window === undefined ? {} : { MaximumBatchingWindowInSeconds: window }),
  });
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  for (;;) {
    const invoked = await sut.metric("InvokedEventCount", uuid);
    if (invoked >= n) break;
    if (Date.now() > deadline)
      throw new Error(`sluice invoked ${invoked} of ${n} within ${RUN_TIMEOUT_MS} ms`);
    await sleep(METRICS_POLL_MS);
  }
  const run = runOf(group, n, performance.now());
  await sut.unmap(uuid);
  return run;
}

async function within<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runKafkaBench(options: KafkaBenchOptions = {}): Promise<KafkaBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const n = options.records ?? DEFAULT_RECORDS;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const brokers = options.brokers ?? (await localMock());
  meter = new CpuMeter(options.brokers ? undefined : "kafka");
  const started = Date.now();
  const kafka = new Kafka({ clientId: "bench-kafka", brokers, logLevel: logLevel.NOTHING });
  const cpus = os.cpus();
  log("## bench/kafka\n");
  log(
    `node ${process.version} · ${cpus[0]?.model.trim() ?? "unknown CPU"} × ${cpus.length} · librdkafka mock cluster ` +
      `(3 brokers) at ${brokers.join(",")} · ${count(n)} records of ${RECORD_BYTES} bytes a run over 4 partitions, ` +
      `BatchSize ${BATCH_SIZE}, Sluice's window ${options.window === undefined ? "Kafka's default (500 ms)" : `${options.window} s`}, ${rounds} round(s)\n`,
  );
  const sut = await startBenchSluice({}, import.meta.dirname);
  try {
    // Warm-up, untimed and as long as a round: the JIT has most of both contenders' code compiled before their
    // clocks run (a 1,000-record warm-up left Sluice's first rounds compiling on V8's helper threads), and
    // Sluice's handler threads are started.
    const [warmA, warmC] = [freshName("warm"), freshName("warm")];
    await load(kafka, warmA, n);
    await load(kafka, warmC, n);
    await runBare(kafka, warmA, n);
    await runSluice(sut, brokers, warmC, n, options.window);
    const bare: Run[] = [];
    const sluice: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      const [a, c] = [freshName("a"), freshName("c")];
      await load(kafka, a, n);
      await load(kafka, c, n);
      const [runA, runC] = [await runBare(kafka, a, n), await runSluice(sut, brokers, c, n, options.window)];
      bare.push(runA);
      sluice.push(runC);
      log(
        `round ${round}: bare consumer (a) ${rate(runA.perSecond)} records/s, sluice (c) ${rate(runC.perSecond)} records/s` +
          cpuOverClocks(runA.cpu, runC.cpu),
      );
    }
    const rates = (runs: Run[]) => runs.map((r) => r.perSecond);
    const throughput: Throughput[] = [
      { contender: "bare consumer (a)", rounds: rates(bare), median: median(rates(bare)) },
      { contender: "sluice (c)", rounds: rates(sluice), median: median(rates(sluice)) },
    ];
    const vsBare = median(rates(sluice)) / median(rates(bare));
    log("");
    log(
      markdownTable(
        ["contender", "records/s (median)", "rounds"],
        throughput.map((t) => [t.contender, rate(t.median), t.rounds.map(rate).join(" / ")]),
        (c) => c === 1,
      ),
    );
    log("");
    for (const [name, runs] of [
      ["bare consumer (a)", bare],
      ["sluice (c)", sluice],
    ] as const) {
      const used = cpuPerThousand(
        runs.map((r) => r.cpu),
        n,
        rates(runs),
      );
      if (used) log(`CPU, ${name}: ${used}  `);
    }
    const misses = vsBare >= TARGET_VS_BARE ? [] : [`c/a ${cutRatio(vsBare)} < ${TARGET_VS_BARE}`];
    log(
      `\nc/a = ${cutRatio(vsBare)} (target ≥ ${TARGET_VS_BARE}: ${misses.length === 0 ? "ok" : "MISS"}) · ` +
        `bench/kafka took ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    return { records: n, batchSize: BATCH_SIZE, throughput, vsBare, misses };
  } finally {
    await sut.close();
  }
}
