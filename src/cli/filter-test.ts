/**
 * `sluice filter test`: try a pattern on events, with the engine mappings use. Prints `true` or `false` per
 * event, one a line; an invalid pattern exits 2 with AWS's reason on stderr.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import {
  compilePattern,
  FILTER_VIEWS,
  type FilterableKind,
  InvalidPatternError,
} from "../pipeline/filter/index.js";

export interface FilterTestOptions {
  pattern: string;
  event?: string;
  events?: string;
  source?: FilterableKind;
}

export const FILTERABLE_SOURCES = Object.keys(FILTER_VIEWS) as FilterableKind[];

/** Runs the command; resolves with the exit code. */
export async function filterTest(options: FilterTestOptions): Promise<number> {
  if ((options.event === undefined) === (options.events === undefined)) {
    process.stderr.write(
      "sluice: give exactly one of --event '<json>' or --events FILE.jsonl (- for stdin)\n",
    );
    return 2;
  }
  let matcher: (event: unknown) => boolean;
  try {
    matcher = compilePattern(options.pattern);
  } catch (err) {
    if (!(err instanceof InvalidPatternError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const view = options.source ? FILTER_VIEWS[options.source] : undefined;
  const decide = (text: string, where: string): boolean | undefined => {
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (err) {
      process.stderr.write(
        `sluice: ${where}: not JSON: ${err instanceof Error ? err.message : String(err)}\n`,
      );
      return undefined;
    }
    const seen =
      view && typeof event === "object" && event !== null ? view(event as Record<string, unknown>) : event;
    return matcher(seen);
  };

  if (options.event !== undefined) {
    const result = decide(options.event, "--event");
    if (result === undefined) return 2;
    process.stdout.write(`${result}\n`);
    return 0;
  }
  const input = options.events === "-" ? process.stdin : createReadStream(options.events as string);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  let out = "";
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    const result = decide(line, `line ${lineNumber}`);
    if (result === undefined) {
      process.stdout.write(out);
      return 2;
    }
    out += `${result}\n`;
    if (out.length > 65536) {
      process.stdout.write(out);
      out = "";
    }
  }
  process.stdout.write(out);
  return 0;
}
