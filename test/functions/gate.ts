/**
 * An HTTP server that handlers call when they start (handlers/lambda.mjs › waitAtGate). Each call is held until
 * the test releases it, so a test sees which invocations run at once without measuring time.
 */
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export class Gate {
  /** Calls that arrived so far. */
  arrivals = 0;
  /** Calls held now, and the most ever held at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Runs on each arrival, after it is counted: a test may release from here. */
  onArrival: () => void = () => {};
  private held: ServerResponse[] = [];
  private opened = false;
  private waiters: { count: number; resolve: () => void }[] = [];
  private readonly server = createServer((_request, response) => {
    this.arrivals++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.held.push(response);
    for (const waiter of this.waiters.filter((w) => this.arrivals >= w.count)) waiter.resolve();
    this.waiters = this.waiters.filter((w) => this.arrivals < w.count);
    if (this.opened) this.release();
    else this.onArrival();
  });

  async start(): Promise<string> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  /** Resolves once `count` calls have arrived in all. */
  arrived(count: number): Promise<void> {
    if (this.arrivals >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Answers every held call. */
  release(): void {
    for (const response of this.held.splice(0)) {
      this.inFlight--;
      response.end("released");
    }
  }

  /** Answers held calls and every later one at once. */
  open(): void {
    this.opened = true;
    this.release();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, "close");
  }
}
