/**
 * bench/streams: records per second from a 4-shard Kinesis stream (kinesis-local) to a no-op, and the latency
 * from PutRecord to the function at low load, for two contenders on the same kinesis-local in the same run (a
 * fresh one the bench starts, unless BENCH_KINESIS_ENDPOINT names another):
 *
 *   (a) bare loop: per shard, GetShardIterator TRIM_HORIZON, then GetRecords(10,000) in a loop, calling a no-op
 *       per BATCH_SIZE records: the ceiling;
 *   (c) Sluice in-process, a mapping (TRIM_HORIZON, BatchSize BATCH_SIZE) to a no-op `handler` function run in
 *       its worker threads.
 *
 * Throughput: every contender gets its own fresh stream, pre-loaded with N records by PutRecords before its clock
 * starts; the clock runs from the contender's start (for Sluice, the mapping's creation) to N records handed to
 * the function (Sluice: InvokedEventCount read in-process every METRICS_POLL_MS). Rounds interleave the
 * contenders; the median round is reported. Latency: LATENCY_RECORDS put one at a time at LATENCY_RATE/s to an
 * idle contender, each carrying its put time; the bare loop polls an idle shard once a second, as AWS does.
 * Both contenders' GetRecords calls are counted by a middleware on their Kinesis clients.
 */

import { readFileSync } from "node:fs";
import { Agent } from "node:http";
import os from "node:os";
import { fileURLToPath } from "node:url";
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { type Child, freePort, startChild } from "../../src/dev/child-process.js";
import { kinesisLocalLaunch } from "../../src/dev/emulators.js";
import { sleep as abortableSleep } from "../../src/runtime/sleep.js";
import { count, cutRatio, cutTimes, markdownTable, rate } from "../filter/table.js";
import {
  type BenchSluice,
  CREDENTIALS,
  type Latency as LowLoadLatency,
  median,
  REGION,
  type Throughput as RoundsThroughput,
  sleep,
  startBenchSluice,
} from "../harness.js";

/** A kinesis-local to use instead of the fresh one the bench starts for itself. */
const GIVEN_ENDPOINT = process.env.BENCH_KINESIS_ENDPOINT;

/** The issue's target: Sluice at >= 90 % of the bare loop. */
export const TARGET_VS_BARE = 0.9;

const SHARDS = 4;
/** Lambda's default BatchSize for Kinesis: the no-op is called per this many records, by both contenders. */
const BATCH_SIZE = 100;
/** GetRecords returns at most 10,000 records. */
const MAX_READ = 10_000;
/** PutRecords takes at most 500 records. */
const PUT_BATCH = 500;
/** kinesis-local's PutRecords costs grow with the shard's length (20,000 records take about 20 s to put). */
const DEFAULT_RECORDS = 10_000;
const DEFAULT_ROUNDS = 5;
const WARM_RECORDS = 1_000;
const LATENCY_RECORDS = 100;
const LATENCY_RATE = 10;
/** AWS polls each shard once a second: the bare loop's pause after an empty read in the latency run. */
const AWS_POLL_MS = 1_000;
/** How long the latency runs watch a contender's GetRecords rate on the idle stream first. */
const IDLE_MS = 3_000;
const METRICS_POLL_MS = 2;
const RUN_TIMEOUT_MS = 60_000;

export interface StreamsBenchOptions {
  records?: number;
  rounds?: number;
  /** Skip the low-load latency runs. */
  noLatency?: boolean;
  log?: (line: string) => void;
}

/** Records per second, and GetRecords calls a round, per shard (mean over rounds). */
export interface Throughput extends RoundsThroughput {
  readsPerShard: number;
}

export interface Latency extends LowLoadLatency {
  /** GetRecords calls per second per shard on the idle stream, and while the records trickled in. */
  idleReadsPerShardPerSecond: number;
  readsPerShardPerSecond: number;
}

export interface StreamsBenchResult {
  records: number;
  throughput: Throughput[];
  latency: Latency[];
  /** Sluice over the bare loop (median rounds). */
  vsBare: number;
  misses: string[];
}

const BARE = "bare loop (a)";
const SLUICE = "sluice (c)";

