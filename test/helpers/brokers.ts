/**
 * Real message brokers for tests: the shared RabbitMQ node and ActiveMQ broker that test/services/up starts
 * (see ../services/endpoints.ts), and private ones a test starts, restarts and stops by itself.
 *
 * Test files run in parallel against the shared brokers, so each test uses its own names: a vhost of its own
 * on RabbitMQ (`createVhost()`), unique queue names on ActiveMQ (`uniqueName()`). A test that restarts a
 * broker uses a private one (`startPrivateRabbit()`, `startPrivateActiveMq()`), never a shared one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client, type IMessage } from "@stomp/stompjs";
import { TCPWrapper } from "@stomp/tcp-wrapper";
import { type Channel, type ConfirmChannel, connect, type MessageProperties, type Options } from "amqplib";
import { brokers } from "../services/endpoints.js";
import { jsonLines } from "./json-lines.js";

/**
 * The functions of the Amazon MQ flow tests: `recorder` appends every batch it gets to `recordFile`;
 * `slow-recorder` does the same after 300 ms, so that batches overlap.
 */
export const mqRecorder = (recordFile: string) => {
  const recorder = {
    handler: `${path.resolve(import.meta.dirname, "../runtime/handlers/mq-recorder")}.handler`,
    timeout: 10,
    environment: { RECORD_FILE: recordFile },
  };
  return {
    recorder,
    // Threads enough for every mapping's batches at once (the default is twice the cores).
    "slow-recorder": {
      ...recorder,
      reservedConcurrency: 20,
      environment: { RECORD_FILE: recordFile, SLEEP_MS: "300" },
    },
  };
};

/** The bodies of every message the MQ recorder functions wrote to `recordFile`, whatever the engine. */
export const mqBodies = (recordFile: string): string[] =>
  jsonLines<{
    event: { messages?: { data: string }[]; rmqMessagesByQueue?: Record<string, { data: string }[]> };
  }>(recordFile).flatMap(({ event }) =>
    (event.messages ?? Object.values(event.rmqMessagesByQueue ?? {}).flat()).map((m) =>
      Buffer.from(m.data, "base64").toString(),
    ),
  );

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------
// RabbitMQ
// ---------------------------------------------------------------------------------------------------------

/** A RabbitMQ node: the shared one (`brokers.rabbitmq`, the default everywhere) or a private one. */
export interface RabbitBroker {
  /** `amqp://host:port`, without credentials or vhost. */
  amqp: string;
  host: string;
  port: number;
  /** The management HTTP API (`http://host:port`), when the node runs the plugin. */
  management?: string;
  username: string;
  password: string;
}

export interface RabbitOptions {
  broker?: RabbitBroker;
}

const sharedRabbit: RabbitBroker = brokers.rabbitmq;

/** The AMQP URL of `vhost` on `broker`, with credentials (default: the broker's admin, guest). */
export function rabbitUrl(
  vhost: string,
  options: RabbitOptions & { username?: string; password?: string } = {},
): string {
  const broker = options.broker ?? sharedRabbit;
  const user = encodeURIComponent(options.username ?? broker.username);
  const password = encodeURIComponent(options.password ?? broker.password);
  return `amqp://${user}:${password}@${broker.host}:${broker.port}/${encodeURIComponent(vhost)}`;
}

