/**
 * One assigned partition's records, pushed in by the group consumer's fetches and read by the partition's shard
 * runner. The consumer pauses the partition while the feed is full, so a partition whose batch keeps failing
 * holds back its own fetches and no other's. After a rebalance that leaves the partition here, the consumer
 * fetches again from the committed offset: records already taken in are skipped, so nothing reaches the runner
 * twice.
 */
import { RecordFeed } from "../record-feed.js";
import type { KafkaRecord } from "./kafka-event.js";

export class PartitionFeed extends RecordFeed<KafkaRecord> {
  /** The offset after the last record taken in. */
  private next: bigint | undefined;

  /** Takes in a fetched batch; true when the feed is now full (the partition should pause). */
  override push(records: readonly KafkaRecord[]): boolean {
    // Offsets rise within a fetch: only its head can repeat what the feed already took in.
    let start = 0;
    const next = this.next;
    if (next !== undefined)
      while (start < records.length && BigInt((records[start] as KafkaRecord).offset) < next) start++;
    const last = records.at(-1);
    if (last && start < records.length) this.next = BigInt(last.offset) + 1n;
    return super.push(start === 0 ? records : records.slice(start));
  }
}
