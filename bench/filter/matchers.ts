/**
 * The matchers under test, behind one interface: Sluice's engine, the naive interpreter, and the EventBridge
 * pattern matchers JavaScript users have on npm (loaded only if installed; see bench/README.md).
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { compilePattern } from "../../src/pipeline/filter/index.js";
import { naiveMatches } from "./naive.js";

export type Match = (event: unknown) => boolean;

export interface MatcherUnderTest {
  name: string;
  /** Whether this is an npm peer (as opposed to Sluice itself or the naive baseline). */
  peer: boolean;
  /** Prepares a pattern once; the returned function is what is timed. */
  compile(pattern: Record<string, unknown>): Match;
  /** How an AWS-recorded case is run: the peer's most faithful entry point. Defaults to compile(pattern)(event). */
  runCase?(pattern: Record<string, unknown>, patternText: string | undefined, event: unknown): boolean;
  /** Calls that threw (an unsupported operator, a key the peer cannot parse); each counts as "no match". */
  errors: number;
  /** Anything the reader should know about how this matcher is driven. */
  note?: string;
}

export const sluice: MatcherUnderTest = {
  name: "sluice",
  peer: false,
  compile: (pattern) => compilePattern(pattern),
  // Raw cases keep their original text (duplicate keys, escapes), as the conformance test feeds them.
  runCase: (pattern, text, event) => compilePattern(text ?? pattern)(event),
  errors: 0,
};

export const naive: MatcherUnderTest = {
  name: "naive",
  peer: false,
  compile: (pattern) => (event) => naiveMatches(pattern, event),
  errors: 0,
  note: "bench/filter/naive.ts: walks the pattern object for every event",
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Requires an npm package from the project's node_modules, from .bench-peers/ (where `npm run bench` installs
 * the peers, see bench/install-peers), or from BENCH_PEERS_DIR (another folder with its own node_modules).
 * Undefined when none has it.
 */
function requirePeer(name: string): unknown {
  const places = [import.meta.url, join(import.meta.dirname, "../../.bench-peers/package.json")];
  if (process.env.BENCH_PEERS_DIR) places.push(join(process.env.BENCH_PEERS_DIR, "package.json"));
  for (const place of places) {
    const require = createRequire(place);
    let resolved: string;
    try {
      resolved = require.resolve(name);
    } catch {
      continue;
    }
    return require(resolved);
  }
  return undefined;
}

/** The parts of serverless-offline-aws-eventbridge's plugin class that match events against patterns. */
interface EventBridgePlugin {
  verifyIsSubscribed(
    subscriber: { event: { pattern: unknown }; functionKey: string },
    entry: { Source?: unknown; DetailType?: unknown; Detail?: string },
  ): boolean;
  verifyIfValueMatchesEventBridgePatterns(object: unknown, field: string, patterns: unknown): boolean;
  flattenObject(object: object): Record<string, unknown>;
}
type EventBridgePluginClass = new (
  serverless: unknown,
  options: unknown,
  logging: unknown,
) => EventBridgePlugin;

/**
 * serverless-offline-aws-eventbridge (its matching lives in methods of the plugin class; the package's main module
 * needs none of the serverless peers to load). Its own entry point, `verifyIsSubscribed(subscriber, entry)`, takes
 * a PutEvents entry whose Detail is JSON text it parses for every check; the timed adapter below does exactly what
 * that method does, with the pattern's `detail` flattened once and the event pre-parsed, so the benchmark times
 * matching, not JSON.parse. Like the plugin it evaluates every check (no short-circuit) and looks at `source`,
 * `detail-type` and `detail` only. The AWS cases go through `verifyIsSubscribed` itself.
 */
function serverlessOfflineAwsEventBridge(): MatcherUnderTest | undefined {
  const Plugin = requirePeer("serverless-offline-aws-eventbridge") as EventBridgePluginClass | undefined;
  if (!Plugin) return undefined;
  const plugin = new Plugin({}, {}, { log: { notice() {} } });
  const matcher: MatcherUnderTest = {
    name: "serverless-offline-aws-eventbridge",
    peer: true,
    errors: 0,
    note: "plugin's verifyIfValueMatchesEventBridgePatterns, driven as its verifyIsSubscribed does, on pre-parsed events",
    compile(pattern) {
      const source = pattern.source;
      const detailType = pattern["detail-type"];
      const flatDetail = isObject(pattern.detail) ? plugin.flattenObject(pattern.detail) : undefined;
      const orBranches =
        flatDetail && "$or" in flatDetail
          ? (flatDetail.$or as object[]).map((branch) => Object.entries(plugin.flattenObject(branch)))
          : undefined;
      const detailFields = flatDetail ? Object.entries(flatDetail) : [];
      return (event) => {
        const e = event as Record<string, unknown>;
        try {
          let all = true;
          if (source) all = plugin.verifyIfValueMatchesEventBridgePatterns(e, "source", source) && all;
          const eventDetailType = e["detail-type"];
          if (eventDetailType && detailType)
            all =
              plugin.verifyIfValueMatchesEventBridgePatterns(
                { DetailType: eventDetailType },
                "DetailType",
                detailType,
              ) && all;
          if (flatDetail && e.detail !== undefined) {
            const detail = e.detail;
            if (orBranches) {
              all =
                orBranches.some((fields) =>
                  fields.every(([key, value]) =>
                    plugin.verifyIfValueMatchesEventBridgePatterns(detail, key, value),
                  ),
                ) && all;
            } else {
              for (const [key, value] of detailFields)
                all = plugin.verifyIfValueMatchesEventBridgePatterns(detail, key, value) && all;
            }
          }
          return all;
        } catch {
          matcher.errors++;
          return false;
        }
      };
    },
    runCase(pattern, _text, event) {
      const e = event as Record<string, unknown>;
      const entry = {
        Source: e.source,
        DetailType: e["detail-type"],
        Detail: e.detail === undefined ? undefined : JSON.stringify(e.detail),
      };
      return plugin.verifyIsSubscribed({ event: { pattern }, functionKey: "bench" }, entry);
    },
  };
  return matcher;
}

/**
 * The npm peers found for this benchmark (see bench/README.md for the search). Missing ones are reported, not
 * fatal, so the benchmark runs before they are installed.
 */
export function loadPeers(): { peers: MatcherUnderTest[]; missing: string[] } {
  const peers: MatcherUnderTest[] = [];
  const missing: string[] = [];
  const eventBridgePlugin = serverlessOfflineAwsEventBridge();
  if (eventBridgePlugin) peers.push(eventBridgePlugin);
  else missing.push("serverless-offline-aws-eventbridge");
  return { peers, missing };
}