/** HTTP/1.1 on purpose: the SDK's HTTP/2 default fails intermittently against kinesis-local. */
const kinesisAt = (endpoint: string) =>
  new KinesisClient({
    endpoint,
    region: REGION,
    credentials: CREDENTIALS,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }) }),
  });

/** The run's kinesis-local and the bench's own client of it, set by runStreamsBench. */
let endpoint: string;
let kinesis: KinesisClient;

/**
 * A fresh kinesis-local, as test/services/up starts one (on a free port). kinesis-local scans a shard to serve a
 * read and slows down as streams come and go, so one the test suite has used for an hour serves reads more slowly
 * and more unevenly than a fresh one: each run starts from the same state.
 */
async function startKinesisLocal(): Promise<Child> {
  const [port, tlsPort] = await Promise.all([freePort(), freePort()]);
  const { main, env } = kinesisLocalLaunch(port, tlsPort);
  const bindLocalhost = fileURLToPath(new URL("../../test/services/bind-localhost.cjs", import.meta.url));
  return startChild(
    "kinesis-local",
    `http://127.0.0.1:${port}`,
    process.execPath,
    ["--require", bindLocalhost, main],
    {
      ...env,
      SHARD_LIMIT: "1000000",
    },
  );
}

/** GetRecords calls answered so far, and when the current run's first GetShardIterator went out. */
interface Reads {
  calls: number;
  firstIteratorAt: bigint | undefined;
}

/** Counts the GetRecords calls a Kinesis client completes into `reads`. */
function countReads(client: KinesisClient, reads: Reads): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "GetShardIteratorCommand")
        reads.firstIteratorAt ??= process.hrtime.bigint();
      const out = await next(args);
      if (context.commandName === "GetRecordsCommand") reads.calls++;
      return out;
    },
    { step: "initialize", name: "benchCountReads" },
  );
}

const firstIterator = (reads: Reads, fallback: bigint) => reads.firstIteratorAt ?? fallback;

const bareReads: Reads = { calls: 0, firstIteratorAt: undefined };
const sluiceReads: Reads = { calls: 0, firstIteratorAt: undefined };

let streams = 0;
/** Sluice's mean invocation time (worker-thread round trip) in its last throughput run. */
let lastSluiceInvokeMs = Number.NaN;
/** The last Sluice run's control-plane time: from CreateEventSourceMapping to the first GetShardIterator. */
let lastSluiceStartMs = Number.NaN;

