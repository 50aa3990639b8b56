/**
 * The event pattern engine: the whole EventBridge pattern language that Lambda event filtering uses, compiled
 * once per pattern into a matcher. Importable as `sluice/filter`.
 */
import { compilePatternObject, type Matcher } from "./compile.js";
import { InvalidPatternError, invalid } from "./errors.js";
import { FILTER_VIEWS, type FilterableKind } from "./views.js";

export type { Matcher } from "./compile.js";
export { InvalidPatternError } from "./errors.js";
export { FILTER_VIEWS, type FilterableKind } from "./views.js";

/**
 * Compiles a pattern (its JSON text, or the parsed object) into `(event) => boolean`. Throws
 * InvalidPatternError, whose message is AWS's (`Event pattern is not valid. Reason: ...`).
 */
export function compilePattern(pattern: string | object): Matcher {
  return compilePatternObject(typeof pattern === "string" ? parsePattern(pattern) : pattern);
}

/** Why Lambda would refuse `pattern`, or undefined when it is valid. */
export function patternError(pattern: string): InvalidPatternError | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (err) {
    if (err instanceof InvalidPatternError) return err;
    throw err;
  }
}

function parsePattern(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(`Filter is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A mapping's FilterCriteria as one test over its records: each record is decoded as its source requires
 * (views.ts), then kept when any filter matches. Undefined when there are no filters (every record passes).
 */
export function compileFilterCriteria(
  kind: FilterableKind,
  filters: readonly { Pattern?: string }[] | undefined,
): ((record: Record<string, unknown>) => boolean) | undefined {
  if (!filters || filters.length === 0) return undefined;
  const matchers = filters.map((f) => compilePattern(f.Pattern ?? ""));
  const view = FILTER_VIEWS[kind];
  if (matchers.length === 1) {
    const only = matchers[0] as Matcher;
    return (record) => only(view(record));
  }
  return (record) => {
    const seen = view(record);
    for (const matcher of matchers) if (matcher(seen)) return true;
    return false;
  };
}
