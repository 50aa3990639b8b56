/**
 * A RabbitMQ queue as a QueueSource, over AMQP 0-9-1 (amqplib). One connection and one channel per mapping
 * consume the queue with manual acknowledgement and a prefetch of more than the pollers hold; the
 * pollers take what the broker pushes. A message is acknowledged only after its batch's invocation succeeded (or
 * the filter dropped it), a batch in one frame where it can be (UnsettledTags). A failed batch is requeued (basic.nack) after a redelivery delay, so the broker's own rules
 * decide when a message has been tried enough: a quorum queue's `x-delivery-limit`, then its dead-letter
 * exchange, as with AWS. A lost connection drops what was not acknowledged (the broker delivers it again) and
 * the next receive connects afresh.
 */
import { type Channel, type ChannelModel, type ConsumeMessage, connect } from "amqplib";
import { JsonEvent } from "../../pipeline/payload-size.js";
import { type QueueSource, TextRecord } from "../source.js";
import type { BrokerAccess } from "./broker-access.js";
import { BrokerSession } from "./broker-session.js";
import { Deliveries, REDELIVERY_DELAY_MS } from "./deliveries.js";
import { describeRabbitMqError, rabbitMqErrorCode } from "./rabbitmq-errors.js";
import { rabbitMqMessageJson } from "./rabbitmq-event.js";
import { UnsettledTags } from "./unsettled-tags.js";

/** AMQP's basic.qos prefetch-count is a 16-bit field. */
const MAX_PREFETCH = 65_535;
const HEARTBEAT_SECONDS = 30;

export class RabbitMqRecord extends TextRecord {
  constructor(
    id: string,
    json: string,
    arrivedAt: number,
    /** The channel the message came on: an acknowledgement on any other would be refused. */
    readonly channel: Channel,
    readonly deliveryTag: number,
  ) {
    super(id, json, arrivedAt);
  }
}

interface Session {
  connection: ChannelModel;
  channel: Channel;
}

/** How a batch is settled: AMQP's ack, or nack with or without requeue. */
type Settle = (channel: Channel, tag: number, multiple: boolean) => void;
const ack: Settle = (channel, tag, multiple) => channel.ack(message(tag), multiple);
const requeue: Settle = (channel, tag, multiple) => channel.nack(message(tag), multiple, true);
const reject: Settle = (channel, tag, multiple) => channel.nack(message(tag), multiple, false);

export class RabbitMqSource implements QueueSource<RabbitMqRecord> {
  readonly maxPerReceive: number;
  readonly cancellableReceive = true;
  readonly envelopeBytes: number;
  private readonly deliveries = new Deliveries<RabbitMqRecord>();
  private readonly unsettled = new WeakMap<Channel, UnsettledTags>();
  private readonly eventPrefix: string;
  private readonly session = new BrokerSession<Session>(
    () => this.open(),
    (s) => s.connection.close(),
    this.deliveries,
  );
  private nextId = 0;

  constructor(
    brokerArn: string,
    private readonly access: BrokerAccess,
    /** Messages the broker may push ahead of the acknowledgements (rabbitMqPrefetch). */
    private readonly prefetch: number,
  ) {
    this.maxPerReceive = prefetch;
    const key = `${access.queue}::${access.virtualHost}`;
    this.eventPrefix = `{"eventSource":"aws:rmq","eventSourceArn":${JSON.stringify(brokerArn)},"rmqMessagesByQueue":{${JSON.stringify(key)}:[`;
    this.envelopeBytes = Buffer.byteLength(`${this.eventPrefix}]}}`);
  }

  async receive(max: number, waitMs: number, signal: AbortSignal): Promise<RabbitMqRecord[]> {
    await this.session.connected();
    return this.deliveries.take(max, waitMs, signal);
  }

  batchEvent(records: readonly RabbitMqRecord[]): unknown {
    return new JsonEvent(`${this.eventPrefix}${records.map((r) => r.json).join(",")}]}}`);
  }

  async ack(records: readonly RabbitMqRecord[]): Promise<string[]> {
    return this.settle(records, ack);
  }

