/**
 * Every benchmark, one after another (`npm run bench`, i.e. `vite-node bench/run.ts`). `--check` makes the run
 * exit 1 when a benchmark misses its target. bench/filter, then bench/sqs (which needs fauxqs), bench/streams
 * (which starts a kinesis-local of its own), bench/mq (which needs RabbitMQ and ActiveMQ) and bench/kafka (which needs the Kafka
 * mock cluster): test/services/up starts them all.
 */
import { runFilterBench } from "./filter/bench.js";
import { runKafkaBench } from "./kafka/bench.js";
import { runMqBench } from "./mq/bench.js";
import { runSqsBench } from "./sqs/bench.js";
import { runStreamsBench } from "./streams/bench.js";

const check = process.argv.includes("--check");
const filter = runFilterBench();
console.log("");
const sqs = await runSqsBench();
console.log("");
const streams = await runStreamsBench();
console.log("");
const mq = await runMqBench();
console.log("");
const kafka = await runKafkaBench();
if (check && [filter, sqs, streams, mq, kafka].some((bench) => bench.misses.length > 0)) process.exitCode = 1;
