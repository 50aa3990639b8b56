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

/** CPU time /proc/<pid>/task/<tid>/stat counts in: Linux reports it in USER_HZ ticks, 100 a second. */
const MS_PER_TICK = 10;

/**
 * The CPU ms each thread of this process has used so far, by thread id (the main thread's is the pid); undefined
 * where there is no /proc to read. A thread that ended between two readings is missing from the second.
 */
export function threadCpuMs(): Map<number, number> | undefined {
  const tasks = `/proc/${process.pid}/task`;
  let tids: string[];
  try {
    tids = readdirSync(tasks);
  } catch {
    return undefined;
  }
  const used = new Map<number, number>();
  for (const tid of tids) {
    try {
      const stat = readFileSync(`${tasks}/${tid}/stat`, "utf8");
      // Fields after the command, which is in parentheses and may hold spaces: utime is the 12th, stime the 13th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      used.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return used;
}

/** This process's CPU between two readings of threadCpuMs: its main thread's, and its other threads' together. */
export interface CpuSplit {
  mainMs: number;
  otherMs: number;
}

export function cpuSplit(
  before: Map<number, number> | undefined,
  after: Map<number, number> | undefined,
): CpuSplit | undefined {
  if (!before || !after) return undefined;
  let mainMs = 0;
  let otherMs = 0;
  for (const [tid, ms] of after) {
    const used = ms - (before.get(tid) ?? 0);
    if (tid === process.pid) mainMs += used;
    else otherMs += used;
  }
  return { mainMs, otherMs };
}
