/**
 * Records a source pushes in as they come (Kafka fetches, a change stream's batches) and a shard runner reads
 * out. The feed is bounded: once full it tells its pusher to hold off, and calls `onRoom` when read down to half,
 * so the pusher can go on. A runner waiting on `readable` is woken as soon as records land.
 */
import type { ShardRead, ShardReader, StreamRecord } from "./source.js";

export class RecordFeed<R extends StreamRecord> implements ShardReader<R> {
  private records: R[] = [];
  private bytes = 0;
  private readonly waiters = new Set<() => void>();
  /** The feed filled up: `onRoom` is owed once it has been read down to half. */
  private paused = false;

  constructor(
    private readonly bounds: { records: number; bytes: number },
    private readonly onRoom: () => void,
  ) {}

  /** Takes records in; true when the feed is now full (the pusher should hold off until `onRoom`). */
  push(records: readonly R[]): boolean {
    for (const record of records) {
      this.records.push(record);
      this.bytes += record.bytes;
    }
    if (this.records.length > 0) for (const wake of this.waiters) wake();
    if (this.full) this.paused = true;
    return this.full;
  }

  get full(): boolean {
    return this.records.length >= this.bounds.records || this.bytes >= this.bounds.bytes;
  }

  async read(max: number): Promise<ShardRead<R>> {
    const records = this.records.splice(0, max);
    for (const record of records) this.bytes -= record.bytes;
    if (
      this.paused &&
      this.records.length <= this.bounds.records / 2 &&
      this.bytes <= this.bounds.bytes / 2
    ) {
      this.paused = false;
      this.onRoom();
    }
    // Records left over mean the runner should read again at once.
    return { records, ended: false, behindMs: this.records.length > 0 ? 1 : 0 };
  }

  readable(signal: AbortSignal): Promise<void> {
    if (this.records.length > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
