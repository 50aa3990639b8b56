/** Reading what the tests' recording functions append, one JSON line per invocation. */
import { existsSync, readFileSync } from "node:fs";

/**
 * The lines of `file` parsed, in order; none before the file exists. A line cut short (a process killed with
 * kill -9 mid-write) is skipped: the batch it recorded is delivered again anyway.
 */
export function jsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const parsed: T[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      parsed.push(JSON.parse(line) as T);
    } catch {
      // a partial last line
    }
  }
  return parsed;
}
