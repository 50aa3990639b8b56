/**
 * A shard's tumbling windows: batches of one window are invoked with the state the previous invocation returned
 * (`{}` at first); when the window's time is up (or the shard ends, or the state outgrows 1 MB) a final
 * invocation without records closes it. Only then are the window's records final, so the checkpoint never
 * passes a window that is still open: after a restart the window is aggregated again from its start.
 */
import {
  MAX_WINDOW_STATE_BYTES,
  splitByWindow,
  stateBytes,
  type Window,
  windowEvent,
} from "../pipeline/windows.js";
import type { StreamRecord } from "../sources/source.js";
import type { ShardProcessor } from "./shard-runner.js";

/**
 * Runs records through AWS's retry rules, each invocation's event made from the batch and the state so far
 * (starting at `state`, then whatever each invocation returned); resolves with the state at the end.
 */
export type WindowRun<R> = (
  records: R[],
  event: (batch: R[], state: unknown) => unknown,
  options: { state: unknown; closing?: { count: number } },
  signal: AbortSignal,
) => Promise<{ final: boolean; state: unknown }>;

/** A window being aggregated: its records' ids (to make them final once it closes) and its ends, not the records. */
interface OpenWindow<R> {
  window: Window;
  state: unknown;
  ids: string[];
  first: R;
  last: R;
}

export class TumblingWindows<R extends StreamRecord> implements ShardProcessor<R> {
  private open: OpenWindow<R> | undefined;

  constructor(
    private readonly windowMs: number,
    private readonly shardId: string,
    private readonly eventSourceARN: string,
    private readonly run: WindowRun<R>,
  ) {}

  async process(records: R[], signal: AbortSignal): Promise<string[]> {
    const final: string[] = [];
    for (const group of splitByWindow(records, this.windowMs)) {
      if (this.open && group.window.start > this.open.window.start) {
        const closed = await this.close(false, signal);
        if (!closed) return final;
        final.push(...closed);
      }
      const [first, last] = [group.records[0] as R, group.records.at(-1) as R];
      this.open ??= { window: group.window, state: {}, ids: [], first, last };
      const open = this.open;
      const ran = await this.run(
        group.records,
        (batch, state) => windowEvent(batch, this.invocation(open, state, false, false)),
        { state: open.state },
        signal,
      );
      if (!ran.final) return final;
      open.state = ran.state;
      open.ids.push(...group.records.map((r) => r.id));
      open.last = last;
      if (stateBytes(open.state) > MAX_WINDOW_STATE_BYTES) {
        const closed = await this.close(true, signal);
        if (!closed) return final;
        final.push(...closed);
      }
    }
    return final;
  }

  due(): number | undefined {
    return this.open?.window.end;
  }

  async settle(ended: boolean, signal: AbortSignal): Promise<string[]> {
    if (!this.open || (!ended && Date.now() < this.open.window.end)) return [];
    return (await this.close(false, signal)) ?? [];
  }

  /**
   * The final invocation, carrying no records; the window's records are final once it succeeds (or is given
   * up). Its first and last records stand for the window in the retry rules and the on-failure record.
   */
  private async close(terminatedEarly: boolean, signal: AbortSignal): Promise<string[] | undefined> {
    const open = this.open as OpenWindow<R>;
    const ends = open.first === open.last ? [open.first] : [open.first, open.last];
    const ran = await this.run(
      ends,
      (_batch, state) => windowEvent([], this.invocation(open, state, true, terminatedEarly)),
      { state: open.state, closing: { count: open.ids.length } },
      signal,
    );
    if (!ran.final) return undefined;
    this.open = undefined;
    return open.ids;
  }

  private invocation(open: OpenWindow<R>, state: unknown, final: boolean, terminatedEarly: boolean) {
    return {
      window: open.window,
      state,
      shardId: this.shardId,
      eventSourceARN: this.eventSourceARN,
      final,
      terminatedEarly,
    };
  }
}
