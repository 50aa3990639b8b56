/**
 * What both Amazon MQ sources keep of their broker: one connection at a time, opened when a poller needs it and
 * dropped when lost (the next receive opens a new one), and the timers holding failed batches back.
 */
import type { Deliveries } from "./deliveries.js";

export class BrokerSession<S> {
  private current: Promise<S> | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly open: () => Promise<S>,
    private readonly shut: (session: S) => Promise<void>,
    /** The buffer its consumers fill: failed when the connection is lost, reset when a new one opens. */
    private readonly deliveries: Deliveries<unknown>,
  ) {}

  /** The open session, or a new one; a failed open is tried again by the next call. */
  connected(): Promise<S> {
    if (this.closed) return Promise.reject(new Error("the broker source is closed"));
    this.current ??= this.open().then(
      (session) => {
        this.deliveries.reset();
        return session;
      },
      (err: unknown) => {
        this.current = undefined;
        throw err;
      },
    );
    return this.current;
  }

  /** `session` is gone: pollers waiting get `err`, and the next receive connects afresh. */
  lost(session: S, err: unknown): void {
    void this.current?.then(
      (current) => {
        if (current !== session) return;
        this.current = undefined;
        this.deliveries.fail(err);
        this.shut(session).catch(() => {});
      },
      () => {}, // never opened: the open itself reports why
    );
  }

  /** Runs `fn` after `ms`, unless the source closes first. */
  later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Held batches need nothing more: closing the connection hands back everything unacknowledged. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const session = await this.current?.catch(() => undefined);
    this.current = undefined;
    if (session !== undefined) await this.shut(session).catch(() => {});
  }
}
