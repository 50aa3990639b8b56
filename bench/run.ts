/**
 * Every benchmark, one after another (`npm run bench`, i.e. `vite-node bench/run.ts`). `--check` makes the run
 * exit 1 when a benchmark misses its target. bench/filter, then bench/sqs (which needs fauxqs: test/services/up).
 */
import { runFilterBench } from "./filter/bench.js";
import { runSqsBench } from "./sqs/bench.js";

const check = process.argv.includes("--check");
const filter = runFilterBench();
console.log("");
const sqs = await runSqsBench();
if (check && (filter.misses.length > 0 || sqs.misses.length > 0)) process.exitCode = 1;
