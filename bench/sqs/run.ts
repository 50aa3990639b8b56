/**
 * The SQS throughput and latency benchmark alone (needs fauxqs at 127.0.0.1:4576: test/services/up):
 *
 *   npx vite-node bench/sqs/run.ts [--messages=N] [--rounds=N] [--no-latency] [--max-concurrency=N] [--json=FILE] [--check]
 *
 * --max-concurrency sets ScalingConfig.MaximumConcurrency on Sluice's throughput mapping (a diagnostic).
 * --json writes the measurements to FILE; --check exits 1 when Sluice misses the targets.
 */
import { writeFileSync } from "node:fs";
import { runSqsBench } from "./bench.js";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const messages = value("messages");
const rounds = value("rounds");
const maxConcurrency = value("max-concurrency");
const result = await runSqsBench({
  messages: messages ? Number(messages) : undefined,
  rounds: rounds ? Number(rounds) : undefined,
  noLatency: args.includes("--no-latency"),
  maxConcurrency: maxConcurrency ? Number(maxConcurrency) : undefined,
});
const json = value("json");
if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
if (args.includes("--check") && result.misses.length > 0) process.exitCode = 1;
