import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines } from "./json-lines.js";
import { tempDir } from "./sluice.js";

describe("jsonLines", () => {
  it("skips a line a killed process cut short, and reads the line appended right after the cut", () => {
    const file = join(tempDir(), "batches.jsonl");
    const cut = JSON.stringify({ batch: 2, event: { Records: [{ body: "b" }] } }).slice(0, 25);
    writeFileSync(
      file,
      `${JSON.stringify({ batch: 1 })}\n${cut}${JSON.stringify({ batch: 3, event: { Records: [] } })}\n{"batch":4,"ev`,
    );
    expect(jsonLines(file)).toEqual([{ batch: 1 }, { batch: 3, event: { Records: [] } }]);
  });
});
