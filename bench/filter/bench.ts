/**
 * bench/filter: events per second of Sluice's pattern engine against the naive interpreter and the npm peers,
 * on a fixed, seeded corpus of pre-parsed events, for one pattern per feature and one combining five.
 *
 * Method. Phase 1 runs every matcher over the corpus once per pattern (this warms every engine on every
 * pattern, so no engine is timed while its call sites have seen fewer shapes than the others) and compares each
 * result with Sluice's. Phase 2 times, per pattern, repeated passes over the corpus, interleaving the matchers
 * round by round, with process.hrtime.bigint; each (pattern, matcher) gets its own freshly made loop (its own
 * call site), one untimed warm-up pass, then at least MIN_REPS timed passes, more until TIME_MS of timed work;
 * the median pass gives events/s. Each pass counts its matches into a sink that is printed, so nothing is dead
 * code. A matcher whose full pass would exceed PASS_BUDGET_MS once warm (the jsonpath-based peer) runs on an
 * evenly strided sample of the corpus instead, in both phases; the tables say so.
 */
import os from "node:os";
import { type AwsCase, type CaseOutcome, loadAwsCases, runAwsCases } from "./aws-cases.js";
import { DEFAULT_EVENTS, DEFAULT_SEED, generateCorpus } from "./corpus.js";
import { loadPeers, type Match, type MatcherUnderTest, naive, sluice } from "./matchers.js";
import { type BenchPattern, PATTERNS } from "./patterns.js";
import { count, markdownTable, percent, rate, ratio } from "./table.js";

/** The issue's targets for Sluice: every pattern, and the combined one. */
export const TARGET_EVERY_PATTERN = 1_100_000;
export const TARGET_COMBINED = 2_000_000;
const COMBINED = "combined (5)";

const MIN_REPS = 5;
const MAX_REPS = 60;
const TIME_MS = 400;
const PASS_BUDGET_MS = 300;
const PROBE_MS = 150;

export interface FilterBenchOptions {
  events?: number;
  seed?: number;
  /** Pattern names to run (all when empty). */
  patterns?: string[];
  log?: (line: string) => void;
}

export interface Cell {
  matcher: string;
  pattern: string;
  /** Events in one pass: the corpus, or its strided sample. */
  events: number;
  stride: number;
  eventsPerSecond: number;
  reps: number;
  /** Smallest and largest pass, relative to the median. */
  spread: [number, number];
  matches: number;
  /** Sluice's matches on the same events. */
  sluiceMatches: number;
  /** Share of the events on which this matcher and Sluice agree, in %. */
  agreement: number;
}

export interface FilterBenchResult {
  cells: Cell[];
  awsCases: Record<string, CaseOutcome>;
  /** Patterns where Sluice misses the issue's target: name, measured, target. */
  misses: { pattern: string; eventsPerSecond: number; target: number }[];
}

type CountLoop = (match: Match, events: unknown[]) => number;

/** A fresh loop function each call, so each (pattern, matcher) has its own call site and type feedback. */
const makeLoop = (): CountLoop =>
  new Function(
    "match",
    "events",
    "let n = 0; for (let i = 0; i < events.length; i++) if (match(events[i])) n++; return n;",
  ) as CountLoop;

const now = () => process.hrtime.bigint();
const ms = (ns: bigint | number) => Number(ns) / 1e6;
let sink = 0;

interface Run {
  matcher: MatcherUnderTest;
  match: Match;
  loop: CountLoop;
  set: unknown[];
  stride: number;
  matches: number;
  sluiceMatches: number;
  agreement: number;
  samples: number[];
  timedNs: number;
}

