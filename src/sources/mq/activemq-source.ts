/**
 * An ActiveMQ queue as a QueueSource, over STOMP (@stomp/stompjs): one connection per mapping and, as the JMS
 * client Lambda uses has a session per consumer, as many subscriptions as the mapping runs pollers, each
 * prefetching two batches. The subscriptions feed one buffer that every poller takes from, so that a quiet
 * queue's messages gather in one batch, not in one partial batch per subscription each waiting out the window.
 * A subscription is in `ack: client` mode, whose ACK is cumulative: one frame acknowledges what a batch holds of
 * that subscription, sent once the batch's invocation succeeded (or the filter dropped its messages) and
 * everything delivered before it on that subscription is settled too (AckSequence).
 *
 * The price of cumulative ACKs with a shared buffer: a batch usually holds messages of every subscription, so
 * while a failed batch waits out its redeliveries (6 s at most), the later batches are invoked but their ACKs
 * are held, and once every subscription's prefetch is used up the broker sends nothing more. A subscription in
 * `client-individual` mode would not hold anything back, at one ACK frame a message: bench/mq measured that
 * 17 % slower, so the hold is the trade taken.
 *
 * Redelivery is the JMS client's, as Lambda uses it: the ActiveMQ client's default policy redelivers a failed
 * message locally, 1 s later, up to 6 times (reference/aws-esm-facts.md §6.4), then acknowledges it as poison,
 * which sends it to the broker's dead-letter queue. Over STOMP that poison acknowledgement is a NACK: ActiveMQ
 * moves a NACKed persistent message to its DLQ at once, and never dead-letters on its own. A lost connection
 * drops what was not acknowledged (the broker delivers it again, marked redelivered) and the next receive
 * connects afresh.
 */
import { Client, type IMessage } from "@stomp/stompjs";
import { JsonEvent } from "../../pipeline/payload-size.js";
import { type QueueSource, TextRecord } from "../source.js";
import { AckSequence, type Delivery, type Settlement } from "./ack-sequence.js";
import { activeMqErrorCode, describeActiveMqError, StompError } from "./activemq-errors.js";
import { activeMqMessageWriter, redeliveredJson } from "./activemq-event.js";
import type { BrokerAccess } from "./broker-access.js";
import { BrokerSession } from "./broker-session.js";
import { Deliveries, REDELIVERY_DELAY_MS } from "./deliveries.js";
import { StompTcpSocket, StompTlsSocket } from "./stomp-socket.js";

/** The ActiveMQ client's default RedeliveryPolicy.maximumRedeliveries, which Lambda keeps. */
export const MAX_REDELIVERIES = 6;
const CONNECT_TIMEOUT_MS = 10_000;

/** A subscription of one connection, and its deliveries' acknowledgement ids in order. */
interface Consumer {
  client: Client;
  subscriptionId: string;
  sequence: AckSequence<string>;
}

export class ActiveMqRecord extends TextRecord {
  constructor(
    id: string,
    json: string,
    arrivedAt: number,
    /**
     * Its place in the subscription's sequence, and what an ACK or NACK names (STOMP 1.2: the delivery's `ack`
     * header). Only this is kept of the frame, so that the frame is garbage as soon as the message is read: a
     * prefetch holds thousands.
     */
    readonly delivery: Delivery<string>,
    /** The subscription the message came on: acknowledgements go back on it, or not at all. */
    readonly consumer: Consumer,
    /** Local redeliveries so far (the JMS client's redelivery counter). */
    readonly redeliveries: number,
  ) {
    super(id, json, arrivedAt);
  }
}

export class ActiveMqSource implements QueueSource<ActiveMqRecord> {
  readonly maxPerReceive: number;
  readonly cancellableReceive = true;
  readonly envelopeBytes: number;
  /** What the subscriptions brought and no poller has taken yet. */
  private readonly deliveries = new Deliveries<ActiveMqRecord>();
  private readonly eventPrefix: string;
  private readonly writeMessage: ReturnType<typeof activeMqMessageWriter>;
  private readonly session: BrokerSession<Client>;
  /**
   * The connection whose deliveries count: one that failed may still be delivering and take frames until it
   * closes, but what it delivered is the broker's again, and a newer connection delivers it anew.
   */
  private current: Client | undefined;

  constructor(
    brokerArn: string,
    private readonly access: BrokerAccess,
    /** Pollers, and so subscriptions. */
    private readonly consumers: number,
    /** Messages each subscription lets the broker send ahead. */
    private readonly prefetch: number,
  ) {
    this.maxPerReceive = prefetch;
    this.writeMessage = activeMqMessageWriter(access.queue);
    this.session = new BrokerSession<Client>(
      () => this.open(),
      (client) => client.deactivate(),
      this.deliveries,
    );
    this.eventPrefix = `{"eventSource":"aws:mq","eventSourceArn":${JSON.stringify(brokerArn)},"messages":[`;
    this.envelopeBytes = Buffer.byteLength(`${this.eventPrefix}]}`);
  }

  async receive(max: number, waitMs: number, signal: AbortSignal): Promise<ActiveMqRecord[]> {
    await this.session.connected();
    return this.deliveries.take(max, waitMs, signal);
  }

  batchEvent(records: readonly ActiveMqRecord[]): unknown {
    return new JsonEvent(`${this.eventPrefix}${records.map((r) => r.json).join(",")}]}`);
  }

  async ack(records: readonly ActiveMqRecord[]): Promise<string[]> {
    return this.settle(records, "ack");
  }

