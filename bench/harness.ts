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
import { servicePid } from "../test/services/endpoints.js";

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

/**
 * A broker's processes, to count their CPU too: `pid` and its descendants (RabbitMQ's node runs under a shell
 * script), as they are when asked: a child started later is not counted. Empty where there is no /proc to read.
 */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        // The fields after the command, which is in parentheses and may hold spaces: the parent's pid is the 2nd.
        const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
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

/**
 * CPU used so far, in ns, by each task (thread) of the given processes, keyed by task id: what the scheduler
 * counts in /proc/<pid>/task/<tid>/schedstat, to the nanosecond (the ticks /proc/<pid>/stat counts are 10 ms,
 * too coarse for a run of half a second). A task that ended meanwhile is left out.
 */
function tasksCpuNs(pids: readonly number[]): Map<number, number> {
  const used = new Map<number, number>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // The process ended.
    }
    for (const tid of tids) {
      try {
        const schedstat = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
        used.set(Number(tid), Number(schedstat.slice(0, schedstat.indexOf(" "))));
      } catch {
        // The task ended meanwhile.
      }
    }
  }
  return used;
}

/** CPU used so far, in ns by task: this process's threads (the main thread's id is the pid), and the broker's. */
export interface CpuReading {
  threads: Map<number, number>;
  /** Undefined when the broker's processes are not known. */
  broker: Map<number, number> | undefined;
}

/**
 * Reads the CPU this process's threads have used, and the broker's: the processes of the service
 * test/services/up started under `service` (its recorded pid, if that still runs, and the pid's children), or no
 * broker when `service` is undefined (the bench was pointed at another one).
 */
export class CpuMeter {
  private readonly broker: number[];

  constructor(service?: string) {
    const pid = service === undefined ? undefined : servicePid(service);
    this.broker = pid === undefined ? [] : processTree(pid);
  }

  /** The CPU used so far; undefined without /proc. */
  read(): CpuReading | undefined {
    const threads = tasksCpuNs([process.pid]);
    if (threads.size === 0) return undefined;
    return { threads, broker: this.broker.length > 0 ? tasksCpuNs(this.broker) : undefined };
  }

  /** The CPU used since `start` was read. */
  since(start: CpuReading | undefined): CpuSplit | undefined {
    return cpuSplit(start, this.read());
  }
}

/** The CPU used between two readings, in ms: this process's main thread, its other threads together, the broker. */
export interface CpuSplit {
  mainMs: number;
  otherMs: number;
  /** Undefined when the broker's processes are not known (not the ones test/services/up started). */
  brokerMs: number | undefined;
}

/** What each task used between two readings, in ms; a task that started in between counts from zero. */
function usedMs(before: Map<number, number>, after: Map<number, number>, tasks: (tid: number) => boolean) {
  let ns = 0;
  for (const [tid, total] of after) if (tasks(tid)) ns += total - (before.get(tid) ?? 0);
  return ns / 1e6;
}

function cpuSplit(before: CpuReading | undefined, after: CpuReading | undefined): CpuSplit | undefined {
  if (!before || !after) return undefined;
  const all = () => true;
  return {
    mainMs: usedMs(before.threads, after.threads, (tid) => tid === process.pid),
    otherMs: usedMs(before.threads, after.threads, (tid) => tid !== process.pid),
    brokerMs: before.broker && after.broker ? usedMs(before.broker, after.broker, all) : undefined,
  };
}

/** A CpuSplit for a log line: "main 340, other threads 20, broker 610 ms". */
function cpuText({ mainMs, otherMs, brokerMs }: CpuSplit): string {
  const ms = (x: number) => x.toFixed(0);
  return `main ${ms(mainMs)}, other threads ${ms(otherMs)}${brokerMs === undefined ? "" : `, broker ${ms(brokerMs)}`} ms`;
}

/** A round's log line ends with both contenders' CPU over their clocks, when both were read. */
export function cpuOverClocks(bare: CpuSplit | undefined, sluice: CpuSplit | undefined): string {
  return bare && sluice
    ? `; CPU over the clock: bare consumer ${cpuText(bare)}, sluice ${cpuText(sluice)}`
    : "";
}

/**
 * A contender's CPU over its rounds, per 1,000 items (medians, each taken apart, so the parts need not add up to
 * the total), and the cores that kept busy on average:
 * "19.4 ms (main 6.8, other threads 0.4, broker 12.2) a 1,000 on 1.68 cores". `perSecond`: the rounds' rates.
 * Undefined unless every round's CPU was read.
 */
export function cpuPerThousand(
  rounds: readonly (CpuSplit | undefined)[],
  items: number,
  perSecond: readonly number[],
): string | undefined {
  const splits = rounds.filter((c): c is CpuSplit => c !== undefined);
  if (splits.length === 0 || splits.length < rounds.length) return undefined;
  const per = (ms: number) => (1000 * ms) / items;
  // The broker counts only if every round has it, so that the total and its parts cover the same things.
  const brokers = splits.map((c) => c.brokerMs).filter((ms): ms is number => ms !== undefined);
  const withBroker = brokers.length === splits.length;
  const total = (c: CpuSplit) => c.mainMs + c.otherMs + (withBroker ? (c.brokerMs ?? 0) : 0);
  const cores = splits.map((c, i) => total(c) / ((1000 * items) / (perSecond[i] ?? Number.NaN)));
  const parts = [
    `main ${per(median(splits.map((c) => c.mainMs))).toFixed(1)}`,
    `other threads ${per(median(splits.map((c) => c.otherMs))).toFixed(1)}`,
    ...(withBroker ? [`broker ${per(median(brokers)).toFixed(1)}`] : []),
  ];
  return `${per(median(splits.map(total))).toFixed(1)} ms (${parts.join(", ")}) a 1,000 on ${median(cores).toFixed(2)} cores`;
}
