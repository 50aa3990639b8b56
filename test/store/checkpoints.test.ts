import { describe, expect, it } from "vitest";
import { SqliteStore } from "../../src/store/sqlite.js";
import { tempDir } from "../helpers/sluice.js";

describe("stream checkpoints in the SQLite store", () => {
  it("keeps each shard's checkpoint across a reopen, and overwrites it in place", async () => {
    const dir = tempDir();
    const first = new SqliteStore(dir);
    await first.putCheckpoint("m1", { shardId: "shardId-000000000001", sequenceNumber: "100", ended: false });
    await first.putCheckpoint("m1", {
      shardId: "shardId-000000000000",
      sequenceNumber: undefined,
      ended: true,
    });
    await first.putCheckpoint("m1", { shardId: "shardId-000000000001", sequenceNumber: "205", ended: false });
    await first.putCheckpoint("m2", { shardId: "shardId-000000000001", sequenceNumber: "7", ended: false });
    await first.close();

    const again = new SqliteStore(dir);
    expect(await again.getCheckpoints("m1")).toEqual([
      { shardId: "shardId-000000000000", sequenceNumber: undefined, ended: true },
      { shardId: "shardId-000000000001", sequenceNumber: "205", ended: false },
    ]);
    await again.close();
  });

  it("writes several checkpoints at once", async () => {
    const store = new SqliteStore(tempDir());
    await store.putCheckpoints("m1", [
      { shardId: "a", sequenceNumber: undefined, ended: false },
      { shardId: "b", sequenceNumber: "9", ended: true },
    ]);
    expect(await store.getCheckpoints("m1")).toEqual([
      { shardId: "a", sequenceNumber: undefined, ended: false },
      { shardId: "b", sequenceNumber: "9", ended: true },
    ]);
    await store.close();
  });

  it("drops a mapping's checkpoints with the mapping", async () => {
    const store = new SqliteStore(tempDir());
    await store.putCheckpoint("m1", { shardId: "s", sequenceNumber: "1", ended: false });
    await store.putCheckpoint("m2", { shardId: "s", sequenceNumber: "2", ended: false });
    await store.deleteMapping("m1");
    expect(await store.getCheckpoints("m1")).toEqual([]);
    expect(await store.getCheckpoints("m2")).toHaveLength(1);
    await store.close();
  });
});