async function createStream(tag: string): Promise<{ name: string; arn: string }> {
  const name = `bench-streams-${tag}-${process.pid}-${Date.now()}-${streams++}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: SHARDS }));
  for (;;) {
    const { StreamDescriptionSummary } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: name }),
    );
    if (StreamDescriptionSummary?.StreamStatus === "ACTIVE")
      return { name, arn: StreamDescriptionSummary.StreamARN as string };
    await sleep(20);
  }
}

const deleteStream = (name: string) =>
  kinesis.send(new DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true })).catch(() => {});

/** The put time, carried in each record's data, so latency includes the PutRecord call itself. */
const payload = (n: number) => Buffer.from(JSON.stringify({ n, at: Date.now() }));
const putTimeOf = (data: Uint8Array) => (JSON.parse(Buffer.from(data).toString()) as { at: number }).at;

/** N records by PutRecords, PUT_BATCH a call, one partition key per record (spread evenly over the shards). */
async function preload(name: string, n: number): Promise<void> {
  let next = 0;
  // Two calls in flight: kinesis-local is single-threaded, more only queue there.
  const sender = async () => {
    while (next < n) {
      const from = next;
      next = Math.min(n, next + PUT_BATCH);
      const { FailedRecordCount } = await kinesis.send(
        new PutRecordsCommand({
          StreamName: name,
          Records: Array.from({ length: next - from }, (_, j) => ({
            PartitionKey: `key-${from + j}`,
            Data: payload(from + j),
          })),
        }),
      );
      if (FailedRecordCount) throw new Error(`kinesis-local refused ${FailedRecordCount} records`);
    }
  };
  await Promise.all([sender(), sender()]);
}

/** A contender reading one stream: started, it calls `seen` per batch its function sees; stop() ends it. */
interface Running {
  stop(): Promise<void>;
}
type Seen = (records: KinesisRecord[]) => void;

/** The bare loop's function: does nothing with the batch it is given. */
const noop: Seen = () => {};

/**
 * (a) Per shard: GetShardIterator TRIM_HORIZON, then GetRecords(MAX_READ) in a loop, the no-op and `seen` per
 * BATCH_SIZE records; after an empty read it waits `idlePollMs`, after a non-empty one it reads again at once.
 */
function startBare(name: string, seen: Seen, idlePollMs: number): Running {
  const controller = new AbortController();
  const { signal } = controller;
  const shard = async (ShardId: string) => {
    let { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: name, ShardId, ShardIteratorType: "TRIM_HORIZON" }),
      { abortSignal: signal },
    );
    while (!signal.aborted && ShardIterator) {
      const { Records = [], NextShardIterator } = await kinesis.send(
        new GetRecordsCommand({ ShardIterator, Limit: MAX_READ }),
        { abortSignal: signal },
      );
      ShardIterator = NextShardIterator;
      for (let i = 0; i < Records.length; i += BATCH_SIZE) {
        const batch = Records.slice(i, i + BATCH_SIZE);
        noop(batch);
        seen(batch);
      }
      if (Records.length === 0) await abortableSleep(idlePollMs, signal);
    }
  };
  const running = kinesis
    .send(new ListShardsCommand({ StreamName: name }), { abortSignal: signal })
    .then(({ Shards = [] }) => Promise.all(Shards.map((s) => shard(s.ShardId as string))))
    .catch((err: unknown) => {
      if (!signal.aborted) throw err;
    });
  return {
    async stop() {
      controller.abort();
      await running;
    },
  };
}

/** (c) Sluice, its own Kinesis client (one per region, shared by its sources) counted like the bare loop's. */
async function startSluice(): Promise<BenchSluice> {
  const sut = await startBenchSluice(
    {
      AWS_ENDPOINT_URL_KINESIS: endpoint,
    },
    import.meta.dirname,
  );
  const { kinesisClient } = await import("../../src/sources/kinesis/client.js");
  countReads(kinesisClient(REGION), sluiceReads);
  return sut;
}

/** A mapping of the stream to one of the bench's handler functions, from TRIM_HORIZON. */
const mappingOf = (FunctionName: string, EventSourceArn: string) => ({
  FunctionName,
  EventSourceArn,
  StartingPosition: "TRIM_HORIZON",
  BatchSize: BATCH_SIZE,
});

/** A contender's records/s on a fresh pre-loaded stream, and its GetRecords calls per shard. */
interface Measured {
  perSecond: number;
  readsPerShard: number;
}

async function throughputOfBare(tag: string, n: number): Promise<Measured> {
  const { name } = await createStream(tag);
  await preload(name, n);
  let seen = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const callsBefore = bareReads.calls;
  bareReads.firstIteratorAt = undefined;
  const t0 = process.hrtime.bigint();
  const running = startBare(
    name,
    (batch) => {
      seen += batch.length;
      if (seen >= n) done();
    },
    // A shard read to its end waits here while the others finish: it has nothing left to give.
    AWS_POLL_MS,
  );
  const timeout = setTimeout(done, RUN_TIMEOUT_MS);
  await finished;
  // A mutable field the middleware sets: read it through a function, past TypeScript's narrowing above.
  const elapsed = Number(process.hrtime.bigint() - firstIterator(bareReads, t0)) / 1e9;
  clearTimeout(timeout);
  const calls = bareReads.calls - callsBefore;
  await running.stop();
  await deleteStream(name);
  if (seen < n) throw new Error(`${tag}: ${seen} of ${n} records seen within ${RUN_TIMEOUT_MS} ms`);
  return { perSecond: n / elapsed, readsPerShard: calls / SHARDS };
}

async function throughputOfSluice(sut: BenchSluice, n: number): Promise<Measured> {
  const { name, arn } = await createStream("sluice");
  await preload(name, n);
  const callsBefore = sluiceReads.calls;
  sluiceReads.firstIteratorAt = undefined;
  const t0 = process.hrtime.bigint();
  const uuid = await sut.map(mappingOf("noop", arn));
  let invoked = 0;
  while (invoked < n && Number(process.hrtime.bigint() - t0) / 1e6 < RUN_TIMEOUT_MS) {
    await sleep(METRICS_POLL_MS);
    invoked = await sut.metric("InvokedEventCount", uuid);
  }
  // Both clocks run from the contender's first GetShardIterator: the data path, not the control plane.
  const started = firstIterator(sluiceReads, t0);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  lastSluiceStartMs = Number(started - t0) / 1e6;
  const calls = sluiceReads.calls - callsBefore;
  lastSluiceInvokeMs = await sut.meanInvokeMs(uuid);
  await sut.unmap(uuid);
  await deleteStream(name);
  if (invoked < n) throw new Error(`sluice: ${invoked} of ${n} records invoked within ${RUN_TIMEOUT_MS} ms`);
  return { perSecond: n / elapsed, readsPerShard: calls / SHARDS };
}

/** Puts LATENCY_RECORDS one at a time at LATENCY_RATE/s; resolves once `seen()` reaches them all. */
async function trickle(name: string, seen: () => number): Promise<void> {
  const t0 = Date.now();
  for (let i = 0; i < LATENCY_RECORDS; i++) {
    const due = t0 + (i * 1000) / LATENCY_RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    await kinesis.send(
      new PutRecordCommand({ StreamName: name, PartitionKey: `key-${i}`, Data: payload(i) }),
    );
  }
  const deadline = Date.now() + 30_000;
  while (seen() < LATENCY_RECORDS && Date.now() < deadline) await sleep(20);
}

/** GetRecords calls per second per shard while `during` runs. */
async function readRate(reads: Reads, during: () => Promise<void>): Promise<number> {
  const before = reads.calls;
  const t0 = Date.now();
  await during();
  return (reads.calls - before) / SHARDS / ((Date.now() - t0) / 1000);
}

/**
 * A contender started on a fresh empty stream: its GetRecords rate while the stream stays idle for IDLE_MS, then
 * the latencies of a trickle (`samples()` reads what the function has recorded so far) and the rate meanwhile.
 */
async function latencyOf(
  contender: string,
  name: string,
  reads: Reads,
  samples: () => number[],
): Promise<Latency> {
  await sleep(1_000); // started, every shard read empty once: polling at its idle rate
  const idle = await readRate(reads, () => sleep(IDLE_MS));
  const trickling = await readRate(reads, () => trickle(name, () => samples().length));
  const sorted = samples().sort((x, y) => x - y);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return {
    contender,
    samples: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted.at(-1) ?? Number.NaN,
    idleReadsPerShardPerSecond: idle,
    readsPerShardPerSecond: trickling,
  };
}

async function latencyOfBare(): Promise<Latency> {
  const { name } = await createStream("latency-bare");
  const samples: number[] = [];
  const running = startBare(
    name,
    (batch) => {
      const now = Date.now();
      for (const r of batch) samples.push(now - putTimeOf(r.Data as Uint8Array));
    },
    AWS_POLL_MS,
  );
  const latency = await latencyOf(BARE, name, bareReads, () => [...samples]);
  await running.stop();
  await deleteStream(name);
  return latency;
}

async function latencyOfSluice(sut: BenchSluice): Promise<Latency> {
  const { name, arn } = await createStream("latency-sluice");
  const uuid = await sut.map(mappingOf("latency", arn));
  const latency = await latencyOf(SLUICE, name, sluiceReads, () =>
    readFileSync(sut.latencyFile, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map(Number),
  );
  await sut.unmap(uuid);
  await deleteStream(name);
  return latency;
}

const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;

export async function runStreamsBench(options: StreamsBenchOptions = {}): Promise<StreamsBenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const n = options.records ?? DEFAULT_RECORDS;
  const rounds = options.rounds ?? DEFAULT_ROUNDS;
  const started = Date.now();
  const cpus = os.cpus();
  log("## bench/streams\n");
  const emulator = GIVEN_ENDPOINT === undefined ? await startKinesisLocal() : undefined;
  endpoint = emulator?.origin ?? (GIVEN_ENDPOINT as string);
  kinesis = kinesisAt(endpoint);
  countReads(kinesis, bareReads);
  log(
    `node ${process.version} · ${cpus[0]?.model.trim() ?? "unknown CPU"} × ${cpus.length} · ` +
      `${emulator ? "a fresh kinesis-local" : "kinesis-local"} at ${endpoint} · ` +
      `${count(n)} records a run on ${SHARDS} shards, BatchSize ${BATCH_SIZE}, ${rounds} round(s)`,
  );
  try {
    await deleteStream((await createStream("probe")).name);
  } catch (err) {
    kinesis.destroy();
    await emulator?.stop();
    throw new Error(`bench/streams cannot use kinesis-local at ${endpoint}: ${(err as Error).message}`);
  }
  const sut = await startSluice();
  try {
    // Warm-up: a small run of each, so no contender is timed cold (SDK, sockets, Sluice's worker threads).
    const warm = Math.min(n, WARM_RECORDS);
    await throughputOfBare("warm-bare", warm);
    await throughputOfSluice(sut, warm);

    const measured: Record<string, Measured[]> = { [BARE]: [], [SLUICE]: [] };
    for (let r = 0; r < rounds; r++) {
      measured[BARE]?.push(await throughputOfBare("bare", n));
      measured[SLUICE]?.push(await throughputOfSluice(sut, n));
      log(
        `round ${r + 1}: ${Object.entries(measured)
          .map(([name, xs]) => {
            const last = xs.at(-1);
            return `${name} ${rate(last?.perSecond ?? 0)} records/s (${last?.readsPerShard.toFixed(0)} GetRecords a shard)`;
          })
          .join(", ")}; sluice's mean invocation ${lastSluiceInvokeMs.toFixed(2)} ms, ` +
          `mapping created to first read ${lastSluiceStartMs.toFixed(0)} ms`,
      );
    }
    const throughput = Object.entries(measured).map(([contender, xs]) => ({
      contender,
      rounds: xs.map((x) => x.perSecond),
      median: median(xs.map((x) => x.perSecond)),
      readsPerShard: mean(xs.map((x) => x.readsPerShard)),
    }));
    const latency = options.noLatency ? [] : [await latencyOfBare(), await latencyOfSluice(sut)];

    const of = (name: string) => throughput.find((t) => t.contender === name)?.median ?? Number.NaN;
    const vsBare = of(SLUICE) / of(BARE);
    const misses: string[] = [];
    if (!(vsBare >= TARGET_VS_BARE)) misses.push(`c/a ${cutRatio(vsBare)} < ${TARGET_VS_BARE}`);

    const lat = (name: string) => latency.find((l) => l.contender === name);
    const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "–" : `${x.toFixed(0)} ms`);
    log("");
    log(
      markdownTable(
        [
          "contender",
          "records/s (median)",
          "rounds",
          "vs sluice",
          "GetRecords a shard",
          "p50",
          "p99",
          "GetRecords/s a shard, idle",
          `at ${LATENCY_RATE} records/s`,
        ],
        throughput.map((t) => {
          const l = lat(t.contender);
          return [
            t.contender,
            rate(t.median),
            t.rounds.map(rate).join(" / "),
            t.contender === SLUICE ? "–" : cutTimes(of(SLUICE) / t.median),
            t.readsPerShard.toFixed(0),
            ms(l?.p50),
            ms(l?.p99),
            l ? l.idleReadsPerShardPerSecond.toFixed(1) : "–",
            l ? l.readsPerShardPerSecond.toFixed(1) : "–",
          ];
        }),
        (c) => c === 1 || c >= 3,
      ),
    );
    log("");
    log(
      `c/a = ${cutRatio(vsBare)} (target ≥ ${TARGET_VS_BARE}: ${vsBare >= TARGET_VS_BARE ? "ok" : "MISS"})`,
    );
    log(
      `latency: ${LATENCY_RECORDS} records put one at a time at ${LATENCY_RATE}/s, PutRecord (put time in the data) to ` +
        `the function; the bare loop polls an idle shard every ${AWS_POLL_MS} ms (AWS's rate) · ` +
        `bench/streams took ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    return { records: n, throughput, latency, vsBare, misses };
  } finally {
    await sut.close();
    kinesis.destroy();
    await emulator?.stop();
  }
}
