/**
 * The runtime's one supervisor. It settles every mapping that an API call left in a transitional state
 * (Creating, Updating, Enabling, Disabling, Deleting) into Enabled, Disabled or gone, and on start it finishes
 * what a previous process left half-done, so a restart (even after kill -9) converges to the requested states.
 */
import type { FastifyBaseLogger } from "fastify";
import type { MappingService } from "../mappings/service.js";
import { isTransitional } from "../mappings/state.js";
import type { Store } from "../store/store.js";

export class Supervisor {
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly service: MappingService,
    private readonly log: FastifyBaseLogger,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    for (const mapping of await this.store.listMappings()) {
      if (isTransitional(mapping.state)) this.notify(mapping.uuid);
    }
    await this.idle();
  }

  /** A mapping changed: bring it to the state its configuration asks for. */
  notify(uuid: string): void {
    if (this.stopped) return;
    const work = this.reconcile(uuid)
      .catch((err: unknown) => this.log.error({ err, uuid }, "could not settle event source mapping"))
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }

  /** Resolves once no reconciliation is in flight. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  private async reconcile(uuid: string): Promise<void> {
    const mapping = await this.store.getMapping(uuid);
    if (!mapping || !isTransitional(mapping.state)) return;
    await this.service.settle(uuid, mapping.lastModified);
  }
}
