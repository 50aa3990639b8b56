import { setMaxListeners } from "node:events";
import type { FastifyBaseLogger } from "fastify";
import type { Invoker } from "../functions/invoke.js";
import { type Batch, Batcher, type WindowStart } from "../pipeline/batcher.js";
import { decideOutcome, type Outcome } from "../pipeline/outcome.js";
import type { QueueSource, SourceRecord } from "../sources/source.js";
import { type InvocationObserver, MappingInvoker } from "./mapping-invoker.js";
import { Metrics } from "./metrics.js";
import { ProcessingResult } from "./processing-result.js";
import { backoffMs, sleep } from "./sleep.js";

/** Longest a receive waits for the first message: SQS's long-poll limit. */
const LONG_POLL_MS = 20_000;
/** How often the pool re-decides its size. */
const SCALING_INTERVAL_MS = 1_000;
/** Pollers added per interval while messages wait: AWS adds up to 300 a minute. */
const SCALE_UP_PER_INTERVAL = 5;
/** Backoff after a failing receive: doubling from the first to the last, with jitter. */
const RECEIVE_BACKOFF_MS = [1_000, 30_000] as const;

export interface QueueWorkerOptions<R extends SourceRecord> {
  uuid: string;
  functionArn: string;
  source: QueueSource<R>;
  invoker: Invoker;
  batchSize: number;
  windowMs: number;
  /** Keeps a record when true; undefined when the mapping has no filter criteria. */
  filter: ((event: Record<string, unknown>) => boolean) | undefined;
  reportBatchItemFailures: boolean;
  /** Pollers at start, at most, and when the queue is idle. */
  /**
   * Pollers at start, at most, and when the queue is idle; or a fixed number (Amazon MQ's 5 or 1), which
   * neither grows with a backlog nor shrinks while the function fails.
   */
  concurrency: { initial: number; max: number; idle: number } | { fixed: number };
  metrics: Metrics;
  log: FastifyBaseLogger;
  /**
   * When a batching window opens (see Batcher): SQS's runs from the previous invocation's end, Amazon MQ's from
   * the first record.
   */
  windowStartsAt: WindowStart;
  /** The mapping's LastProcessingResult changed: "OK" or "PROBLEM: ...", with a StateTransitionReason code. */
  onProcessingResult(result: string, code?: string): void;
  onInvocation?: InvocationObserver;
}

export class QueueWorker<R extends SourceRecord> {
  private readonly controller = new AbortController();
  /** Aborted only when Sluice shuts down: see stop(). */
  private readonly longPolls = new AbortController();
  private readonly pollers = new Set<Promise<void>>();
  private readonly labels;
  private target: number;
  /** Pollers on their way out after a scale-down. */
  private retiring = 0;
  /** Since the last scaling decision: receives that came back full, empty, and batches the function failed. */
  private signals = { full: 0, empty: 0, failed: 0 };
  private scaler: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private readonly result: ProcessingResult;
  private readonly invoker: MappingInvoker;

  constructor(private readonly options: QueueWorkerOptions<R>) {
    // Every poller's receive listens on these signals: one listener each, up to the 1,250 pollers AWS allows.
    setMaxListeners(0, this.controller.signal, this.longPolls.signal);
    this.labels = Metrics.labels(options.uuid, options.functionArn);
    this.result = new ProcessingResult(options.onProcessingResult);
    this.invoker = new MappingInvoker(
      options.invoker,
      options.functionArn,
      options.metrics,
      this.labels,
      options.onInvocation,
    );
    const { concurrency } = options;
    this.target = "fixed" in concurrency ? concurrency.fixed : Math.min(concurrency.initial, concurrency.max);
  }

  start(): void {
    this.invoker.warm(this.target);
    this.fill();
    this.scaler = setInterval(() => this.rescale(), SCALING_INTERVAL_MS);
    this.scaler.unref();
  }

  /**
   * Stops polling: no new receive starts; batches being invoked finish and settle; records received but not
   * invoked are handed back. Long polls in flight are left to end by themselves (within 20 s, what they bring
   * is handed back): a poll cut off mid-way can still take messages for a connection that is gone, and they
   * would stay invisible until the visibility timeout. Only when Sluice shuts down (`cutLongPolls`) are they
   * cut, trading that delay, never a loss, for a prompt exit.
   */
  stop(options: { cutLongPolls?: boolean } = {}): Promise<void> {
    if (options.cutLongPolls) this.longPolls.abort();
    this.stopping ??= (async () => {
      clearInterval(this.scaler);
      this.controller.abort();
      while (this.pollers.size > 0) await Promise.allSettled([...this.pollers]);
      // Last, so that what the pollers settled on the way out went over the source's connection.
      await this.options.source.close();
    })();
    return this.stopping;
  }

  private fill(): void {
    while (this.pollers.size - this.retiring < this.target && !this.controller.signal.aborted) {
      const poller: Promise<void> = this.poll()
        .catch((err: unknown) => this.options.log.error({ err, uuid: this.options.uuid }, "poller failed"))
        .finally(() => {
          this.pollers.delete(poller);
          this.fill();
        });
      this.pollers.add(poller);
    }
    this.options.metrics.pollers.set(this.labels, this.pollers.size);
  }

  /** AWS adds pollers while messages wait and drops back when the queue runs dry or the function fails. */
  private rescale(): void {
    const { concurrency } = this.options;
    if ("fixed" in concurrency) return;
    const { max, idle } = concurrency;
    const { full, empty, failed } = this.signals;
    this.signals = { full: 0, empty: 0, failed: 0 };
    if (failed > 0 && !this.options.reportBatchItemFailures)
      this.target = Math.max(1, Math.floor(this.target / 2));
    else if (full > 0 && empty === 0) this.target = Math.min(max, this.target + SCALE_UP_PER_INTERVAL);
    else if (full === 0 && empty > 0) this.target = Math.max(Math.min(idle, max), this.target - 1);
    this.fill();
  }

