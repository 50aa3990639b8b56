import { describe, expect, it } from "vitest";
import { CheckpointLedger } from "../../src/pipeline/checkpoint-ledger.js";

describe("a shard's checkpoint ledger", () => {
  it("moves the checkpoint to the last record of the finished prefix only", () => {
    const ledger = new CheckpointLedger();
    ledger.enter(["1", "2", "3", "4"]);
    expect(ledger.finish(["2", "3"])).toBeUndefined();
    expect(ledger.position).toBeUndefined();
    expect(ledger.finish(["1"])).toBe("3");
    expect(ledger.pending).toBe(1);
    expect(ledger.finish(["4"])).toBe("4");
    expect(ledger.pending).toBe(0);
  });

  it("starts from a stored checkpoint and keeps it until something after it finishes", () => {
    const ledger = new CheckpointLedger("10");
    ledger.enter(["11", "12"]);
    expect(ledger.position).toBe("10");
    expect(ledger.finish(["12"])).toBeUndefined();
    expect(ledger.finish(["11"])).toBe("12");
  });

  it("keeps its place across many records while trimming what the checkpoint passed", () => {
    const ledger = new CheckpointLedger();
    const ids = Array.from({ length: 5000 }, (_, i) => String(i));
    ledger.enter(ids);
    for (let i = 0; i < 5000; i += 2) ledger.finish([String(i + 1)]);
    for (let i = 0; i < 4000; i += 2) ledger.finish([String(i)]);
    expect(ledger.position).toBe("3999");
    expect(ledger.pending).toBe(1000);
    ledger.enter(["5000"]);
    for (let i = 4000; i < 5000; i += 2) ledger.finish([String(i)]);
    expect(ledger.position).toBe("4999");
    expect(ledger.finish(["5000"])).toBe("5000");
  });

  it("passes a batch of the oldest records at once, and keeps what follows a gap until the gap finishes", () => {
    const ledger = new CheckpointLedger();
    ledger.enter(["1", "2", "3", "4", "5", "6"]);
    expect(ledger.finish(["1", "2", "4"])).toBe("2");
    expect(ledger.pending).toBe(4);
    expect(ledger.finish(["3"])).toBe("4");
    expect(ledger.finish(["5", "6"])).toBe("6");
    expect(ledger.pending).toBe(0);
    // An id twice in one call leaves nothing behind that would hold a later batch.
    ledger.enter(["7", "8"]);
    expect(ledger.finish(["7", "7"])).toBe("7");
    expect(ledger.finish(["8"])).toBe("8");
    expect(ledger.pending).toBe(0);
  });
});
