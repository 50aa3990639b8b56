/**
 * A function served over HTTP inside the test: the target of `url` functions (any path) and a stand-in for the
 * Lambda Invoke API that `arn` functions call (`POST /2015-03-31/functions/<name>/invocations`). It records every
 * invocation and how many were in flight for the same event source when each began, and answers as the behaviour
 * set for that source says (by default 200 with `{}`).
 */
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Invocation {
  path: string;
  headers: IncomingHttpHeaders;
  event: { Records: Record<string, unknown>[] };
  /** Epoch ms the request arrived. */
  at: number;
  /** Invocations for the same source in flight once this one began, itself included. */
  inFlight: number;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export type Behaviour = (invocation: Invocation) => Promise<Answer> | Answer;

export interface HttpFunction {
  /** Origin to point a `url` function or AWS_ENDPOINT_URL_LAMBDA at. */
  origin: string;
  /** How invocations of records from this event source (a Kafka topic's name, a DocumentDB database) are answered. */
  on(sourceArn: string, behaviour: Behaviour): void;
  invocationsOf(sourceArn: string): Invocation[];
  close(): Promise<void>;
}

/**
 * The event source an invocation is for: its records' (a tumbling window's final invocation has none but names
 * it); for Kafka, whose events carry `records` by topic-partition, the topic; for DocumentDB, the database.
 */
const sourceOf = (
  event: Partial<Invocation["event"]> & {
    eventSourceARN?: string;
    records?: Record<string, { topic: string }[]>;
    events?: { event: { ns?: { db: string } } }[];
  },
) =>
  String(
    event.Records?.[0]?.eventSourceARN ??
      event.eventSourceARN ??
      Object.values(event.records ?? {})[0]?.[0]?.topic ??
      // DocumentDB: the database the change was made in.
      event.events?.[0]?.event.ns?.db ??
      "",
  );

export async function startHttpFunction(): Promise<HttpFunction> {
  const behaviours = new Map<string, Behaviour>();
  const invocations = new Map<string, Invocation[]>();
  const inFlight = new Map<string, number>();
  const server: Server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    const event = JSON.parse(body) as Invocation["event"];
    const source = sourceOf(event);
    const running = (inFlight.get(source) ?? 0) + 1;
    inFlight.set(source, running);
    const invocation = {
      path: request.url ?? "",
      headers: request.headers,
      event,
      at: Date.now(),
      inFlight: running,
    };
    invocations.set(source, [...(invocations.get(source) ?? []), invocation]);
    try {
      const answer: Answer = await (behaviours.get(source) ?? (() => ({ body: {} })))(invocation);
      response.writeHead(answer.status ?? 200, { "content-type": "application/json", ...answer.headers });
      response.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    } finally {
      inFlight.set(source, (inFlight.get(source) ?? 1) - 1);
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    on: (sourceArn, behaviour) => behaviours.set(sourceArn, behaviour),
    invocationsOf: (sourceArn) => invocations.get(sourceArn) ?? [],
    async close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** The largest number of invocations in flight at once among those that began in [from, to). */
export function peakInFlight(
  invocations: readonly Invocation[],
  from = 0,
  to = Number.POSITIVE_INFINITY,
): number {
  return Math.max(0, ...invocations.filter((i) => i.at >= from && i.at < to).map((i) => i.inFlight));
}
