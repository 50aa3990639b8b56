/** Reading what the tests' recording functions append, one JSON line per invocation. */
import { existsSync, readFileSync } from "node:fs";

/**
 * The lines of `file` parsed, in order; none before the file exists. A line cut short (a process killed with
 * kill -9 mid-write) is skipped: the batch it recorded is delivered again anyway. The next process's first line
 * is appended right after the cut, on the same line: it is read from where its object starts.
 */
export function jsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const parsed: T[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    const value = parsedFrom(line);
    if (value !== undefined) parsed.push(value as T);
  }
  return parsed;
}

/** The line's JSON, or that of the whole line that follows a cut-short one on it; undefined if neither. */
function parsedFrom(line: string): unknown {
  for (let start = 0; start !== -1; start = line.indexOf("{", start + 1)) {
    try {
      return JSON.parse(start === 0 ? line : line.slice(start));
    } catch {
      // cut short here: try the next object start
    }
  }
  return undefined;
}
