/**
 * One assigned partition's records, pushed in by the group consumer's fetches and read by the partition's shard
 * runner. The consumer pauses the partition while the feed is full, so a partition whose batch keeps failing
 * holds back its own fetches and no other's. After a rebalance that leaves the partition here, the consumer
 * fetches again from the committed offset: records already taken in are skipped, so nothing reaches the runner
 * twice.
 */
import type { ShardRead, ShardReader } from "../source.js";
import type { KafkaRecord } from "./kafka-event.js";

export class PartitionFeed implements ShardReader<KafkaRecord> {
  private records: KafkaRecord[] = [];
  private bytes = 0;
  /** The offset after the last record taken in. */
  private next: bigint | undefined;
  private readonly waiters = new Set<() => void>();
  /** The feed filled up and had its partition paused: it resumes it once read down to half. */
  private paused = false;

  /** `onRoom` is called when a feed that filled up has been read down to half its bounds. */
  constructor(
    private readonly bounds: { records: number; bytes: number },
    private readonly onRoom: () => void,
  ) {}

  /** Takes in a fetched batch; true when the feed is now full (the partition should pause). */
  push(records: readonly KafkaRecord[]): boolean {
    // Offsets rise within a fetch: only its head can repeat what the feed already took in.
    let start = 0;
    const next = this.next;
    if (next !== undefined)
      while (start < records.length && BigInt((records[start] as KafkaRecord).offset) < next) start++;
    for (let i = start; i < records.length; i++) {
      const record = records[i] as KafkaRecord;
      this.records.push(record);
      this.bytes += record.bytes;
    }
    const last = records.at(-1);
    if (last && start < records.length) this.next = BigInt(last.offset) + 1n;
    if (this.records.length > 0) for (const wake of this.waiters) wake();
    if (this.full) this.paused = true;
    return this.full;
  }

  private get full(): boolean {
    return this.records.length >= this.bounds.records || this.bytes >= this.bounds.bytes;
  }

  async read(max: number): Promise<ShardRead<KafkaRecord>> {
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
