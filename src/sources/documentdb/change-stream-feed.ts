/**
 * A mapping's change stream, read into a RecordFeed for its shard runner. Reading goes on in the background
 * while batches are invoked, and holds off while the feed is full. After a failure the stream is opened again
 * just after the last change taken in (or where it first started), so no change is skipped or taken twice; the
 * driver's own resumes (after a failover or a dropped connection) work the same way within one stream.
 */
import type { ChangeStream } from "mongodb";
import { RecordFeed } from "../record-feed.js";
import { type ChangeRecord, type ResumeToken, toChangeRecord } from "./change-event.js";

export interface ChangeStreamFeedOptions {
  /** Opens the change stream just after `after`, or at the mapping's starting position when undefined. */
  open(after: ResumeToken | undefined): ChangeStream;
  /** The stored checkpoint's token: where reading resumes. */
  after: ResumeToken | undefined;
  bounds: { records: number; bytes: number };
  /** The stream answered: a problem reported before is over. */
  opened(): void;
  /**
   * Reading failed, for the `failures`-th time in a row. Resolves true to open the stream again (after the
   * caller's backoff), false to stop reading for good.
   */
  failed(err: unknown, failures: number): Promise<boolean>;
}

export class ChangeStreamFeed extends RecordFeed<ChangeRecord> {
  private room: (() => void) | undefined;
  /** Changes read since the feed last took some in. */
  private landing: ChangeRecord[] = [];

  constructor(private readonly options: ChangeStreamFeedOptions) {
    super(options.bounds, () => this.room?.());
  }

  /** Reads the change stream into the feed until the signal aborts or a failure is final. */
  async pump(signal: AbortSignal): Promise<void> {
    let after = this.options.after;
    let failures = 0;
    while (!signal.aborted) {
      const stream = this.options.open(after);
      // Closing the stream ends a read waiting on the server.
      const close = () => void stream.close().catch(() => {});
      signal.addEventListener("abort", close, { once: true });
      // The server's first answer, an empty batch's resume token or a change: the stream works.
      stream.once("resumeTokenChanged", () => {
        failures = 0;
        this.options.opened();
      });
      try {
        while (!signal.aborted) {
          await this.roomFor(signal);
          // Not tryNext: the driver caches a change's resume token only in next(), and resumes by itself (after a
          // dropped connection) from that token, which tryNext would leave at an older position.
          const record = toChangeRecord(await stream.next());
          after = record.token;
          this.land(record);
        }
      } catch (err) {
        if (signal.aborted) break;
        if (!(await this.options.failed(err, ++failures))) return;
      } finally {
        signal.removeEventListener("abort", close);
        await stream.close().catch(() => {});
      }
    }
  }

  /**
   * Changes the driver already holds come out of `next` without I/O, one microtask each: they are taken in
   * together once the read reaches the server again, so the runner sees the server's batch whole.
   */
  private land(record: ChangeRecord): void {
    if (this.landing.push(record) > 1) return;
    setImmediate(() => {
      const records = this.landing;
      this.landing = [];
      this.push(records);
    });
  }

  /** Resolves once the feed is not full, or the signal aborts. */
  private roomFor(signal: AbortSignal): Promise<void> {
    if (!this.full || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.room = undefined;
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.room = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }
}
