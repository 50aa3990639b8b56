/**
 * Where Sluice's matcher spends its time on one bench pattern: a V8 CPU profile taken in-process (node:inspector,
 * so it works under vite-node, where `node --cpu-prof` would mostly profile the loader), reduced to self time per
 * function.
 *
 *   npx vite-node bench/filter/profile.ts [--pattern=NAME] [--seconds=N] [--events=N] [--isolated] [--out=F]
 *
 * The default pattern is "$or". Like bench/filter, it first runs every bench pattern over the corpus, so the
 * engine's shared functions have seen all of them (as in a service with many filters); --isolated skips that.
 * The default 100k events do not fit in the CPU caches, so the profile is partly memory-bound, as the benchmark
 * is; --events=2000 keeps the corpus in cache and shows compute alone. --out writes the .cpuprofile (Chrome
 * DevTools or speedscope open it). Self time of the `pass` loop includes whatever V8 inlined into it.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { compilePattern } from "../../src/pipeline/filter/index.js";
import { generateCorpus } from "./corpus.js";
import { PATTERNS } from "./patterns.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

const args = process.argv.slice(2);
const value = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const patternName = value("pattern") ?? "$or";
const seconds = Number(value("seconds") ?? 3);
const out = value("out");

const bench = PATTERNS.find((p) => p.name === patternName);
if (!bench) throw new Error(`no pattern "${patternName}"; one of: ${PATTERNS.map((p) => p.name).join(", ")}`);

const events = generateCorpus(Number(value("events") ?? 100_000));
const match = compilePattern(bench.pattern);
let sink = 0;
const pass = () => {
  let n = 0;
  for (let i = 0; i < events.length; i++) if (match(events[i])) n++;
  return n;
};
if (!args.includes("--isolated"))
  for (const other of PATTERNS) {
    const m = compilePattern(other.pattern);
    for (const event of events) if (m(event)) sink++;
  }
for (let i = 0; i < 20; i++) sink += pass(); // warm up: let the JIT settle before sampling

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 50 });
await session.post("Profiler.start");
const deadline = process.hrtime.bigint() + BigInt(seconds * 1e9);
let passes = 0;
const started = process.hrtime.bigint();
while (process.hrtime.bigint() < deadline) {
  sink += pass();
  passes++;
}
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
const { profile } = (await session.post("Profiler.stop")) as { profile: Profile };
session.disconnect();
if (out) writeFileSync(out, JSON.stringify(profile));

// Self time per function (name + file + line), from hit counts.
const self = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const hits = node.hitCount ?? 0;
  if (hits === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^.*\/(src|bench)\//, "$1/");
  const key = `${functionName || "(anonymous)"}  ${file ? `${file}:${lineNumber + 1}` : ""}`.trim();
  self.set(key, (self.get(key) ?? 0) + hits);
  total += hits;
}
console.log(
  `pattern ${patternName}: ${passes} passes of ${events.length} events in ${elapsed.toFixed(2)} s = ` +
    `${((passes * events.length) / elapsed / 1e6).toFixed(2)}M events/s under the profiler (sink ${sink})`,
);
console.log(`self time by function (${total} samples; lines are of the transpiled module):`);
for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${key}`);