export function runFilterBench(options: FilterBenchOptions = {}): FilterBenchResult {
  const log = options.log ?? ((line: string) => console.log(line));
  const eventCount = options.events ?? DEFAULT_EVENTS;
  const seed = options.seed ?? DEFAULT_SEED;
  const patterns = PATTERNS.filter((p) => !options.patterns?.length || options.patterns.includes(p.name));
  const started = now();

  const cpus = os.cpus();
  log("## bench/filter\n");
  log(
    `node ${process.version} (V8 ${process.versions.v8}) · ${os.platform()} ${os.arch()} · ` +
      `${cpus[0]?.model.trim() ?? "unknown CPU"} × ${cpus.length} · ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`,
  );

  let t = now();
  const heapBefore = process.memoryUsage().heapUsed;
  const events = generateCorpus(eventCount, seed);
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const sqs = events.filter((e) => (e as Record<string, unknown>).eventSource === "aws:sqs").length;
  log(
    `corpus: ${count(eventCount)} pre-parsed events, seed ${seed} (${count(eventCount - sqs)} EventBridge, ` +
      `${count(sqs)} SQS records), ~${heapMiB.toFixed(0)} MiB of heap, generated in ${ms(now() - t).toFixed(0)} ms`,
  );

  const { peers, missing } = loadPeers();
  const matchers = [sluice, naive, ...peers];
  for (const name of missing)
    log(`peer not installed, skipped: ${name} (add it as a devDependency, or set BENCH_PEERS_DIR)`);

  // AWS-recorded cases.
  const awsCases: Record<string, CaseOutcome> = {};
  const cases: AwsCase[] | undefined = loadAwsCases();
  if (cases) for (const m of matchers) awsCases[m.name] = runAwsCases(m, cases);
  else log("AWS cases not found (shared/conformance/filter-cases.jsonl): skipped");

  // Phase 1: compile, size each matcher's event set, check agreement with Sluice (and warm everything up).
  t = now();
  const runs = new Map<BenchPattern, Run[]>();
  for (const p of patterns) {
    const reference = sluice.compile(p.pattern);
    const expected = new Uint8Array(events.length);
    for (let i = 0; i < events.length; i++) expected[i] = reference(events[i]) ? 1 : 0;
    const list: Run[] = [];
    for (const matcher of matchers) {
      const match = matcher.compile(p.pattern);
      const stride = strideFor(match, events);
      const set = stride === 1 ? events : events.filter((_, i) => i % stride === 0);
      let matches = 0;
      let sluiceMatches = 0;
      let agree = 0;
      for (let j = 0; j < set.length; j++) {
        const got = match(set[j]) ? 1 : 0;
        const want = expected[j * stride] as number;
        matches += got;
        sluiceMatches += want;
        if (got === want) agree++;
      }
      list.push({
        matcher,
        match,
        loop: makeLoop(),
        set,
        stride,
        matches,
        sluiceMatches,
        agreement: (100 * agree) / set.length,
        samples: [],
        timedNs: 0,
      });
    }
    runs.set(p, list);
  }
  log(`correctness pass: ${ms(now() - t).toFixed(0)} ms`);

  // Phase 2: timing.
  t = now();
  const cells: Cell[] = [];
  for (const p of patterns) {
    const list = runs.get(p) as Run[];
    for (const r of list) sink += r.loop(r.match, r.set); // warm-up of the fresh loop
    const needsMore = (r: Run) =>
      r.samples.length < MIN_REPS || (r.timedNs < TIME_MS * 1e6 && r.samples.length < MAX_REPS);
    while (list.some(needsMore)) {
      for (const r of list) {
        if (!needsMore(r)) continue;
        const start = now();
        const n = r.loop(r.match, r.set);
        const elapsed = Number(now() - start);
        sink += n;
        if (n !== r.matches)
          throw new Error(`${r.matcher.name} on ${p.name}: ${n} matches, then ${r.matches}`);
        r.samples.push(elapsed);
        r.timedNs += elapsed;
      }
    }
    for (const r of list) {
      const sorted = [...r.samples].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)] as number;
      cells.push({
        matcher: r.matcher.name,
        pattern: p.name,
        events: r.set.length,
        stride: r.stride,
        eventsPerSecond: (r.set.length * 1e9) / median,
        reps: sorted.length,
        spread: [(sorted[0] as number) / median, (sorted[sorted.length - 1] as number) / median],
        matches: r.matches,
        sluiceMatches: r.sluiceMatches,
        agreement: r.agreement,
      });
    }
  }
  log(`timing: ${ms(now() - t).toFixed(0)} ms\n`);

  const misses = report(log, patterns, matchers, cells, awsCases, cases?.length ?? 0);
  log(`\n(total ${(ms(now() - started) / 1000).toFixed(1)} s; sink ${sink})`);
  return { cells, awsCases, misses };
}

/**
 * 1 when a full pass fits PASS_BUDGET_MS; else the stride of a sample that does. Decided by a probe of at most
 * PROBE_MS over the corpus (in a scattered order), at the rate of its fastest chunk: the JIT has warmed up by then,
 * and a GC pause in one chunk cannot push a fast matcher onto a sample.
 */
function strideFor(match: Match, events: unknown[]): number {
  const chunk = 256;
  const step = 7919; // a prime: visits the corpus scattered, not just its first events
  const deadline = now() + BigInt(PROBE_MS * 1e6);
  let fastestChunkNs = Number.POSITIVE_INFINITY;
  let done = 0;
  while (done < events.length) {
    const start = now();
    for (let k = 0; k < chunk && done < events.length; k++, done++)
      sink += match(events[(done * step) % events.length]) ? 1 : 0;
    const end = now();
    fastestChunkNs = Math.min(fastestChunkNs, Number(end - start));
    if (end > deadline) break;
  }
  if (done >= events.length) return 1;
  const fullPassMs = (fastestChunkNs / chunk / 1e6) * events.length;
  return fullPassMs <= PASS_BUDGET_MS ? 1 : Math.ceil(fullPassMs / PASS_BUDGET_MS);
}

