/**
 * A mapping's change stream, read into a RecordFeed for its shard runner. Reading goes on in the background
 * while batches are invoked, and holds off while the feed is full. After a failure the stream is opened again
 * at the last position it reached: just after the last change taken in, or past the changes of other
 * collections the server has since passed over (its empty batches' resume tokens), so no change is skipped or
 * taken twice, and a quiet collection in a busy cluster does not fall behind the change stream's retention.
 * The driver's own resumes (after a failover or a dropped connection) work the same way within one stream.
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
  /** The stream answered: a reading problem reported before is over. */
  opened(): void;
  /** Changes were pushed into the feed, `last` the last of them. */
  landed(last: ChangeRecord): void;
  /**
   * The stream has moved on to `token` and every change before it has been pushed into the feed: a position
   * to store, once those changes are processed, so that a restart need not go back further.
   */
  passed(token: ResumeToken): void;
  /**
   * Reading failed, for the `failures`-th time in a row, from `after` (undefined: from the starting position).
   * Resolves true to open the stream again (after the caller's backoff), false to stop reading for good.
   */
  failed(err: unknown, failures: number, after: ResumeToken | undefined): Promise<boolean>;
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
      let stream: ChangeStream | undefined;
      // Closing the stream ends a read waiting on the server.
      const close = () => void stream?.close().catch(() => {});
      signal.addEventListener("abort", close, { once: true });
      try {
        stream = this.options.open(after);
        let answered = false;
        let checking = false;
        // The driver's position: each change's token as it is read, or an empty batch's once all are read.
        stream.on("resumeTokenChanged", (token: ResumeToken) => {
          after = token;
          if (!answered) {
            answered = true;
            this.options.opened();
          }
          // A change's own token comes before next() returns it: by the next macrotask the change has landed,
          // so only a position past everything taken in is passed on. One check a macrotask, of the last token.
          if (checking) return;
          checking = true;
          setImmediate(() => {
            checking = false;
            if (this.landing.length === 0 && after) this.options.passed(after);
          });
        });
        while (!signal.aborted) {
          await this.roomFor(signal);
          // Not tryNext: the driver caches a change's resume token only in next(), and resumes by itself (after a
          // dropped connection) from that token, which tryNext would leave at an older position.
          const change = await stream.next();
          failures = 0;
          this.land(toChangeRecord(change));
        }
      } catch (err) {
        if (signal.aborted) break;
        if (!(await this.options.failed(err, ++failures, after))) return;
      } finally {
        signal.removeEventListener("abort", close);
        await stream?.close().catch(() => {});
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
      this.options.landed(records.at(-1) as ChangeRecord);
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
