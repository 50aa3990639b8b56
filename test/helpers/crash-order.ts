/**
 * The crash tests' check: what a stream-recorder function saw across restarts of Sluice, key by key, against
 * what was sent.
 */
import { jsonLines } from "./json-lines.js";

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
