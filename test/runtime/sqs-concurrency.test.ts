/**
 * Concurrency on SQS: a FIFO message group stays in order and never runs in two batches at once. (That a slow
 * batch holds only its own poller cannot be shown on fauxqs: it answers concurrent receives one at a time.)
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, ESM_PATH } from "../helpers/http.js";
import { eventually, type InProcessSluice, startInProcess, tempDir } from "../helpers/sluice.js";
import { createQueue, sendMessages } from "../helpers/sources.js";

const recordFile = join(tempDir(), "timed.jsonl");
let sut: InProcessSluice;

interface Batch {
  started: number;
  ended: number;
  records: { body: string; group: string | null }[];
}
const batches = (): Batch[] =>
  existsSync(recordFile)
    ? readFileSync(recordFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Batch)
    : [];

beforeAll(async () => {
  sut = await startInProcess(tempDir(), {
    timed: {
      handler: `${resolve(import.meta.dirname, "handlers/timed")}.handler`,
      timeout: 30,
      environment: { RECORD_FILE: recordFile },
    },
  });
});
afterAll(async () => sut.close());

describe("SQS concurrency", () => {
  it("keeps each FIFO message group in order and never runs a group in two batches at once", async () => {
    const queue = await createQueue({ fifo: true });
    const created = await call(sut.endpoint, "POST", ESM_PATH, {
      FunctionName: "timed",
      EventSourceArn: queue,
      BatchSize: 10,
    });
    expect(created.status, created.text).toBe(202);
    const groups = ["a", "b", "c"];
    const entries = groups.flatMap((g) =>
      Array.from({ length: 20 }, (_, i) => ({ body: `${g}-${String(i).padStart(2, "0")}`, group: g })),
    );
    // Interleave the groups when sending, as producers would.
    entries.sort((x, y) => x.body.slice(2).localeCompare(y.body.slice(2)));
    await sendMessages(queue, entries);
    const done = await eventually(async () => {
      const all = batches().filter((b) =>
        b.records.some((r) => r.group !== null && groups.includes(r.group)),
      );
      return all.flatMap((b) => b.records).length >= 60 ? all : undefined;
    }, 30_000);
    for (const g of groups) {
      const ordered = done
        .sort((x, y) => x.started - y.started)
        .flatMap((b) => b.records.filter((r) => r.group === g).map((r) => r.body));
      expect(ordered).toEqual(Array.from({ length: 20 }, (_, i) => `${g}-${String(i).padStart(2, "0")}`));
      const spans = done
        .filter((b) => b.records.some((r) => r.group === g))
        .sort((x, y) => x.started - y.started);
      for (let i = 1; i < spans.length; i++)
        expect(spans[i]?.started).toBeGreaterThanOrEqual(spans[i - 1]?.ended as number);
    }
  });
});
