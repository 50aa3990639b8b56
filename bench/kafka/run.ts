/**
 * The Kafka throughput benchmark alone (needs the mock cluster test/services/up starts; BENCH_KAFKA_BROKERS, a
 * comma-separated list, points it at another cluster):
 *
 *   npx vite-node bench/kafka/run.ts [--records=N] [--rounds=N] [--window=SECONDS] [--json=FILE] [--check]
 *
 * --window sets MaximumBatchingWindowInSeconds on Sluice's mapping (unset: Kafka's default, 500 ms). --json writes the measurements to FILE; --check exits 1 when Sluice misses the target.
 */
import { writeFileSync } from "node:fs";
import { runKafkaBench } from "./bench.js";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const records = value("records");
const rounds = value("rounds");
const window = value("window");
const result = await runKafkaBench({
  records: records ? Number(records) : undefined,
  rounds: rounds ? Number(rounds) : undefined,
  window: window === undefined ? undefined : Number(window),
  brokers: process.env.BENCH_KAFKA_BROKERS?.split(","),
});
const json = value("json");
if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
if (args.includes("--check") && result.misses.length > 0) process.exitCode = 1;
