/**
 * What the SQS, streams and MQ benchmarks share: Sluice run in-process with the bench's `noop` and `latency`
 * handler functions, driven through its HTTP API as a user would, its metrics read in-process, and the small
 * statistics they report.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { FastifyBaseLogger } from "fastify";
import pino from "pino";

/** The region and the emulators' placeholder credentials, for the bench's own clients and Sluice's. */
export const REGION = "us-east-1";
export const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export interface BenchSluice {
  endpoint: string;
  /** Where the `latency` function writes one line per record. */
  latencyFile: string;
  /** Creates a mapping (CreateEventSourceMapping's body); its UUID. */
  map(body: Record<string, unknown>): Promise<string>;
  /** Deletes the mapping and waits until it is gone, so its source can go too. */
  unmap(uuid: string): Promise<void>;
  metric(name: string, uuid: string): Promise<number>;
  /** The mapping's mean InvocationDurationSeconds so far, in ms. */
  meanInvokeMs(uuid: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * Sluice in-process, its SDK clients pointed by `endpoints` (AWS_ENDPOINT_URL_<SERVICE>) with REGION and
 * CREDENTIALS, and `functionsDir`'s noop.mjs and latency.mjs as handler functions `noop` and `latency`.
 * `config` adds to the config file's other sections (e.g. `brokers:` and `secrets:` for Amazon MQ).
 */
export async function startBenchSluice(
  endpoints: Record<string, string>,
  functionsDir: string,
  config: Record<string, unknown> = {},
): Promise<BenchSluice> {
  Object.assign(process.env, endpoints, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  });
  // Imported after the environment is set: SDK clients read it when made.
  const { parseConfig } = await import("../src/config/config.js");
  const { createSluice } = await import("../src/sluice.js");
  const dataDir = mkdtempSync(join(tmpdir(), "sluice-bench-"));
  const latencyFile = join(dataDir, "latency.txt");
  writeFileSync(latencyFile, "");
  const parsed = parseConfig(
    {
      ...config,
      functions: {
        noop: { handler: `${resolve(functionsDir, "noop")}.handler`, timeout: 30 },
        latency: {
          handler: `${resolve(functionsDir, "latency")}.handler`,
          timeout: 30,
          environment: { LATENCY_FILE: latencyFile },
        },
      },
    },
    process.cwd(),
  );
  const logger = pino({ level: process.env.SLUICE_LOG_LEVEL ?? "warn" }) as FastifyBaseLogger;
  const sluice = createSluice({ config: parsed, dataDir, logger });
  const endpoint = await sluice.listen("127.0.0.1", 0);
  const esm = `${endpoint}/2015-03-31/event-source-mappings/`;
  // The values /metrics serves, read in-process: cheap enough to poll every few milliseconds, so a run's end
  // is seen when it happens rather than up to a scrape later.
  const read = async (name: string, uuid: string) => {
    const values = (await sluice.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    return values.find((v) => v.labels.uuid === uuid)?.value ?? 0;
  };
  return {
    endpoint,
    latencyFile,
    async map(body) {
      const response = await fetch(esm, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status !== 202) throw new Error(`creating the mapping: ${response.status} ${text}`);
      return String((JSON.parse(text) as { UUID: string }).UUID);
    },
    async unmap(uuid) {
      await (await fetch(`${esm}${uuid}`, { method: "DELETE" })).text();
      for (let i = 0; i < 250; i++) {
        const response = await fetch(`${esm}${uuid}`);
        await response.text();
        if (response.status === 404) return;
        await sleep(20);
      }
    },
    metric: read,
    async meanInvokeMs(uuid) {
      const values = (await sluice.metrics.invocationDuration.get()).values.filter(
        (v) => v.labels.uuid === uuid,
      );
      const of = (name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
      return (1000 * of("InvocationDurationSeconds_sum")) / of("InvocationDurationSeconds_count");
    },
    close: () => sluice.close(),
  };
}

/** A contender's throughput: messages per second, one per round, and their median. */
export interface Throughput {
  contender: string;
  rounds: number[];
  median: number;
}

/** A contender's latency at low load, in ms. */
export interface Latency {
  contender: string;
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

/** CPU time /proc/<pid>/stat counts in: Linux reports it in USER_HZ ticks, 100 a second. */
const MS_PER_TICK = 10;

/** utime + stime of a /proc stat line, in ms; its parent's pid too (fields after the command, which may hold spaces). */
function statOf(path: string): { cpuMs: number; parent: number } {
  const stat = readFileSync(path, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { cpuMs: (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK, parent: Number(fields[1]) };
}

/**
 * A broker's processes, to count their CPU too: `pid` and its descendants (RabbitMQ's node runs under a shell
 * script). Empty where there is no /proc to read.
 */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const { parent } = statOf(`/proc/${entry}/stat`);
        children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
      } catch {
        // The process ended meanwhile.
      }
    }
  } catch {
    return [];
  }
  const tree: number[] = [];
  for (let next = [pid]; next.length > 0; next = next.flatMap((p) => children.get(p) ?? []))
    tree.push(...next);
  return tree;
}

/** CPU used so far: by each thread of this process (by thread id; the main thread's is the pid), and by the broker. */
export interface CpuReading {
  threads: Map<number, number>;
  brokerMs: number | undefined;
}

/**
 * Reads the CPU this process's threads and the broker's processes have used so far; undefined where there is no
 * /proc to read. A thread that ended between two readings is missing from the second.
 */
export function cpuReading(broker: readonly number[] = []): CpuReading | undefined {
  const tasks = `/proc/${process.pid}/task`;
  let tids: string[];
  try {
    tids = readdirSync(tasks);
  } catch {
    return undefined;
  }
  const threads = new Map<number, number>();
  for (const tid of tids) {
    try {
      threads.set(Number(tid), statOf(`${tasks}/${tid}/stat`).cpuMs);
    } catch {
      // The thread ended meanwhile.
    }
  }
  let brokerMs: number | undefined = broker.length > 0 ? 0 : undefined;
  for (const pid of broker) {
    try {
      brokerMs = (brokerMs ?? 0) + statOf(`/proc/${pid}/stat`).cpuMs;
    } catch {
      brokerMs = undefined;
      break;
    }
  }
  return { threads, brokerMs };
}

/** The CPU used between two readings: this process's main thread, its other threads together, and the broker. */
export interface CpuSplit {
  mainMs: number;
  otherMs: number;
  /** Undefined when the broker's processes are not known (not the ones test/services/up started). */
  brokerMs: number | undefined;
}

export function cpuSplit(
  before: CpuReading | undefined,
  after: CpuReading | undefined,
): CpuSplit | undefined {
  if (!before || !after) return undefined;
  let mainMs = 0;
  let otherMs = 0;
  for (const [tid, ms] of after.threads) {
    const used = ms - (before.threads.get(tid) ?? 0);
    if (tid === process.pid) mainMs += used;
    else otherMs += used;
  }
  const brokerMs =
    before.brokerMs === undefined || after.brokerMs === undefined
      ? undefined
      : after.brokerMs - before.brokerMs;
  return { mainMs, otherMs, brokerMs };
}

/** A CpuSplit for a log line: "main 340, other threads 20, broker 610 ms". */
export function cpuText({ mainMs, otherMs, brokerMs }: CpuSplit): string {
  return `main ${mainMs}, other threads ${otherMs}${brokerMs === undefined ? "" : `, broker ${brokerMs}`} ms`;
}

/**
 * A contender's CPU over its rounds, per 1,000 items (medians), and the cores that kept busy on average:
 * "19.4 ms (main 6.8, other threads 0.4, broker 12.2) a 1,000 on 1.68 cores". `perSecond`: the rounds' rates.
 */
export function cpuPerThousand(
  splits: readonly CpuSplit[],
  items: number,
  perSecond: readonly number[],
): string {
  const per = (ms: number) => (1000 * ms) / items;
  const total = (c: CpuSplit) => c.mainMs + c.otherMs + (c.brokerMs ?? 0);
  const cores = splits.map((c, i) => total(c) / ((1000 * items) / (perSecond[i] ?? Number.NaN)));
  const brokers = splits.map((c) => c.brokerMs).filter((ms): ms is number => ms !== undefined);
  const parts = [
    `main ${per(median(splits.map((c) => c.mainMs))).toFixed(1)}`,
    `other threads ${per(median(splits.map((c) => c.otherMs))).toFixed(1)}`,
    ...(brokers.length === splits.length ? [`broker ${per(median(brokers)).toFixed(1)}`] : []),
  ];
  return `${per(median(splits.map(total))).toFixed(1)} ms (${parts.join(", ")}) a 1,000 on ${median(cores).toFixed(2)} cores`;
}