async function managementApi(
  method: "GET" | "PUT" | "DELETE",
  apiPath: string,
  body: unknown,
  broker: RabbitBroker,
): Promise<Response> {
  if (!broker.management) throw new Error("this RabbitMQ node runs without the management plugin");
  const auth = Buffer.from(`${broker.username}:${broker.password}`).toString("base64");
  const response = await fetch(`${broker.management}/api${apiPath}`, {
    method,
    headers: {
      authorization: `Basic ${auth}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok && !(method === "DELETE" && response.status === 404)) {
    throw new Error(`RabbitMQ ${method} /api${apiPath}: ${response.status} ${await response.text()}`);
  }
  return response;
}

const enc = encodeURIComponent;
const ALL_PERMISSIONS = { configure: ".*", write: ".*", read: ".*" };

/** Creates a vhost (default: a unique name) where the broker's admin (guest) has all permissions. */
export async function createVhost(name = uniqueName("vh"), options: RabbitOptions = {}): Promise<string> {
  const broker = options.broker ?? sharedRabbit;
  await managementApi("PUT", `/vhosts/${enc(name)}`, {}, broker);
  await managementApi("PUT", `/permissions/${enc(name)}/${enc(broker.username)}`, ALL_PERMISSIONS, broker);
  return name;
}

/** Deletes a vhost and everything in it; a vhost that does not exist is fine. */
export async function deleteVhost(name: string, options: RabbitOptions = {}): Promise<void> {
  await managementApi("DELETE", `/vhosts/${enc(name)}`, undefined, options.broker ?? sharedRabbit);
}

/** Creates (or updates) a user with all permissions on each of `vhosts`. Tags e.g. "administrator". */
export async function createRabbitUser(
  name: string,
  password: string,
  vhosts: string[],
  options: RabbitOptions & { tags?: string[] } = {},
): Promise<void> {
  const broker = options.broker ?? sharedRabbit;
  await managementApi(
    "PUT",
    `/users/${enc(name)}`,
    { password, tags: (options.tags ?? []).join(",") },
    broker,
  );
  for (const vhost of vhosts) {
    await managementApi("PUT", `/permissions/${enc(vhost)}/${enc(name)}`, ALL_PERMISSIONS, broker);
  }
}

/** Deletes a user; a user that does not exist is fine. */
export async function deleteRabbitUser(name: string, options: RabbitOptions = {}): Promise<void> {
  await managementApi("DELETE", `/users/${enc(name)}`, undefined, options.broker ?? sharedRabbit);
}

export interface RabbitQueueCounts {
  /** ready + unacknowledged */
  messages: number;
  ready: number;
  unacknowledged: number;
}

/**
 * A queue's message counts from the management API. These are statistics samples, refreshed every 500 ms on
 * the shared node (`collect_statistics_interval`): poll for the count you expect. A new queue has no sample
 * yet; this waits (up to 5 s) for its first.
 */
export async function rabbitQueueCounts(
  vhost: string,
  queue: string,
  options: RabbitOptions = {},
): Promise<RabbitQueueCounts> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const response = await managementApi(
      "GET",
      `/queues/${enc(vhost)}/${enc(queue)}`,
      undefined,
      options.broker ?? sharedRabbit,
    );
    const body = (await response.json()) as {
      messages?: number;
      messages_ready?: number;
      messages_unacknowledged?: number;
    };
    if (body.messages !== undefined || Date.now() >= deadline) {
      return {
        messages: body.messages ?? 0,
        ready: body.messages_ready ?? 0,
        unacknowledged: body.messages_unacknowledged ?? 0,
      };
    }
    await sleep(100);
  }
}

/** Runs `fn` on a confirm channel of a new connection to `vhost`, then closes the connection. */
export async function withRabbitChannel<T>(
  vhost: string,
  fn: (channel: ConfirmChannel) => Promise<T>,
  options: RabbitOptions = {},
): Promise<T> {
  const connection = await connect(rabbitUrl(vhost, options), { noDelay: true });
  try {
    const channel = await connection.createConfirmChannel();
    return await fn(channel);
  } finally {
    await connection.close().catch(() => {});
  }
}

export interface RabbitQueueOptions {
  /** Default true. */
  durable?: boolean;
  /** `x-queue-type: quorum` (always durable). */
  quorum?: boolean;
  /** `x-delivery-limit` (quorum queues): dead-lettered when requeued more often than this. */
  deliveryLimit?: number;
  /** `x-dead-letter-exchange` ("" is the default exchange). */
  deadLetterExchange?: string;
  /** `x-dead-letter-routing-key` (with the default exchange: the dead-letter queue's name). */
  deadLetterRoutingKey?: string;
  /** Any further `x-` arguments. */
  arguments?: Record<string, unknown>;
}

/** Declares a queue (idempotent for the same options). */
export async function declareRabbitQueue(
  vhost: string,
  name: string,
  queueOptions: RabbitQueueOptions = {},
  options: RabbitOptions = {},
): Promise<void> {
  const args: Record<string, unknown> = { ...queueOptions.arguments };
  if (queueOptions.quorum) args["x-queue-type"] = "quorum";
  if (queueOptions.deliveryLimit !== undefined) args["x-delivery-limit"] = queueOptions.deliveryLimit;
  if (queueOptions.deadLetterExchange !== undefined)
    args["x-dead-letter-exchange"] = queueOptions.deadLetterExchange;
  if (queueOptions.deadLetterRoutingKey !== undefined) {
    args["x-dead-letter-routing-key"] = queueOptions.deadLetterRoutingKey;
  }
  await withRabbitChannel(
    vhost,
    (channel) =>
      channel.assertQueue(name, {
        durable: queueOptions.quorum ? true : (queueOptions.durable ?? true),
        arguments: args,
      }),
    options,
  );
}

export interface RabbitOutgoing {
  body: string | Uint8Array;
  /** AMQP basic properties (contentType, messageId, correlationId, priority, expiration, ...). */
  properties?: Options.Publish;
  /** Shorthand for `properties.headers`. */
  headers?: Record<string, unknown>;
}

/**
 * Publishes messages to a queue through the default exchange and waits for the broker's confirms.
 * Messages are persistent (delivery mode 2) unless `persistent: false`.
 */
export async function publishRabbit(
  vhost: string,
  queue: string,
  messages: RabbitOutgoing[],
  options: RabbitOptions & { persistent?: boolean } = {},
): Promise<void> {
  await withRabbitChannel(
    vhost,
    async (channel) => {
      for (const message of messages) {
        const body = Buffer.from(message.body);
        const properties: Options.Publish = { persistent: options.persistent ?? true, ...message.properties };
        if (message.headers) properties.headers = { ...properties.headers, ...message.headers };
        channel.sendToQueue(queue, body, properties);
      }
      await channel.waitForConfirms();
    },
    options,
  );
}

export interface RabbitReceived {
  body: Buffer;
  /** The body as UTF-8. */
  text: string;
  /** basic.get's fields: deliveryTag, redelivered, exchange, routingKey, messageCount. */
  fields: { redelivered: boolean; exchange: string; routingKey: string };
  properties: MessageProperties;
}

async function getAll(channel: Channel, queue: string, into: RabbitReceived[]): Promise<void> {
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (message === false) return;
    into.push({
      body: message.content,
      text: message.content.toString("utf8"),
      fields: message.fields,
      properties: message.properties,
    });
  }
}

/**
 * Takes every message of a queue (basic.get, auto-ack), e.g. to read a dead-letter queue. With `min`, keeps
 * polling until at least that many arrived or `timeoutMs` (default 10 s) passed, and returns what it got.
 * Note: on a quorum queue, basic.get reports `x-delivery-count: 0` on a first delivery (basic.consume leaves
 * the header out until the first redelivery).
 */
export async function drainRabbitQueue(
  vhost: string,
  queue: string,
  options: RabbitOptions & { min?: number; timeoutMs?: number } = {},
): Promise<RabbitReceived[]> {
  const min = options.min ?? 0;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const received: RabbitReceived[] = [];
  await withRabbitChannel(
    vhost,
    async (channel) => {
      await getAll(channel, queue, received);
      while (received.length < min && Date.now() < deadline) {
        await sleep(50);
        await getAll(channel, queue, received);
      }
    },
    options,
  );
  return received;
}

// ---------------------------------------------------------------------------------------------------------
// ActiveMQ (STOMP)
// ---------------------------------------------------------------------------------------------------------

/** An ActiveMQ broker's STOMP endpoint: the shared one (`brokers.activemq`, the default) or a private one. */
export interface ActiveMqBroker {
  host: string;
  /** STOMP port. */
  port: number;
  username: string;
  password: string;
}

export interface ActiveMqOptions {
  broker?: ActiveMqBroker;
}

const sharedActiveMq: ActiveMqBroker = brokers.activemq;

/** A connected STOMP client (no reconnects, no heart-beats); end it with `await client.deactivate()`. */
export function connectStomp(options: ActiveMqOptions = {}): Promise<Client> {
  const broker = options.broker ?? sharedActiveMq;
  return new Promise((resolve, reject) => {
    const client = new Client({
      webSocketFactory: () => new TCPWrapper(broker.host, broker.port),
      connectHeaders: { login: broker.username, passcode: broker.password, host: "localhost" },
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      connectionTimeout: 10_000,
      onConnect: () => resolve(client),
      onStompError: (frame) => {
        void client.deactivate({ force: true });
        reject(new Error(`STOMP ERROR: ${frame.headers.message ?? ""} ${frame.body}`));
      },
      onWebSocketClose: () => reject(new Error(`STOMP connection to ${broker.host}:${broker.port} closed`)),
    });
    client.activate();
  });
}

/** The STOMP destination of a queue name (a name that already starts with `/` is kept). */
export const activeQueue = (name: string) => (name.startsWith("/") ? name : `/queue/${name}`);

/** Sends and waits for the broker's receipt. */
function publishWithReceipt(
  client: Client,
  destination: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
): Promise<void> {
  const receipt = uniqueName("receipt");
  const done = new Promise<void>((resolve) => client.watchForReceipt(receipt, () => resolve()));
  const allHeaders = { ...headers, receipt };
  if (typeof body === "string") {
    // No content-length: ActiveMQ makes a TextMessage only of a frame without one.
    client.publish({ destination, body, headers: allHeaders, skipContentLengthHeader: true });
  } else {
    client.publish({ destination, binaryBody: body, headers: allHeaders }); // a BytesMessage
  }
  return done;
}

export interface ActiveOutgoing {
  /** A string becomes a JMS TextMessage; bytes (sent with content-length) a BytesMessage. */
  body: string | Uint8Array;
  /** STOMP headers: JMS ones (priority, expires, correlation-id, reply-to, type, ...) and user properties. */
  headers?: Record<string, string>;
}

/** Sends messages to a queue (persistent unless `persistent: false`), each confirmed by a receipt. */
export async function sendActive(
  queue: string,
  messages: ActiveOutgoing[],
  options: ActiveMqOptions & { persistent?: boolean } = {},
): Promise<void> {
  const client = await connectStomp(options);
  try {
    for (const message of messages) {
      const headers: Record<string, string> = { ...message.headers };
      if (options.persistent ?? true) headers.persistent = "true";
      await publishWithReceipt(client, activeQueue(queue), message.body, headers);
    }
  } finally {
    await client.deactivate();
  }
}

export interface ActiveReceived {
  /** The body as UTF-8. */
  body: string;
  binaryBody: Uint8Array;
  /** The MESSAGE frame's headers (unescaped). */
  headers: Record<string, string>;
}

/**
 * Consumes and acknowledges every message of a queue, e.g. to read `DLQ.<queue>`: returns once no message
 * came for `quietMs` (default 300) after at least `min` (default 0) arrived, or after `timeoutMs` (10 s).
 */
export async function readAllActive(
  queue: string,
  options: ActiveMqOptions & { quietMs?: number; min?: number; timeoutMs?: number } = {},
): Promise<ActiveReceived[]> {
  const quietMs = options.quietMs ?? 300;
  const min = options.min ?? 0;
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const client = await connectStomp(options);
  const received: ActiveReceived[] = [];
  let last = Date.now();
  try {
    const subscription = client.subscribe(
      activeQueue(queue),
      (message: IMessage) => {
        received.push({
          body: message.body,
          binaryBody: message.binaryBody,
          headers: { ...message.headers },
        });
        message.ack();
        last = Date.now();
      },
      { ack: "client-individual" },
    );
    while (Date.now() < deadline && (received.length < min || Date.now() - last < quietMs)) await sleep(25);
    subscription.unsubscribe();
  } finally {
    await client.deactivate(); // DISCONNECT waits for its receipt: the ACKs before it are processed
  }
  return received;
}

/**
 * How many messages a queue holds (ready and delivered-but-unacknowledged), by browsing it over STOMP
 * (`browser:true`; the broker lets a browser see up to 10 000). Browsing a queue creates it when missing.
 */
export async function activeQueueDepth(queue: string, options: ActiveMqOptions = {}): Promise<number> {
  const client = await connectStomp(options);
  try {
    return await new Promise<number>((resolve, reject) => {
      let count = 0;
      const timer = setTimeout(() => reject(new Error(`browsing ${queue} did not end`)), 10_000);
      const subscription = client.subscribe(
        activeQueue(queue),
        (message) => {
          if (message.headers.browser === "end") {
            clearTimeout(timer);
            subscription.unsubscribe();
            resolve(count);
          } else {
            count++;
          }
        },
        { browser: "true" },
      );
    });
  } finally {
    await client.deactivate();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Private brokers (for restart tests)
// ---------------------------------------------------------------------------------------------------------

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SERVICES = path.resolve(HERE, "../services"); // config templates
const STATE = path.resolve(process.env.SLUICE_SERVICES_DIR ?? path.resolve(HERE, "../../.services"));
const RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"; // Debian rabbitmq-server
const ACTIVEMQ_HOME = "/usr/share/activemq"; // Debian activemq

/** A port that was free a moment ago (the broker binds it right after). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Processes of private brokers still running, killed (with their process group) if the test process exits. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) killGroup(child, "SIGKILL");
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // spawned detached: the child leads its own process group
  } catch {
    child.kill(signal);
  }
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** A broker process of our own: started detached (own process group), output appended to `log`. */
class BrokerProcess {
  private child: ChildProcess | undefined;

  constructor(
    private readonly what: string,
    private readonly command: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly dir: string,
    private readonly log: string,
    /** Resolves once the broker serves clients; rejects while it does not (yet). */
    private readonly ready: () => Promise<void>,
  ) {}

  async start(timeoutMs = 60_000): Promise<void> {
    const out = openSync(this.log, "a");
    const child = spawn(this.command, this.args, {
      cwd: this.dir,
      env: this.env,
      detached: true,
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    child.unref();
    this.child = child;
    running.add(child);
    child.once("exit", () => running.delete(child));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (exited(child)) throw new Error(`${this.what} exited during startup:\n${await this.tail()}`);
      try {
        await this.ready();
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          await this.stop();
          throw new Error(
            `${this.what} did not start within ${timeoutMs} ms (${error}):\n${await this.tail()}`,
          );
        }
      }
      await sleep(100);
    }
  }

  /** SIGTERM (a clean shutdown that keeps the data), SIGKILL to the whole group after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (!exited(child)) {
      child.kill("SIGTERM");
      if (!(await waitForExit(child, graceMs))) {
        killGroup(child, "SIGKILL");
        await waitForExit(child, 5_000);
      }
    }
    running.delete(child);
  }

  private async tail(): Promise<string> {
    const text = await readFile(this.log, "utf8").catch(() => "");
    return text.split("\n").slice(-30).join("\n");
  }
}

async function privateDir(name: string): Promise<string> {
  const dir = path.join(STATE, "private", name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Environment for a broker process: only what it needs, not the test's (AWS_* and the like). */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  for (const name of ["LANG", "LC_ALL", "TMPDIR"]) if (process.env[name]) env[name] = process.env[name];
  return env;
}

export interface PrivateBroker {
  /** Stops the broker cleanly and starts it again on the same ports with the same data. */
  restart(): Promise<void>;
  /** Stops the broker and deletes its data. */
  stop(): Promise<void>;
  /** Milliseconds the last start (or restart's start) took until the broker served clients. */
  startMs: number;
  /** The broker's directory (data, config, `server.log`). */
  dir: string;
}

/** Starts `broker` and gives `fields` PrivateBroker's restart, stop and timings over it. */
async function started<T extends object>(
  fields: T,
  broker: BrokerProcess,
  dir: string,
): Promise<T & PrivateBroker> {
  const handle: T & PrivateBroker = {
    ...fields,
    dir,
    startMs: 0,
    async restart() {
      await broker.stop();
      await timedStart();
    },
    async stop() {
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  const timedStart = async () => {
    const t0 = Date.now();
    await broker.start();
    handle.startMs = Date.now() - t0;
  };
  await timedStart();
  return handle;
}

export interface PrivateRabbit extends RabbitBroker, PrivateBroker {
  /** `amqp://127.0.0.1:<port>` (= amqp). */
  url: string;
  nodeName: string;
}

/**
 * Starts a RabbitMQ node of the test's own (name `sluice-rabbit-<id>@localhost`, free ports, data under
 * `.services/private/<name>`), guest/guest, vhost "/". Durable queues and persistent messages survive
 * `restart()`. With `management: true` it also runs the management plugin (`management` URL; ~1 s more).
 */
export async function startPrivateRabbit(options: { management?: boolean } = {}): Promise<PrivateRabbit> {
  const name = uniqueName("sluice-rabbit");
  const nodeName = `${name}@localhost`;
  const dir = await privateDir(name);
  const [port, distPort, managementPort] = [await freePort(), await freePort(), await freePort()];
  const template = await readFile(path.join(SERVICES, "rabbitmq/rabbitmq.conf"), "utf8");
  const config = template
    .split("\n")
    .filter((line) => options.management || !line.startsWith("management."))
    .join("\n")
    .replaceAll("@AMQP_PORT@", String(port))
    .replaceAll("@MANAGEMENT_PORT@", String(managementPort));
  await writeFile(path.join(dir, "rabbitmq.conf"), config);
  await writeFile(
    path.join(dir, "enabled_plugins"),
    options.management ? "[rabbitmq_management].\n" : "[].\n",
  );
  await writeFile(path.join(dir, "rabbitmq-env.conf"), ""); // not /etc/rabbitmq's (the system node's)
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    HOME: dir, // its own Erlang cookie
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: "127.0.0.1",
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    ERL_EPMD_ADDRESS: "127.0.0.1",
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: "-kernel inet_dist_use_interface {127,0,0,1}",
    RABBITMQ_CONF_ENV_FILE: path.join(dir, "rabbitmq-env.conf"),
    RABBITMQ_CONFIG_FILE: path.join(dir, "rabbitmq.conf"),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, "advanced.config"),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, "enabled_plugins"),
    RABBITMQ_MNESIA_BASE: path.join(dir, "mnesia"),
    RABBITMQ_LOG_BASE: path.join(dir, "log"),
    RABBITMQ_PID_FILE: path.join(dir, "beam.pid"),
  };
  const amqp = `amqp://127.0.0.1:${port}`;
  const ready = async () => {
    const connection = await connect(`amqp://guest:guest@127.0.0.1:${port}`, {
      noDelay: true,
      timeout: 2_000,
    });
    await connection.close();
  };
  const broker = new BrokerProcess(
    `RabbitMQ ${nodeName}`,
    RABBITMQ_SERVER,
    [],
    env,
    dir,
    path.join(dir, "server.log"),
    ready,
  );
  const handle: Omit<PrivateRabbit, keyof PrivateBroker> = {
    amqp,
    url: amqp,
    host: "127.0.0.1",
    port,
    ...(options.management ? { management: `http://127.0.0.1:${managementPort}` } : {}),
    username: "guest",
    password: "guest",
    nodeName,
  };
  return started(handle, broker, dir);
}

