/**
 * Where Sluice keeps its state. Asynchronous so that a networked store (PostgreSQL, for several Sluice nodes)
 * fits the same contract as the embedded SQLite one.
 */
import type { EventSourceMapping } from "../mappings/types.js";

export type Tags = Record<string, string>;

export interface Store {
  /** Stores a new mapping and its tags in one transaction. */
  insertMapping(mapping: EventSourceMapping, tags: Tags): Promise<void>;
  getMapping(uuid: string): Promise<EventSourceMapping | undefined>;
  /** Every mapping, oldest first (creation time, then UUID). */
  listMappings(): Promise<EventSourceMapping[]>;
  putMapping(mapping: EventSourceMapping): Promise<void>;
  /** Removes a mapping and its tags. */
  deleteMapping(uuid: string): Promise<void>;

  getTags(uuid: string): Promise<Tags>;
  /** Adds or overwrites tags. */
  tag(uuid: string, tags: Tags): Promise<void>;
  untag(uuid: string, keys: readonly string[]): Promise<void>;

  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
