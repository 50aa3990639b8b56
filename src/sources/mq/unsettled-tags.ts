/**
 * The delivery tags an AMQP channel has delivered and not yet settled. A channel numbers its deliveries 1, 2, 3,
 * ..., and AMQP settles every unsettled tag up to one in a single frame (`multiple`): one frame for a batch
 * instead of one per message, whenever the batch is exactly the unsettled tags up to its highest, as it is
 * while batches are settled in the order they were delivered.
 */
export class UnsettledTags {
  private readonly tags = new Set<number>();
  /** No tag below this is unsettled. */
  private floor = 1;
  private highest = 0;

  add(tag: number): void {
    this.tags.add(tag);
    this.highest = Math.max(this.highest, tag);
  }

  /**
   * Removes `sorted` (ascending, all unsettled) and says whether they were every unsettled tag up to the last
   * of them, so that one `multiple` frame settles exactly them.
   */
  settle(sorted: readonly number[]): boolean {
    const first = sorted[0];
    const last = sorted.at(-1);
    if (first === undefined || last === undefined) return false;
    while (this.floor <= this.highest && !this.tags.has(this.floor)) this.floor++;
    const whole = first === this.floor && last - first + 1 === sorted.length;
    for (const tag of sorted) this.tags.delete(tag);
    return whole;
  }
}
