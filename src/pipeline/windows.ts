/**
 * Tumbling windows (TumblingWindowInSeconds, Kinesis and DynamoDB Streams; reference/aws-esm-facts.md §3.6):
 * windows are aligned to the records' arrival times; the function aggregates a window over several invocations,
 * each given the `state` the previous one returned, then gets a final invocation at the window's end.
 */

/** AWS's limit on a window's state: over it, the window ends early. */
export const MAX_WINDOW_STATE_BYTES = 1024 * 1024;

export interface Window {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
}

/** The window a record that arrived at `arrivedAt` belongs to. */
export function windowOf(arrivedAt: number, windowMs: number): Window {
  const start = Math.floor(arrivedAt / windowMs) * windowMs;
  return { start, end: start + windowMs };
}

/** Consecutive runs of records that share a window, in order. */
export function splitByWindow<R extends { arrivedAt: number }>(
  records: readonly R[],
  windowMs: number,
): { window: Window; records: R[] }[] {
  const groups: { window: Window; records: R[] }[] = [];
  for (const record of records) {
    const window = windowOf(record.arrivedAt, windowMs);
    const last = groups.at(-1);
    // A record that arrived "earlier" than the window open (clocks differ between shards' hosts) joins it.
    if (last && window.start <= last.window.start) last.records.push(record);
    else groups.push({ window, records: [record] });
  }
  return groups;
}

export interface WindowInvocation {
  window: Window;
  state: unknown;
  shardId: string;
  eventSourceARN: string;
  final: boolean;
  terminatedEarly: boolean;
}

/** The event of a windowed invocation, in AWS's key order. */
export function windowEvent(records: readonly { event: Record<string, unknown> }[], w: WindowInvocation) {
  const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
  return {
    Records: records.map((r) => r.event),
    window: { start: iso(w.window.start), end: iso(w.window.end) },
    state: w.state,
    shardId: w.shardId,
    eventSourceARN: w.eventSourceARN,
    isFinalInvokeForWindow: w.final,
    isWindowTerminatedEarly: w.terminatedEarly,
  };
}

/** The `state` a windowed invocation answered with; AWS fails an invocation whose response has none. */
export function stateOf(payload: unknown): { ok: true; state: unknown } | { ok: false } {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload) || !("state" in payload))
    return { ok: false };
  return { ok: true, state: (payload as { state: unknown }).state };
}

export function stateBytes(state: unknown): number {
  return Buffer.byteLength(JSON.stringify(state) ?? "null");
}
