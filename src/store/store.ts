/**
 * Where Sluice keeps its state. Asynchronous so that a networked store (PostgreSQL, for several Sluice nodes)
 * fits the same contract as the embedded SQLite one.
 */
import type { EventSourceMapping } from "../mappings/types.js";

export type Tags = Record<string, string>;

/** How far a stream mapping has got in one shard. */
export interface ShardCheckpoint {
  shardId: string;
  /** The last record whose outcome is final; reading resumes after it. Undefined: none yet. */
  sequenceNumber: string | undefined;
  /** The shard is closed and read to its end: its children may start. */
  ended: boolean;
}

export interface Store {
  /** Stores a new mapping and its tags in one transaction. */
  insertMapping(mapping: EventSourceMapping, tags: Tags): Promise<void>;
  getMapping(uuid: string): Promise<EventSourceMapping | undefined>;
  /** Every mapping, oldest first (creation time, then UUID). */
  listMappings(): Promise<EventSourceMapping[]>;
  putMapping(mapping: EventSourceMapping): Promise<void>;
  /** Removes a mapping, its tags and its checkpoints. */
  deleteMapping(uuid: string): Promise<void>;

  getCheckpoints(uuid: string): Promise<ShardCheckpoint[]>;
  /** Durable once it resolves: a restart, even after kill -9, resumes from it. */
  putCheckpoint(uuid: string, checkpoint: ShardCheckpoint): Promise<void>;
  /** Several at once, all or none: a stream's first listing records every shard it starts from. */
  putCheckpoints(uuid: string, checkpoints: readonly ShardCheckpoint[]): Promise<void>;
  deleteCheckpoints(uuid: string): Promise<void>;

  getTags(uuid: string): Promise<Tags>;
  /** Adds or overwrites tags. */
  tag(uuid: string, tags: Tags): Promise<void>;
  untag(uuid: string, keys: readonly string[]): Promise<void>;

  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
