/**
 * The batcher with a fake clock: every `now` is a plain number of milliseconds, so nothing sleeps.
 */
import { describe, expect, it } from "vitest";
import { type Batch, Batcher, type Cut } from "../../src/pipeline/batcher.js";
import { MAX_PAYLOAD_BYTES, RECORDS_ENVELOPE_BYTES, sizedJson } from "../../src/pipeline/payload-size.js";

interface Rec {
  id: string;
  bytes: number;
}

const rec = (id: string | number, bytes = 100): Rec => ({ id: String(id), bytes });
const ids = (batch: { records: Rec[] } | undefined): string[] => batch?.records.map((r) => r.id) ?? [];

/** The cuts, which must all be batches. */
function batches(cuts: Cut<Rec>[]): Batch<Rec>[] {
  return cuts.map((cut) => {
    if (cut.kind !== "batch") throw new Error(`expected a batch, got ${cut.kind}`);
    return cut;
  });
}

/** Adds every record at `now` and returns all that was cut. */
function addAll(batcher: Batcher<Rec>, records: Rec[], now: number): Cut<Rec>[] {
  return records.flatMap((record) => batcher.add(record, now));
}

describe("count cut", () => {
  it("cuts a batch the moment it holds BatchSize records", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 3, windowMs: 10_000 });
    expect(batcher.add(rec(1), 0)).toEqual([]);
    expect(batcher.add(rec(2), 1)).toEqual([]);
    const [batch, ...rest] = batches(batcher.add(rec(3), 2));
    expect(rest).toEqual([]);
    expect(ids(batch)).toEqual(["1", "2", "3"]);
    expect(batch).toMatchObject({ reason: "count", openedAt: 0, bytes: RECORDS_ENVELOPE_BYTES + 300 });
    expect(batcher.size).toBe(0);
  });

  it("cuts every record alone when BatchSize is 1", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 1, windowMs: 0 });
    expect(batches(addAll(batcher, [rec("a"), rec("b")], 5)).map(ids)).toEqual([["a"], ["b"]]);
  });

  it("holds 10,000 records in one batch when BatchSize is 10,000, and starts a new batch with the next", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 10_000, windowMs: 300_000 });
    const records = Array.from({ length: 10_001 }, (_, i) => rec(i, 500));
    const cuts = batches(addAll(batcher, records, 0));
    expect(cuts).toHaveLength(1);
    expect(cuts[0]?.records).toHaveLength(10_000);
    expect(cuts[0]?.reason).toBe("count");
    expect(cuts[0]?.bytes).toBe(RECORDS_ENVELOPE_BYTES + 5_000_000);
    expect(batcher.size).toBe(1);
  });
});

describe("byte cut", () => {
  it("starts the next batch with the record that would push the payload over maxBytes", () => {
    const batcher = new Batcher<Rec>({
      maxRecords: 100,
      maxBytes: 1_000,
      envelopeBytes: 0,
      windowMs: 10_000,
    });
    expect(addAll(batcher, [rec("a", 400), rec("b", 400)], 0)).toEqual([]);
    const [full] = batches(batcher.add(rec("c", 300), 7));
    expect(ids(full)).toEqual(["a", "b"]);
    expect(full).toMatchObject({ reason: "bytes", bytes: 800, openedAt: 0 });
    expect(batcher.size).toBe(1);
    expect(ids(batcher.flush(7))).toEqual(["c"]);
  });

  it("counts the envelope against maxBytes", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 100, maxBytes: 1_000, envelopeBytes: 150, windowMs: 0 });
    // 150 + 400 + 400 = 950 fits; a third record of 100 would make 1,050.
    const [full] = batches(addAll(batcher, [rec("a", 400), rec("b", 400), rec("c", 100)], 0));
    expect(ids(full)).toEqual(["a", "b"]);
    expect(full?.bytes).toBe(950);
  });

  it("cuts a batch that fills maxBytes exactly without waiting for the window", () => {
    const batcher = new Batcher<Rec>({
      maxRecords: 100,
      maxBytes: 1_000,
      envelopeBytes: 0,
      windowMs: 60_000,
    });
    const [full] = batches(addAll(batcher, [rec("a", 600), rec("b", 400)], 0));
    expect(full).toMatchObject({ reason: "bytes", bytes: 1_000 });
    expect(batcher.size).toBe(0);
  });

  it('caps a batch at 6 MB by default, counting the {"Records":[]} envelope', () => {
    const batcher = new Batcher<Rec>({ maxRecords: 10_000, windowMs: 1_000 });
    const share = 256 * 1024; // an SQS message at the old 256 KB limit
    const cuts = batches(
      addAll(
        batcher,
        Array.from({ length: 30 }, (_, i) => rec(i, share)),
        0,
      ),
    );
    // 24 × 256 KB = 6 MB exactly, which the 14-byte envelope tips over: 23 records fit.
    expect(cuts.map((b) => b.records.length)).toEqual([23]);
    expect(cuts[0]?.bytes).toBe(RECORDS_ENVELOPE_BYTES + 23 * share);
    expect(cuts[0]?.bytes).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(batcher.size).toBe(7);
  });

  it("estimates a payload from sizedJson at most one byte over its real JSON size", () => {
    const events = Array.from({ length: 50 }, (_, i) => ({ messageId: `m-${i}`, body: "é€😀".repeat(i) }));
    const batcher = new Batcher<Rec & { event: unknown }>({ maxRecords: 100, windowMs: 0 });
    for (const [i, event] of events.entries())
      batcher.add({ id: String(i), event, bytes: sizedJson(event).bytes }, 0);
    const batch = batcher.flush(0);
    const actual = Buffer.byteLength(JSON.stringify({ Records: batch?.records.map((r) => r.event) }));
    expect(batch?.bytes).toBe(actual + 1);
  });
});