  /** Redelivered here after the delay, marked redelivered; past the limit, NACKed into the DLQ. */
  async retry(records: readonly ActiveMqRecord[]): Promise<void> {
    const poison = records.filter((r) => r.redeliveries >= MAX_REDELIVERIES);
    this.settle(poison, "nack");
    const again = records.filter((r) => r.redeliveries < MAX_REDELIVERIES);
    if (again.length === 0) return;
    this.session.later(() => {
      // Before newer messages, as a JMS session redelivers. Messages of a connection since lost are the
      // broker's again.
      const redelivered = again
        .filter((r) => this.isCurrent(r.consumer.client))
        .map(
          (r) =>
            new ActiveMqRecord(
              r.id,
              redeliveredJson(r.json),
              r.arrivedAt,
              r.delivery,
              r.consumer,
              r.redeliveries + 1,
            ),
        );
      if (redelivered.length > 0) this.deliveries.unshift(redelivered);
    }, REDELIVERY_DELAY_MS);
  }

  async deadLetter(records: readonly ActiveMqRecord[]): Promise<void> {
    this.settle(records, "nack");
  }

  async release(): Promise<void> {
    // Closing the connection, which follows, hands every unacknowledged message back to the broker.
  }

  describeError(err: unknown): string {
    return describeActiveMqError(err, this.access);
  }

  errorCode(err: unknown): string | undefined {
    return activeMqErrorCode(err);
  }

  close(): Promise<void> {
    return this.session.close();
  }

  /**
   * Marks records settled in their subscription's sequence and sends the frames that makes due: records of a
   * connection since lost are the broker's again. Resolves with the ids settled.
   */
  private settle(records: readonly ActiveMqRecord[], how: Settlement): string[] {
    const byConsumer = new Map<Consumer, Delivery<string>[]>();
    const settled: string[] = [];
    for (const record of records) {
      if (!this.isCurrent(record.consumer.client)) continue;
      const group = byConsumer.get(record.consumer);
      if (group) group.push(record.delivery);
      else byConsumer.set(record.consumer, [record.delivery]);
      settled.push(record.id);
    }
    for (const [{ client, subscriptionId, sequence }, deliveries] of byConsumer) {
      try {
        for (const frame of sequence.settle(deliveries, how)) client[frame.how](frame.item, subscriptionId);
      } catch {
        // The connection closed meanwhile: the broker has them back.
      }
    }
    return settled;
  }

  private isCurrent(client: Client): boolean {
    return client === this.current && client.connected;
  }

  /** `client` failed: what it delivered and was not acknowledged is the broker's again. */
  private lose(client: Client, err: unknown): void {
    if (this.current === client) this.current = undefined;
    this.session.lost(client, err);
  }

  /** A message just delivered on `consumer`, as a record, in its place in the subscription's sequence. */
  private record(message: IMessage, consumer: Consumer): ActiveMqRecord {
    const { headers } = message;
    const receivedAt = Date.now();
    const json = this.writeMessage(message, receivedAt);
    const arrivedAt = Number(headers.timestamp ?? receivedAt);
    // STOMP 1.2 acknowledges a delivery by its `ack` header, earlier versions by the message id.
    const ackId =
      (consumer.client.connectedVersion === "1.2" ? headers.ack : undefined) ?? headers["message-id"] ?? "";
    const delivery = consumer.sequence.add(ackId);
    return new ActiveMqRecord(headers["message-id"] ?? "", json, arrivedAt, delivery, consumer, 0);
  }

  /** Connects to the first endpoint that answers (an active/standby pair: the active one), then subscribes. */
  private async open(): Promise<Client> {
    let lastError: unknown;
    for (const endpoint of this.access.endpoints) {
      try {
        return await this.openAt(endpoint);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  }

  private openAt(endpoint: URL): Promise<Client> {
    const { username, password, queue } = this.access;
    const host = endpoint.hostname;
    const port = Number(endpoint.port || (endpoint.protocol === "stomp+ssl:" ? 61614 : 61613));
    return new Promise<Client>((resolve, reject) => {
      let opened = false;
      const client = new Client({
        webSocketFactory: () =>
          endpoint.protocol === "stomp+ssl:"
            ? new StompTlsSocket(host, port)
            : new StompTcpSocket(host, port),
        connectHeaders: { login: username, passcode: password, host },
        connectionTimeout: CONNECT_TIMEOUT_MS,
        reconnectDelay: 0, // reconnecting is the next receive's business
        heartbeatIncoming: 10_000,
        heartbeatOutgoing: 10_000,
        // With the sockets of stomp-socket.ts, the debug line built for each chunk read costs nothing.
        logRawCommunication: true,
        onConnect: () => {
          opened = true;
          this.current = client;
          for (let n = 0; n < this.consumers; n++) {
            const consumer: Consumer = { client, subscriptionId: `sub-${n}`, sequence: new AckSequence() };
            client.subscribe(
              `/queue/${queue}`,
              (message) => {
                if (client === this.current) this.deliveries.push(this.record(message, consumer));
              },
              { id: consumer.subscriptionId, ack: "client", "activemq.prefetchSize": String(this.prefetch) },
            );
          }
          resolve(client);
        },
        onStompError: (frame) => {
          const err = new StompError(frame.headers.message ?? "ERROR frame", frame.body);
          if (!opened) reject(err);
          else this.lose(client, err);
          void client.deactivate();
        },
        onWebSocketClose: (event: { code?: number; reason?: string } | undefined) => {
          const err = new Error(
            `the connection to ${host}:${port} closed${event?.reason ? `: ${event.reason}` : ""}`,
          );
          if (!opened) reject(err);
          else this.lose(client, err);
        },
        // The TCP wrapper hands on the socket's error as the event's `message`.
        onWebSocketError: (event: unknown) => {
          const cause = event instanceof Error ? event : ((event as { message?: unknown })?.message ?? event);
          if (!opened) reject(cause instanceof Error ? cause : new Error(String(cause)));
        },
      });
      client.activate();
    });
  }
}
