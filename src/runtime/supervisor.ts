/**
 * The runtime's one supervisor. It runs one worker per enabled mapping, restarts it when the mapping changes,
 * stops it when the mapping is disabled or deleted, and then settles the state an API call left transitional
 * (Creating, Updating, Enabling, Disabling, Deleting) into Enabled, Disabled or gone. On start it does the same
 * for every stored mapping, so a restart (even after kill -9) converges to the requested states.
 */
import type { FastifyBaseLogger } from "fastify";
import type { MappingService } from "../mappings/service.js";
import { isTransitional } from "../mappings/state.js";
import type { EventSourceMapping } from "../mappings/types.js";
import type { Store } from "../store/store.js";

/** A running mapping: stopping finishes or hands back what it holds; `cutLongPolls` when Sluice exits. */
export interface Worker {
  stop(options?: { cutLongPolls?: boolean }): Promise<void>;
}

/**
 * Starts a mapping's worker; undefined for kinds whose records do not flow yet. `previousStopped` resolves once
 * the mapping's previous worker (if any) has stopped: a stream worker waits for it, since two readers of one
 * shard would reorder records; a queue worker need not, as SQS serves competing consumers.
 */
export type WorkerFactory = (
  mapping: EventSourceMapping,
  previousStopped: Promise<void>,
) => Worker | undefined;

interface Running {
  worker: Worker;
  /** What the worker was started with: a change means a restart (a state change alone does not). */
  settings: string;
}

const settingsOf = (m: EventSourceMapping) => JSON.stringify([m.functionArn, m.config]);

export class Supervisor {
  private readonly running = new Map<string, Running>();
  /** Workers told to stop, still finishing their batches and long polls. */
  private readonly draining = new Set<Worker>();
  /** Per mapping, resolves once its stopped workers have all finished. */
  private readonly stopped = new Map<string, Promise<void>>();
  /** Reconciliations per mapping, one at a time each. */
  private readonly chains = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly service: MappingService,
    private readonly startWorker: WorkerFactory,
    private readonly log: FastifyBaseLogger,
    /** A mapping is being deleted and its worker has stopped: drop what is kept for it (its metrics). */
    private readonly onDeleted: (mapping: EventSourceMapping) => void = () => {},
  ) {}

  async start(): Promise<void> {
    this.closed = false;
    for (const mapping of await this.store.listMappings()) this.notify(mapping.uuid);
    await this.idle();
  }

  /** A mapping changed: bring its worker and state to what its configuration asks for. */
  notify(uuid: string): void {
    if (this.closed) return;
    const previous = this.chains.get(uuid) ?? Promise.resolve();
    const next = previous
      .then(() => this.reconcile(uuid))
      .catch((err: unknown) =>
        this.log.error({ err, uuid }, "could not apply the event source mapping's state"),
      );
    this.chains.set(uuid, next);
    void next.finally(() => {
      if (this.chains.get(uuid) === next) this.chains.delete(uuid);
    });
  }

  /** Resolves once no reconciliation is in flight. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all(this.chains.values());
  }

  /** Stops settling and every worker, draining ones included; workers finish or hand back their batches. */
  async stop(): Promise<void> {
    this.closed = true;
    await this.idle();
    const workers = [...[...this.running.values()].map((r) => r.worker), ...this.draining];
    this.running.clear();
    await Promise.allSettled(workers.map((worker) => worker.stop({ cutLongPolls: true })));
  }

  /**
   * Stops a worker without waiting for it: the mapping's new state holds at once, while the worker finishes its
   * batches and lets its long polls end (handing back what they bring) in the background.
   */
  private drain(uuid: string, worker: Worker, then: () => void): void {
    this.draining.add(worker);
    const done = worker
      .stop()
      .catch((err: unknown) => this.log.error({ err }, "stopping a worker failed"))
      .finally(() => {
        this.draining.delete(worker);
        then();
      });
    const all = Promise.all([this.stopped.get(uuid), done]).then(() => {
      if (this.stopped.get(uuid) === all) this.stopped.delete(uuid);
    });
    this.stopped.set(uuid, all);
  }

  private async reconcile(uuid: string): Promise<void> {
    const mapping = await this.store.getMapping(uuid);
    const current = this.running.get(uuid);
    const deleting = mapping?.state === "Deleting";
    const wanted = mapping?.enabled && !deleting;
    const deleted = () => {
      if (mapping && deleting) this.onDeleted(mapping);
    };
    if (current && (!wanted || current.settings !== settingsOf(mapping))) {
      this.running.delete(uuid);
      this.drain(uuid, current.worker, deleted);
    } else deleted();
    if (mapping && wanted && !this.running.has(uuid)) {
      const worker = this.startWorker(mapping, this.stopped.get(uuid) ?? Promise.resolve());
      if (worker) this.running.set(uuid, { worker, settings: settingsOf(mapping) });
    }
    if (mapping && isTransitional(mapping.state)) await this.service.settle(uuid, mapping.lastModified);
  }
}