describe("window cut", () => {
  it("is due once the window has elapsed since the first record, and not before", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 100, windowMs: 1_000 });
    expect(batcher.nextDeadline()).toBeUndefined();
    expect(batcher.due(5_000)).toBe(false);
    batcher.add(rec("a"), 200);
    batcher.add(rec("b"), 900);
    expect(batcher.nextDeadline()).toBe(1_200);
    expect(batcher.due(1_199)).toBe(false);
    expect(batcher.due(1_200)).toBe(true);
    const batch = batcher.flush(1_200);
    expect(ids(batch)).toEqual(["a", "b"]);
    expect(batch).toMatchObject({ reason: "window", openedAt: 200 });
  });

  it("opens a fresh window with the first record after a cut", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 2, windowMs: 1_000 });
    addAll(batcher, [rec("a"), rec("b")], 0);
    batcher.add(rec("c"), 5_000);
    expect(batcher.nextDeadline()).toBe(6_000);
    expect(batcher.due(5_500)).toBe(false);
  });

  it("marks a batch flushed before its deadline as forced", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 100, windowMs: 1_000 });
    batcher.add(rec("a"), 0);
    expect(batcher.flush(10)).toMatchObject({ reason: "forced", openedAt: 0 });
    expect(batcher.size).toBe(0);
  });

  it("has nothing to flush and no deadline while empty", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 100, windowMs: 0 });
    expect(batcher.flush(0)).toBeUndefined();
    expect(batcher.nextDeadline()).toBeUndefined();
    expect(batcher.due(0)).toBe(false);
  });
});

describe("window 0", () => {
  it("makes a batch due as soon as it holds a record", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 10, windowMs: 0 });
    batcher.add(rec("a"), 42);
    expect(batcher.nextDeadline()).toBe(42);
    expect(batcher.due(42)).toBe(true);
    expect(batcher.flush(42)?.reason).toBe("window");
  });

  it("keeps records that arrive together in one batch instead of invoking them one by one", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 10, windowMs: 0 });
    expect(addAll(batcher, [rec("a"), rec("b"), rec("c")], 0)).toEqual([]);
    expect(ids(batcher.flush(0))).toEqual(["a", "b", "c"]);
  });
});

