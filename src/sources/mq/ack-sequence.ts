/**
 * One STOMP subscription's deliveries in the order they came, and how each has been settled. In STOMP's
 * `ack: client` mode an ACK acknowledges every message of the subscription up to the one it names, as a JMS
 * session's acknowledge does: so an ACK goes out only for the longest settled run from the oldest delivery, one
 * frame a batch, and never past a message still open (a failed batch held for redelivery). A message to be
 * NACKed (a poison message, for the dead-letter queue) is NACKed once everything before it is acknowledged.
 */
export type Settlement = "ack" | "nack";

/** A place in the sequence: the record of a delivery keeps it, so settling looks nothing up. */
export interface Delivery<T> {
  readonly item: T;
  state: Settlement | "open";
}

export class AckSequence<T> {
  private deliveries: Delivery<T>[] = [];
  private head = 0;

  add(item: T): Delivery<T> {
    const delivery: Delivery<T> = { item, state: "open" };
    this.deliveries.push(delivery);
    return delivery;
  }

  /**
   * Marks deliveries of this sequence settled; returns the frames now due, in order: the item each names and
   * whether it is an ACK (cumulative) or a NACK.
   */
  settle(deliveries: readonly Delivery<T>[], how: Settlement): { item: T; how: Settlement }[] {
    for (const delivery of deliveries) delivery.state = how;
    const frames: { item: T; how: Settlement }[] = [];
    let lastAck: T | undefined;
    while (this.head < this.deliveries.length) {
      const delivery = this.deliveries[this.head] as Delivery<T>;
      if (delivery.state === "open") break;
      this.head++;
      if (delivery.state === "ack") {
        lastAck = delivery.item;
        continue;
      }
      if (lastAck !== undefined) frames.push({ item: lastAck, how: "ack" });
      lastAck = undefined;
      frames.push({ item: delivery.item, how: "nack" });
    }
    if (lastAck !== undefined) frames.push({ item: lastAck, how: "ack" });
    // Drop the settled front now and then, rather than shift one at a time.
    if (this.head > 1024 && this.head * 2 > this.deliveries.length) {
      this.deliveries = this.deliveries.slice(this.head);
      this.head = 0;
    }
    return frames;
  }
}