function report(
  log: (line: string) => void,
  patterns: readonly BenchPattern[],
  matchers: MatcherUnderTest[],
  cells: Cell[],
  awsCases: Record<string, CaseOutcome>,
  caseCount: number,
): FilterBenchResult["misses"] {
  const cell = (pattern: string, matcher: string) =>
    cells.find((c) => c.pattern === pattern && c.matcher === matcher) as Cell;
  const peers = matchers.filter((m) => m.peer);
  const sampled = (c: Cell) => (c.stride > 1 ? "*" : "");

  log("### Throughput (events/s, median pass)\n");
  const header = ["pattern", ...matchers.map((m) => m.name), "sluice/naive", "sluice/best peer", "target"];
  const misses: FilterBenchResult["misses"] = [];
  const rows = patterns.map((p) => {
    const s = cell(p.name, "sluice");
    const target = p.name === COMBINED ? TARGET_COMBINED : TARGET_EVERY_PATTERN;
    if (s.eventsPerSecond < target)
      misses.push({ pattern: p.name, eventsPerSecond: s.eventsPerSecond, target });
    const bestPeer = Math.max(0, ...peers.map((m) => cell(p.name, m.name).eventsPerSecond));
    return [
      p.name,
      ...matchers.map((m) => `${rate(cell(p.name, m.name).eventsPerSecond)}${sampled(cell(p.name, m.name))}`),
      ratio(s.eventsPerSecond / cell(p.name, "naive").eventsPerSecond),
      bestPeer > 0 ? ratio(s.eventsPerSecond / bestPeer) : "n/a",
      `${s.eventsPerSecond >= target ? "ok" : "MISS"} (≥ ${rate(target)})`,
    ];
  });
  log(markdownTable(header, rows, (c) => c > 0 && c < header.length - 1));

  log("\n### Matches, and agreement with Sluice on the same events\n");
  const agreementRows = patterns.map((p) => [
    p.name,
    ...matchers.map((m) => {
      const c = cell(p.name, m.name);
      if (m.name === "sluice") return `${count(c.matches)} / ${count(c.events)}`;
      const base = `${count(c.matches)} (${percent(c.agreement)})`;
      return c.stride > 1 ? `${base} of ${count(c.events)}*, sluice ${count(c.sluiceMatches)}` : base;
    }),
  ]);
  log(markdownTable(["pattern", ...matchers.map((m) => m.name)], agreementRows, (c) => c > 0));

  const notes: string[] = [];
  for (const m of matchers) {
    if (m.note) notes.push(`${m.name}: ${m.note}.`);
    if (cells.some((x) => x.matcher === m.name && x.stride > 1))
      notes.push(
        `\\* ${m.name}: too slow for full passes, so measured on an evenly strided sample (every k-th event, k ` +
          `chosen per pattern so that a pass takes about ${PASS_BUDGET_MS} ms; sample sizes above).`,
      );
    if (m.errors > 0) notes.push(`${m.name}: ${count(m.errors)} calls threw (counted as no match).`);
  }
  if (notes.length > 0) log(`\n${notes.map((n) => `- ${n}`).join("\n")}`);

  if (caseCount > 0) {
    log("\n### AWS-recorded cases (shared/conformance/filter-cases.jsonl)\n");
    const caseRows = matchers.map((m) => {
      const o = awsCases[m.name] as CaseOutcome;
      const threw = o.wrong.filter((w) => w.got === "threw").length;
      const wrong = o.wrong.map((w) => w.name);
      return [
        m.name,
        `${o.right}/${o.total}`,
        `${o.eventBridgeShaped.right}/${o.eventBridgeShaped.total}`,
        threw ? String(threw) : "",
        wrong.length > 4 ? `${wrong.slice(0, 4).join(", ")}, … (+${wrong.length - 4})` : wrong.join(", "),
      ];
    });
    log(
      markdownTable(
        ["matcher", "AWS cases right", "right, of cases on source/detail-type/detail only", "threw", "wrong"],
        caseRows,
        (c) => c >= 1 && c <= 3,
      ),
    );
  }

  log("\n### Targets (Sluice)\n");
  if (misses.length === 0)
    log(
      `all met: ≥ ${rate(TARGET_EVERY_PATTERN)} events/s on every pattern, ≥ ${rate(TARGET_COMBINED)} combined`,
    );
  for (const miss of misses)
    log(
      `MISS ${miss.pattern}: ${rate(miss.eventsPerSecond)} events/s, target ${rate(miss.target)} ` +
        `(${(100 * (1 - miss.eventsPerSecond / miss.target)).toFixed(0)}% short)`,
    );
  const noisy = cells.filter(
    (c) => c.matcher === "sluice" && Math.max(1 - c.spread[0], c.spread[1] - 1) > 0.25,
  );
  for (const c of noisy)
    log(
      `note: sluice on ${c.pattern}: passes ranged ${(100 * c.spread[0]).toFixed(0)}–` +
        `${(100 * c.spread[1]).toFixed(0)}% of the median`,
    );
  return misses;
}