  /**
   * One poller: receives into its own batcher and invokes each batch the batcher cuts, one at a time. Records a
   * byte cut left over stay for the poller's next batch. SQS's window runs from the previous invocation's end.
   */
  private async poll(): Promise<void> {
    const { source, batchSize, windowMs, windowStartsAt } = this.options;
    const { signal } = this.controller;
    const batcher = new Batcher<R>({
      maxRecords: batchSize,
      windowMs,
      envelopeBytes: source.envelopeBytes,
      windowStartsAt,
    });
    const ready: R[][] = [];
    let failures = 0;
    let retiring = false;
    // The last batch's deletes, left to finish while the poller receives again: one at a time per poller.
    let settling: Promise<void> = Promise.resolve();
    while (!signal.aborted) {
      // Scaling down: as many pollers as are over the target retire, each once it has invoked what it holds.
      if (!retiring && this.pollers.size - this.retiring > this.target) {
        retiring = true;
        this.retiring++;
      }
      if (retiring && ready.length === 0 && batcher.size === 0) break;
      const now = Date.now();
      if (ready.length === 0 && (batcher.due(now) || (retiring && batcher.size > 0)))
        ready.push((batcher.flush(now) as Batch<R>).records);
      const next = ready.shift();
      if (next) {
        const outcome = await this.invoke(next);
        batcher.restartWindow(Date.now());
        await settling;
        settling = this.settle(next, outcome).catch((err: unknown) =>
          this.options.log.error({ err, uuid: this.options.uuid }, "settling a batch failed"),
        );
        continue;
      }
      const deadline = batcher.nextDeadline();
      const waitMs =
        deadline === undefined ? LONG_POLL_MS : Math.min(LONG_POLL_MS, Math.max(0, deadline - now));
      try {
        for (const cut of await this.receive(
          batchSize - batcher.size,
          waitMs,
          source.cancellableReceive ? signal : this.longPolls.signal,
          batcher,
        ))
          ready.push(cut.records);
        failures = 0;
      } catch (err) {
        failures++;
        // Every poller meets the same failure: log it once, when the mapping's state turns to it.
        const reason = source.describeError(err);
        if (this.result.problem(reason, source.errorCode?.(err)))
          this.options.log.warn({ err, uuid: this.options.uuid }, "receiving from the event source failed");
        await sleep(backoffMs(failures, RECEIVE_BACKOFF_MS, true), signal);
      }
    }
    await settling;
    if (retiring) this.retiring--;
    // Stopping: received but never invoked, so hand them back rather than have them wait out the visibility timeout.
    const left = [...ready.flat(), ...(batcher.flush(Date.now())?.records ?? [])];
    if (left.length > 0) await source.release(left);
  }

  /** One receive: counts it for scaling, deletes what the filter drops, adds the rest to the batcher. */
  private async receive(
    max: number,
    waitMs: number,
    signal: AbortSignal,
    batcher: Batcher<R>,
  ): Promise<Batch<R>[]> {
    const { source, filter, metrics, batchSize } = this.options;
    const received = await source.receive(max, waitMs, signal);
    if (received.length >= Math.min(batchSize, source.maxPerReceive)) this.signals.full++;
    else if (received.length === 0) this.signals.empty++;
    metrics.polled.inc(this.labels, received.length);
    // One pass: each record is matched once.
    const kept: R[] = [];
    const dropped: R[] = [];
    for (const record of received) {
      (!filter || filter(record.event) ? kept : dropped).push(record);
      record.dropEvent?.();
    }
    if (dropped.length > 0) {
      metrics.filteredOut.inc(this.labels, dropped.length);
      metrics.deleted.inc(this.labels, (await source.ack(dropped)).length);
    }
    const cuts: Batch<R>[] = [];
    const oversized: R[] = [];
    const now = Date.now();
    for (const record of kept) {
      for (const cut of batcher.add(record, now)) {
        if (cut.kind === "batch") cuts.push(cut);
        else {
          oversized.push(cut.record);
          this.options.log.warn(
            { uuid: this.options.uuid, id: cut.record.id, bytes: cut.bytes },
            "record over 6 MB: no invocation can carry it; handed to the broker's dead-letter handling",
          );
        }
      }
    }
    if (oversized.length > 0) await source.deadLetter(oversized);
    return cuts;
  }

  private async invoke(batch: R[]): Promise<Outcome> {
    const { source, reportBatchItemFailures } = this.options;
    const { result } = await this.invoker.invoke(source.batchEvent(batch), batch.length);
    return decideOutcome(result, { reportBatchItemFailures, batchIds: new Set(batch.map((r) => r.id)) });
  }

  private async settle(batch: R[], outcome: Outcome): Promise<void> {
    const { source, metrics } = this.options;
    switch (outcome.kind) {
      case "success": {
        metrics.deleted.inc(this.labels, (await source.ack(batch)).length);
        this.result.ok();
        return;
      }
      case "partial": {
        const failed = new Set(outcome.failedIds);
        metrics.failedInvoke.inc(this.labels, failed.size);
        metrics.deleted.inc(this.labels, (await source.ack(batch.filter((r) => !failed.has(r.id)))).length);
        this.result.ok();
        return;
      }
      default: {
        // Nothing is acknowledged: the whole batch is delivered again.
        metrics.failedInvoke.inc(this.labels, batch.length);
        this.signals.failed++;
        this.result.failed(outcome);
        await source.retry(batch);
      }
    }
  }
}
