/**
 * What a push consumer (AMQP basic.consume, a STOMP subscription) has been sent and no poller has taken yet.
 * Brokers push up to the prefetch limit; the queue worker's pollers take from here as they would receive from
 * SQS, waiting until something arrives, their wait runs out, or the connection fails.
 */
/**
 * How long a failed batch waits before its messages are delivered again: the ActiveMQ client's default
 * redelivery delay, used for RabbitMQ too, so that a failing function is not called in a tight loop.
 */
export const REDELIVERY_DELAY_MS = 1_000;

export class Deliveries<R> {
  private items: R[] = [];
  private readonly waiters = new Set<() => void>();
  private failure: unknown;

  push(item: R): void {
    this.items.push(item);
    this.wakeAll();
  }

  /** Puts records back in front of what is waiting, in their order: redeliveries come before newer messages. */
  unshift(items: readonly R[]): void {
    this.items.unshift(...items);
    this.wakeAll();
  }

  /**
   * Up to `max` records, waiting up to `waitMs` for the first; rejects with the connection's failure, if it
   * failed before anything arrived. An aborted signal ends the wait with nothing.
   */
  async take(max: number, waitMs: number, signal: AbortSignal): Promise<R[]> {
    if (this.items.length === 0 && this.failure === undefined && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        signal.addEventListener("abort", done, { once: true });
        this.waiters.add(done);
      });
    }
    if (this.items.length === 0 && this.failure !== undefined) throw this.failure;
    return this.items.splice(0, max);
  }

  /**
   * The connection is gone: what was not taken is dropped (the broker delivers it again, as it was never
   * acknowledged), and waiting pollers get `err` until `reset()`.
   */
  fail(err: unknown): void {
    this.items = [];
    this.failure = err;
    this.wakeAll();
  }

  /** A new connection: takes wait for its deliveries again. */
  reset(): void {
    this.failure = undefined;
  }

  private wakeAll(): void {
    if (this.waiters.size === 0) return;
    for (const wake of [...this.waiters]) wake();
  }
}