export interface PrivateActiveMq extends ActiveMqBroker, PrivateBroker {
  /** `stomp://127.0.0.1:<port>` */
  stompUrl: string;
  /** OpenWire: `tcp://127.0.0.1:<openwirePort>` */
  openwireUrl: string;
  openwirePort: number;
}

/** One STOMP CONNECT with the credentials: resolves on CONNECTED, rejects otherwise. */
function stompAnswers(broker: ActiveMqBroker): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(broker.port, broker.host);
    let reply = "";
    const fail = (why: unknown) => {
      socket.destroy();
      reject(why instanceof Error ? why : new Error(String(why)));
    };
    socket.setTimeout(2_000, () => fail("no answer"));
    socket.once("error", fail);
    socket.once("connect", () => {
      socket.write(
        `CONNECT\naccept-version:1.2\nhost:localhost\nlogin:${broker.username}\npasscode:${broker.password}\n\n\0`,
      );
    });
    socket.on("data", (data) => {
      reply += data.toString("utf8");
      if (!reply.includes("\0")) return;
      if (!reply.startsWith("CONNECTED")) return fail(reply.split("\0")[0]);
      socket.end("DISCONNECT\n\n\0");
      resolve();
    });
  });
}

/**
 * Starts an ActiveMQ broker of the test's own (test/services/activemq/activemq.xml: user sluice, DLQ.<queue>,
 * KahaDB under `.services/private/<name>`, free OpenWire and STOMP ports). Persistent messages survive
 * `restart()`.
 */
