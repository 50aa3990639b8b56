import { describe, expect, it } from "vitest";
import { AckSequence } from "../../../src/sources/mq/ack-sequence.js";

describe("AckSequence", () => {
  it("acknowledges a settled run from the oldest delivery in one frame naming its last", () => {
    const sequence = new AckSequence<string>();
    const [a, b, c] = ["a", "b", "c"].map((id) => sequence.add(id));
    if (!a || !b || !c) throw new Error("three deliveries");
    expect(sequence.settle([a, b], "ack")).toEqual([{ item: "b", how: "ack" }]);
    expect(sequence.settle([c], "ack")).toEqual([{ item: "c", how: "ack" }]);
  });

  it("holds a later batch's ACK until the earlier open one is settled, then sends one for both", () => {
    const sequence = new AckSequence<number>();
    const deliveries = Array.from({ length: 6 }, (_, i) => sequence.add(i));
    const first = deliveries.slice(0, 3);
    const second = deliveries.slice(3);
    expect(sequence.settle(second, "ack")).toEqual([]);
    expect(sequence.settle(first, "ack")).toEqual([{ item: 5, how: "ack" }]);
  });

  it("NACKs a poison delivery only after an ACK for everything before it, and goes on past it", () => {
    const sequence = new AckSequence<number>();
    const [d0, d1, d2, d3] = Array.from({ length: 4 }, (_, i) => sequence.add(i));
    if (!d0 || !d1 || !d2 || !d3) throw new Error("four deliveries");
    expect(sequence.settle([d2, d3], "ack")).toEqual([]);
    expect(sequence.settle([d1], "nack")).toEqual([]);
    expect(sequence.settle([d0], "ack")).toEqual([
      { item: 0, how: "ack" },
      { item: 1, how: "nack" },
      { item: 3, how: "ack" },
    ]);
  });

  it("keeps its order across the trimming of a long settled front", () => {
    const sequence = new AckSequence<number>();
    const frames: { item: number; how: string }[] = [];
    let open = sequence.add(0);
    for (let i = 1; i <= 3_000; i++) {
      const next = sequence.add(i);
      frames.push(...sequence.settle([open], "ack"));
      open = next;
    }
    expect(frames).toHaveLength(3_000);
    expect(frames.at(-1)).toEqual({ item: 2_999, how: "ack" });
    expect(sequence.settle([open], "ack")).toEqual([{ item: 3_000, how: "ack" }]);
  });
});
