/**
 * The embedded store: one SQLite file in the data directory. WAL with synchronous=NORMAL survives a killed
 * process (kill -9) without losing a committed write; only a power cut could lose the last transactions.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { EventSourceMapping } from "../mappings/types.js";
import type { ShardCheckpoint, Store, Tags } from "./store.js";

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE mappings (
     uuid TEXT PRIMARY KEY,
     created_at INTEGER NOT NULL,
     doc TEXT NOT NULL
   );
   CREATE INDEX mappings_created ON mappings (created_at, uuid);
   CREATE TABLE tags (
     uuid TEXT NOT NULL,
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     PRIMARY KEY (uuid, key)
   );`,
  `CREATE TABLE checkpoints (
     uuid TEXT NOT NULL,
     shard_id TEXT NOT NULL,
     sequence_number TEXT,
     ended INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (uuid, shard_id)
   );`,
];

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.db = new Database(join(dataDir, "sluice.db"));
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.migrate();
    const db = this.db;
    this.statements = {
      insert: db.prepare("INSERT INTO mappings (uuid, created_at, doc) VALUES (?, ?, ?)"),
      put: db.prepare("UPDATE mappings SET doc = ? WHERE uuid = ?"),
      get: db.prepare<[string], { doc: string }>("SELECT doc FROM mappings WHERE uuid = ?"),
      list: db.prepare<[], { doc: string }>("SELECT doc FROM mappings ORDER BY created_at, uuid"),
      delete: db.prepare("DELETE FROM mappings WHERE uuid = ?"),
      deleteTags: db.prepare("DELETE FROM tags WHERE uuid = ?"),
      getTags: db.prepare<[string], { key: string; value: string }>(
        "SELECT key, value FROM tags WHERE uuid = ? ORDER BY key",
      ),
      tag: db.prepare(
        "INSERT INTO tags (uuid, key, value) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value",
      ),
      untag: db.prepare("DELETE FROM tags WHERE uuid = ? AND key = ?"),
      getCheckpoints: db.prepare<
        [string],
        { shard_id: string; sequence_number: string | null; ended: number }
      >("SELECT shard_id, sequence_number, ended FROM checkpoints WHERE uuid = ? ORDER BY shard_id"),
      putCheckpoint: db.prepare(
        `INSERT INTO checkpoints (uuid, shard_id, sequence_number, ended) VALUES (?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET sequence_number = excluded.sequence_number, ended = excluded.ended`,
      ),
      deleteCheckpoints: db.prepare("DELETE FROM checkpoints WHERE uuid = ?"),
    };
  }

  private migrate(): void {
    const version = this.db.pragma("user_version", { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v] as string);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  async insertMapping(mapping: EventSourceMapping, tags: Tags): Promise<void> {
    this.db.transaction(() => {
      this.statements.insert.run(mapping.uuid, mapping.createdAt, JSON.stringify(mapping));
      this.writeTags(mapping.uuid, tags);
    })();
  }

  async getMapping(uuid: string): Promise<EventSourceMapping | undefined> {
    const row = this.statements.get.get(uuid);
    return row ? (JSON.parse(row.doc) as EventSourceMapping) : undefined;
  }

  async listMappings(): Promise<EventSourceMapping[]> {
    return this.statements.list.all().map((row) => JSON.parse(row.doc) as EventSourceMapping);
  }

  async putMapping(mapping: EventSourceMapping): Promise<void> {
    this.statements.put.run(JSON.stringify(mapping), mapping.uuid);
  }

  async deleteMapping(uuid: string): Promise<void> {
    this.db.transaction(() => {
      this.statements.delete.run(uuid);
      this.statements.deleteTags.run(uuid);
      this.statements.deleteCheckpoints.run(uuid);
    })();
  }

  async getCheckpoints(uuid: string): Promise<ShardCheckpoint[]> {
    return this.statements.getCheckpoints.all(uuid).map((row) => ({
      shardId: row.shard_id,
      sequenceNumber: row.sequence_number ?? undefined,
      ended: row.ended === 1,
    }));
  }

  async deleteCheckpoints(uuid: string): Promise<void> {
    this.statements.deleteCheckpoints.run(uuid);
  }

  async putCheckpoint(uuid: string, checkpoint: ShardCheckpoint): Promise<void> {
    this.writeCheckpoint(uuid, checkpoint);
  }

  async putCheckpoints(uuid: string, checkpoints: readonly ShardCheckpoint[]): Promise<void> {
    this.db.transaction(() => {
      for (const checkpoint of checkpoints) this.writeCheckpoint(uuid, checkpoint);
    })();
  }

  private writeCheckpoint(uuid: string, { shardId, sequenceNumber, ended }: ShardCheckpoint): void {
    this.statements.putCheckpoint.run(uuid, shardId, sequenceNumber ?? null, ended ? 1 : 0);
  }

  async getTags(uuid: string): Promise<Tags> {
    return Object.fromEntries(this.statements.getTags.all(uuid).map((row) => [row.key, row.value]));
  }

  async tag(uuid: string, tags: Tags): Promise<void> {
    this.db.transaction(() => this.writeTags(uuid, tags))();
  }

  async untag(uuid: string, keys: readonly string[]): Promise<void> {
    this.db.transaction(() => {
      for (const key of keys) this.statements.untag.run(uuid, key);
    })();
  }

  private writeTags(uuid: string, tags: Tags): void {
    for (const [key, value] of Object.entries(tags)) this.statements.tag.run(uuid, key, value);
  }

  async ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