export async function startPrivateActiveMq(): Promise<PrivateActiveMq> {
  const name = uniqueName("sluice-activemq");
  const dir = await privateDir(name);
  await mkdir(path.join(dir, "conf"));
  await mkdir(path.join(dir, "data"));
  for (const file of ["activemq.xml", "log4j.properties"]) {
    await copyFile(path.join(SERVICES, "activemq", file), path.join(dir, "conf", file));
  }
  const [port, openwirePort] = [await freePort(), await freePort()];
  const args = [
    "-Xms64m",
    "-Xmx256m",
    "-Djava.awt.headless=true",
    `-Dactivemq.home=${ACTIVEMQ_HOME}`,
    `-Dactivemq.base=${dir}`,
    `-Dactivemq.conf=${path.join(dir, "conf")}`,
    `-Dactivemq.data=${path.join(dir, "data")}`,
    `-Dsluice.openwire.port=${openwirePort}`,
    `-Dsluice.stomp.port=${port}`,
    "-jar",
    path.join(ACTIVEMQ_HOME, "bin/activemq.jar"),
    "start",
    `xbean:file:${path.join(dir, "conf/activemq.xml")}`,
  ];
  const target: ActiveMqBroker = {
    host: "127.0.0.1",
    port,
    username: brokers.activemq.username,
    password: brokers.activemq.password,
  };
  const broker = new BrokerProcess(
    `ActiveMQ ${name}`,
    "java",
    args,
    baseEnv(),
    dir,
    path.join(dir, "server.log"),
    () => stompAnswers(target),
  );
  const handle: Omit<PrivateActiveMq, keyof PrivateBroker> = {
    ...target,
    stompUrl: `stomp://127.0.0.1:${port}`,
    openwireUrl: `tcp://127.0.0.1:${openwirePort}`,
    openwirePort,
  };
  return started(handle, broker, dir);
}
