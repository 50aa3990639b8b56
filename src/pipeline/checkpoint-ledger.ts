/**
 * A shard's checkpoint under concurrency: records are entered in shard order as they are read, and finish in
 * any order (ParallelizationFactor runs several batches of a shard at once, filtered-out records finish at
 * once). The checkpoint may only pass a record once it and every record before it are final, so it is the last
 * record of the finished prefix.
 */
export class CheckpointLedger {
  /** Ids in read order, from the oldest not yet passed by the checkpoint. */
  private readonly order: string[] = [];
  private head = 0;
  private readonly finished = new Set<string>();
  private checkpoint: string | undefined;

  constructor(from?: string) {
    this.checkpoint = from;
  }

  /** Records read, in shard order. */
  enter(ids: readonly string[]): void {
    for (const id of ids) this.order.push(id);
  }

  /** Records whose outcome is final; returns the new checkpoint when it moved. */
  finish(ids: readonly string[]): string | undefined {
    const before = this.checkpoint;
    // The usual case, one batch at a time: the ids are the oldest pending records, in order. They pass at once,
    // without going through the set.
    if (this.finished.size === 0 && this.isHead(ids)) {
      this.head += ids.length;
      this.checkpoint = ids.at(-1) ?? this.checkpoint;
    } else for (const id of ids) this.finished.add(id);
    while (this.head < this.order.length && this.finished.has(this.order[this.head] as string)) {
      const id = this.order[this.head++] as string;
      this.finished.delete(id);
      this.checkpoint = id;
    }
    // Drop the passed prefix now and then, so the array does not grow with the shard.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
    return this.checkpoint === before ? undefined : this.checkpoint;
  }

  /** Whether `ids` are exactly the oldest records pending, in order. */
  private isHead(ids: readonly string[]): boolean {
    if (this.head + ids.length > this.order.length) return false;
    for (let i = 0; i < ids.length; i++) if (this.order[this.head + i] !== ids[i]) return false;
    return true;
  }

  /** Records entered and not yet passed by the checkpoint. */
  get pending(): number {
    return this.order.length - this.head;
  }

  /** The last record of the finished prefix: where reading resumes after a restart. */
  get position(): string | undefined {
    return this.checkpoint;
  }
}