  async retry(records: readonly RabbitMqRecord[]): Promise<void> {
    this.session.later(() => this.settle(records, requeue), REDELIVERY_DELAY_MS);
  }

  async deadLetter(records: readonly RabbitMqRecord[]): Promise<void> {
    this.settle(records, reject);
  }

  async release(records: readonly RabbitMqRecord[]): Promise<void> {
    this.settle(records, requeue);
  }

  describeError(err: unknown): string {
    return describeRabbitMqError(err, this.access);
  }

  errorCode(err: unknown): string | undefined {
    return rabbitMqErrorCode(err);
  }

  close(): Promise<void> {
    return this.session.close();
  }

  /**
   * Settles records on the channel each came on: in one frame when they are every unsettled delivery up to
   * the last of them, else one frame each. A record whose channel has closed is left to the broker, which has
   * already taken it back. Resolves with the ids settled.
   */
  private settle(records: readonly RabbitMqRecord[], how: Settle): string[] {
    const byChannel = new Map<Channel, RabbitMqRecord[]>();
    for (const record of records) {
      const group = byChannel.get(record.channel);
      if (group) group.push(record);
      else byChannel.set(record.channel, [record]);
    }
    const settled: string[] = [];
    for (const [channel, group] of byChannel) {
      const tags = group.map((r) => r.deliveryTag).sort((x, y) => x - y);
      try {
        if (this.unsettled.get(channel)?.settle(tags)) how(channel, tags.at(-1) as number, true);
        else for (const tag of tags) how(channel, tag, false);
        for (const record of group) settled.push(record.id);
      } catch {
        // The channel is closed: the broker requeued the messages when it closed.
      }
    }
    return settled;
  }

  /** Connects to the first endpoint that answers, then consumes the queue (which must exist). */
  private async open(): Promise<Session> {
    const { endpoints, username, password, virtualHost, queue } = this.access;
    let connection: ChannelModel | undefined;
    let lastError: unknown;
    for (const endpoint of endpoints) {
      try {
        connection = await connect(
          {
            protocol: endpoint.protocol.slice(0, -1),
            hostname: endpoint.hostname,
            port: endpoint.port ? Number(endpoint.port) : endpoint.protocol === "amqps:" ? 5671 : 5672,
            username,
            password,
            vhost: virtualHost,
            heartbeat: HEARTBEAT_SECONDS,
          },
          { noDelay: true, servername: endpoint.hostname },
        );
        break;
      } catch (err) {
        lastError = err;
      }
    }
    if (!connection) throw lastError;
    try {
      const channel = await connection.createChannel();
      const session = { connection, channel };
      const lost = (err?: unknown) =>
        this.session.lost(session, err ?? new Error("the broker cancelled the consumer"));
      connection.on("error", () => {}); // "close" follows with the same error
      connection.on("close", lost);
      channel.on("error", () => {});
      channel.on("close", () => lost(new Error("the channel was closed")));
      const tags = new UnsettledTags();
      this.unsettled.set(channel, tags);
      await channel.prefetch(Math.min(MAX_PREFETCH, this.prefetch));
      await channel.checkQueue(queue);
      await channel.consume(queue, (msg) => (msg ? this.deliver(channel, tags, msg) : lost()), {
        noAck: false,
      });
      return session;
    } catch (err) {
      await connection.close().catch(() => {});
      throw err;
    }
  }

  private deliver(channel: Channel, tags: UnsettledTags, msg: ConsumeMessage): void {
    const { deliveryTag, redelivered } = msg.fields;
    tags.add(deliveryTag);
    this.deliveries.push(
      new RabbitMqRecord(
        String(this.nextId++),
        rabbitMqMessageJson(msg.properties, msg.content, redelivered),
        Date.now(),
        channel,
        deliveryTag,
      ),
    );
  }
}

/** amqplib acknowledges by a message's delivery tag, and reads nothing else of it. */
const message = (deliveryTag: number) => ({ fields: { deliveryTag } }) as ConsumeMessage;
