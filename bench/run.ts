/**
 * Every benchmark, one after another (`npm run bench`, i.e. `vite-node bench/run.ts`). `--check` makes the run
 * exit 1 when a benchmark misses its target. For now there is one: bench/filter.
 */
import { runFilterBench } from "./filter/bench.js";

const check = process.argv.includes("--check");
const filter = runFilterBench();
if (check && filter.misses.length > 0) process.exitCode = 1;
