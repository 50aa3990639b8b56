/**
 * The Kinesis throughput and latency benchmark alone (it starts a kinesis-local of its own; BENCH_KINESIS_ENDPOINT
 * points it at another):
 *
 *   npx vite-node bench/streams/run.ts [--records=N] [--rounds=N] [--no-latency] [--json=FILE] [--check]
 *
 * --json writes the measurements to FILE; --check exits 1 when Sluice misses the target.
 */
import { writeFileSync } from "node:fs";
import { runStreamsBench } from "./bench.js";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const records = value("records");
const rounds = value("rounds");
const result = await runStreamsBench({
  records: records ? Number(records) : undefined,
  rounds: rounds ? Number(rounds) : undefined,
  noLatency: args.includes("--no-latency"),
});
const json = value("json");
if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
if (args.includes("--check") && result.misses.length > 0) process.exitCode = 1;
