/**
 * The filter benchmark alone:
 *
 *   npx vite-node bench/filter/run.ts [--events=N] [--seed=N] [--pattern=NAME ...] [--json=FILE] [--check]
 *
 * --json writes every measurement (events/s, reps, spread, matches, agreement, AWS cases) to FILE; --check exits 1
 * when Sluice misses the targets. BENCH_PEERS_DIR=DIR loads npm peers from DIR/node_modules when the
 * project does not have them (see bench/README.md).
 */
import { writeFileSync } from "node:fs";
import { runFilterBench } from "./bench.js";

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const all = (name: string) =>
  args.filter((a) => a.startsWith(`--${name}=`)).map((a) => a.slice(name.length + 3));

const events = value("events");
const seed = value("seed");
const result = runFilterBench({
  events: events ? Number(events) : undefined,
  seed: seed ? Number(seed) : undefined,
  patterns: all("pattern"),
});
const json = value("json");
if (json) writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
if (args.includes("--check") && result.misses.length > 0) process.exitCode = 1;
