/**
 * One STOMP subscription's deliveries in the order they came, and how each has been settled. In STOMP's
 * `ack: client` mode an ACK acknowledges every message of the subscription up to the one it names, as a JMS
 * session's acknowledge does: so an ACK goes out only for the longest settled run from the oldest delivery, one
 * frame a batch, and never past a message still open (a failed batch held for redelivery). A message to be
 * NACKed (a poison message, for the dead-letter queue) is NACKed once everything before it is acknowledged.
 */
export type Settlement = "ack" | "nack";

interface Entry<T> {
  item: T;
  state: Settlement | "open";
}

export class AckSequence<T> {
  private entries: Entry<T>[] = [];
  private head = 0;
  private readonly byItem = new Map<T, Entry<T>>();

  add(item: T): void {
    const entry: Entry<T> = { item, state: "open" };
    this.entries.push(entry);
    this.byItem.set(item, entry);
  }

  /**
   * Marks `items` settled; returns the frames now due, in order: the item each names and whether it is an ACK
   * (cumulative) or a NACK. Items this sequence does not hold are ignored.
   */
  settle(items: readonly T[], how: Settlement): { item: T; how: Settlement }[] {
    for (const item of items) {
      const entry = this.byItem.get(item);
      if (entry) entry.state = how;
    }
    const frames: { item: T; how: Settlement }[] = [];
    let lastAck: T | undefined;
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head] as Entry<T>;
      if (entry.state === "open") break;
      this.byItem.delete(entry.item);
      this.head++;
      if (entry.state === "ack") {
        lastAck = entry.item;
        continue;
      }
      if (lastAck !== undefined) frames.push({ item: lastAck, how: "ack" });
      lastAck = undefined;
      frames.push({ item: entry.item, how: "nack" });
    }
    if (lastAck !== undefined) frames.push({ item: lastAck, how: "ack" });
    // Drop the settled front now and then, rather than shift one at a time.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return frames;
  }
}
