/**
 * The crash tests' check: what a stream-recorder function saw across restarts of Sluice, key by key, against
 * what was sent.
 */
import { join, resolve } from "node:path";
import { jsonLines } from "./json-lines.js";
import { eventually } from "./sluice.js";

/**
 * The crash tests' function, `recorder`: the stream-recorder handler, taking `delayMs` per batch and writing what
 * it saw to `recordFile` in `dir`.
 */
export function streamRecorder(dir: string, delayMs: number) {
  const recordFile = join(dir, "batches.jsonl");
  const functions = {
    recorder: {
      handler: `${resolve(import.meta.dirname, "../runtime/handlers/stream-recorder")}.handler`,
      environment: { RECORD_FILE: recordFile, DELAY_MS: String(delayMs) },
    },
  };
  return { recordFile, functions };
}

export interface Delivery {
  pid: number;
  key: string;
  n: number;
}

/** What the function saw, in order: records whose data is "<key>:<n>". */
export const delivered = (file: string): Delivery[] =>
  jsonLines<{ pid: number; data: string[] }>(file).flatMap(({ pid, data }) =>
    data.map((d) => {
      const [key = "", n = ""] = d.split(":");
      return { pid, key, n: Number(n) };
    }),
  );

/**
 * Checks one key's deliveries: within a process, each record is the key's next one; a new process may go back
 * (to its checkpoint) but never skip ahead. Returns what is wrong, or undefined.
 */
export function orderProblem(sent: number[], deliveries: Delivery[]): string | undefined {
  let next = 0;
  let reached = 0;
  let pid: number | undefined;
  for (const { pid: by, n } of deliveries) {
    const at = sent.indexOf(n);
    const restarted = by !== pid;
    if (at !== next && !(restarted && at < next)) return `${n} after ${sent[next - 1]} (process ${by})`;
    pid = by;
    next = at + 1;
    reached = Math.max(reached, next);
  }
  return reached === sent.length ? undefined : `only ${reached} of ${sent.length} delivered`;
}

/**
 * Each key's ordering problem (none: an empty object) in what the function saw, against `sent`: the data of
 * every record sent, "<key>:<n>", in the order sent.
 */
export function orderProblems(
  sent: readonly string[],
  deliveries: readonly Delivery[],
): Record<string, string> {
  const byKey = new Map<string, number[]>();
  for (const data of sent) {
    const [key = "", n = ""] = data.split(":");
    byKey.set(key, [...(byKey.get(key) ?? []), Number(n)]);
  }
  const problems: Record<string, string> = {};
  for (const [key, ns] of byKey) {
    const problem = orderProblem(
      ns,
      deliveries.filter((d) => d.key === key),
    );
    if (problem !== undefined) problems[key] = problem;
  }
  return problems;
}

/** Resolves once the function has seen more than `n` records (repeats included). */
export const seenMoreThan = (file: string) => (n: number) =>
  eventually(async () => (delivered(file).length > n ? true : undefined), 60_000);

/** Resolves once every one of `count` distinct records has been seen. */
export const seenAll = (file: string, count: number, timeoutMs: number) =>
  eventually(async () => {
    const seen = new Set(delivered(file).map((d) => `${d.key}:${d.n}`));
    return seen.size === count ? true : undefined;
  }, timeoutMs);
