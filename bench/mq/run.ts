/**
 * The Amazon MQ throughput and latency benchmark alone (needs RabbitMQ at 127.0.0.1:5673 and ActiveMQ's STOMP at
 * 127.0.0.1:61613: test/services/up; BENCH_RABBITMQ_URL, BENCH_ACTIVEMQ_URL and their _USERNAME/_PASSWORD point
 * it elsewhere):
 *
 *   npx vite-node bench/mq/run.ts [--messages=N] [--rounds=N] [--no-latency] [--broker=rabbitmq|activemq]
 *     [--window=SECONDS] [--concurrency=N] [--bare-ack=batch|each] [--bare-prefetch=N] [--persistent] [--json=FILE] [--check]
 *
 * Diagnostics: --window sets MaximumBatchingWindowInSeconds on Sluice's throughput mappings (unset: MQ's default,
 * 500 ms); --concurrency the broker's `concurrency` in Sluice's config; --bare-ack=each makes the bare consumer
 * acknowledge every message on its own, as Sluice does; --bare-prefetch sets its prefetch (default the issue's,
 * BatchSize for each batch Sluice runs at once); --persistent sends persistent messages (to durable RabbitMQ queues). --json writes the measurements to FILE; --check exits 1
 * when Sluice misses the target.
 */
import { writeFileSync } from "node:fs";
import { type BareAck, type BrokerName, runMqBench } from "./bench.js";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const number = (name: string) => {
  const v = value(name);
  return v === undefined ? undefined : Number(v);
};

const broker = value("broker");
const result = await runMqBench({
  messages: number("messages"),
  rounds: number("rounds"),
  noLatency: args.includes("--no-latency"),
  brokers: broker ? [broker as BrokerName] : undefined,
  window: number("window"),
  concurrency: number("concurrency"),
  bareAck: value("bare-ack") as BareAck | undefined,
  barePrefetch: number("bare-prefetch"),
  persistent: args.includes("--persistent"),
});
const json = value("json");
if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
if (args.includes("--check") && result.misses.length > 0) process.exitCode = 1;