describe('windowStartsAt "flush"', () => {
  it("opens the first window at the first record, like firstRecord", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 100, windowMs: 1_000, windowStartsAt: "flush" });
    batcher.add(rec("a"), 300);
    expect(batcher.nextDeadline()).toBe(1_300);
  });

  it("runs the next window from the previous cut, so the first record after a quiet spell is due at once", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 100, windowMs: 1_000, windowStartsAt: "flush" });
    batcher.add(rec("a"), 0);
    batcher.flush(1_000);
    batcher.add(rec("b"), 1_400);
    expect(batcher.nextDeadline()).toBe(2_000);
    batcher.flush(2_000);
    batcher.add(rec("c"), 9_000);
    expect(batcher.due(9_000)).toBe(true);
  });

  it("restarts the window when the caller reports the invocation completed", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 100, windowMs: 1_000, windowStartsAt: "flush" });
    batcher.add(rec("a"), 0);
    batcher.flush(1_000);
    batcher.add(rec("b"), 1_200); // arrives while the invocation runs
    batcher.restartWindow(3_500); // the invocation completes
    expect(batcher.nextDeadline()).toBe(4_500);
    expect(batcher.due(4_000)).toBe(false);
  });

  it("leaves firstRecord windows alone on restartWindow", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 100, windowMs: 1_000 });
    batcher.add(rec("a"), 0);
    batcher.restartWindow(500);
    expect(batcher.nextDeadline()).toBe(1_000);
  });
});

describe("oversized record", () => {
  it("returns a record that alone exceeds maxBytes as oversized instead of batching it", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 10, windowMs: 0 });
    const huge = rec("huge", MAX_PAYLOAD_BYTES);
    expect(batcher.add(huge, 0)).toEqual([
      { kind: "oversized", record: huge, bytes: MAX_PAYLOAD_BYTES + RECORDS_ENVELOPE_BYTES },
    ]);
    expect(batcher.size).toBe(0);
  });

  it("cuts the open batch before reporting an oversized record, so order is kept", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 10, maxBytes: 1_000, envelopeBytes: 0, windowMs: 60_000 });
    addAll(batcher, [rec("a"), rec("b")], 0);
    const cuts = batcher.add(rec("huge", 1_001), 3);
    expect(cuts.map((c) => c.kind)).toEqual(["batch", "oversized"]);
    expect(cuts[0]).toMatchObject({ reason: "bytes", records: [rec("a"), rec("b")] });
    expect(batches(batcher.add(rec("c"), 4))).toEqual([]);
    expect(ids(batcher.flush(4))).toEqual(["c"]);
  });

  it("batches a record that fills maxBytes exactly, with the envelope", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 10, maxBytes: 1_000, envelopeBytes: 14, windowMs: 0 });
    expect(batches(batcher.add(rec("exact", 986), 0))).toMatchObject([{ reason: "bytes", bytes: 1_000 }]);
  });
});

describe("order", () => {
  it("preserves arrival order across count, byte and window cuts", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 7, maxBytes: 5_000, envelopeBytes: 14, windowMs: 50 });
    const records = Array.from({ length: 1_000 }, (_, i) => rec(i, 1 + ((i * 7919) % 1_500)));
    const out: string[] = [];
    for (const [i, record] of records.entries()) {
      const now = i * 10;
      for (const cut of batcher.add(record, now)) {
        expect(cut.kind).toBe("batch");
        if (cut.kind === "batch") out.push(...ids(cut));
      }
      if (batcher.due(now)) out.push(...ids(batcher.flush(now)));
    }
    out.push(...ids(batcher.flush(10_000)));
    expect(out).toEqual(records.map((r) => r.id));
  });
});

describe("bad input", () => {
  it("refuses options that cannot make a batch", () => {
    expect(() => new Batcher<Rec>({ maxRecords: 0, windowMs: 0 })).toThrow(RangeError);
    expect(() => new Batcher<Rec>({ maxRecords: 1.5, windowMs: 0 })).toThrow(/maxRecords/);
    expect(() => new Batcher<Rec>({ maxRecords: 1, windowMs: -1 })).toThrow(/windowMs/);
    expect(() => new Batcher<Rec>({ maxRecords: 1, windowMs: 0, maxBytes: 14 })).toThrow(/maxBytes/);
    expect(() => new Batcher<Rec>({ maxRecords: 1, windowMs: 0, envelopeBytes: -1 })).toThrow(
      /envelopeBytes/,
    );
  });

  it("refuses a record whose bytes is not a non-negative number", () => {
    const batcher = new Batcher<Rec>({ maxRecords: 10, windowMs: 0 });
    expect(() => batcher.add(rec("nan", Number.NaN), 0)).toThrow(RangeError);
    expect(() => batcher.add(rec("neg", -1), 0)).toThrow(RangeError);
    expect(batcher.size).toBe(0);
  });

  it("refuses to size an event that is not JSON", () => {
    expect(() => sizedJson(undefined)).toThrow(TypeError);
  });
});
