// Endpoints of the local emulators started by test/services/up.
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { NodeHttpHandler } from "@smithy/node-http-handler";

export const services = {
  sqs: "http://127.0.0.1:4576", // fauxqs
  sns: "http://127.0.0.1:4576", // fauxqs
  s3: "http://127.0.0.1:4576", // fauxqs
  kinesis: "http://127.0.0.1:4567", // kinesis-local
  dynamodb: "http://127.0.0.1:8000", // DynamoDB Local
  dynamodbStreams: "http://127.0.0.1:8000", // DynamoDB Local
  awsCli: "/usr/bin/aws", // AWS CLI v2 (Debian awscli)
} as const;

export type AwsService = Exclude<keyof typeof services, "awsCli">;

export const region = "us-east-1";
export const credentials = { accessKeyId: "test", secretAccessKey: "test" } as const;
/** Account id in the ARNs fauxqs and kinesis-local return. */
export const accountId = "000000000000";

export interface AwsClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/** Config for an AWS SDK v3 client, e.g. `new SQSClient(awsClientConfig("sqs"))`. */
export function awsClientConfig(service: "kinesis"): AwsClientConfig & { requestHandler: NodeHttpHandler };
export function awsClientConfig(service: "s3"): AwsClientConfig & { forcePathStyle: true };
export function awsClientConfig(service: AwsService): AwsClientConfig;
export function awsClientConfig(
  service: AwsService,
): AwsClientConfig & { requestHandler?: NodeHttpHandler; forcePathStyle?: boolean } {
  const config: AwsClientConfig = { endpoint: services[service], region, credentials: { ...credentials } };
  if (service === "kinesis") return { ...config, requestHandler: new NodeHttpHandler() };
  if (service === "s3") return { ...config, forcePathStyle: true };
  return config;
}

/** Environment that points an AWS SDK v3 process (e.g. the server under test) at the emulators. */
export const awsEnv = {
  AWS_ENDPOINT_URL_SQS: services.sqs,
  AWS_ENDPOINT_URL_SNS: services.sns,
  AWS_ENDPOINT_URL_S3: services.s3,
  AWS_ENDPOINT_URL_KINESIS: services.kinesis,
  AWS_ENDPOINT_URL_DYNAMODB: services.dynamodb,
  AWS_ENDPOINT_URL_DYNAMODB_STREAMS: services.dynamodbStreams,
  AWS_REGION: region,
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
} as const;

/**
 * The message brokers test/services/up starts. RabbitMQ is Sluice's own node (not the system one on
 * 5672); guest/guest works from 127.0.0.1 only. ActiveMQ 5.17 (Debian's jars) speaks STOMP and OpenWire;
 * a queue's dead letters go to `DLQ.<queue>`.
 */
export const brokers = {
  rabbitmq: {
    amqp: "amqp://127.0.0.1:5673",
    host: "127.0.0.1",
    port: 5673,
    management: "http://127.0.0.1:15673",
    username: "guest",
    password: "guest",
    node: "sluice-rabbit@localhost",
  },
  activemq: {
    stomp: "stomp://127.0.0.1:61613",
    openwire: "tcp://127.0.0.1:61616",
    host: "127.0.0.1",
    port: 61613,
    username: "sluice",
    password: "sluice-secret",
    /** Where a queue's dead letters go. */
    dlqPrefix: "DLQ.",
  },
} as const;

/** Where test/services/up keeps its state: `SLUICE_SERVICES_DIR` when set and not empty, as up reads it (relative to the cwd), or `<repo>/.services`. */
const servicesDir = () =>
  path.resolve(process.env.SLUICE_SERVICES_DIR || path.resolve(import.meta.dirname, "../../.services"));

/**
 * The bootstrap servers (`host:port`) of the Kafka mock cluster that test/services/up starts (librdkafka's,
 * run by kcat: 3 brokers, topics auto-created with 4 partitions, CreateTopics fails). Its ports change at
 * every start, so they are read from `.services/kafka.bootstrap` at each call.
 */
export function kafkaBootstrap(): string[] {
  const file = path.join(servicesDir(), "kafka.bootstrap");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new Error(`Kafka mock not started: ${file} is missing (run test/services/up)`);
  }
  const servers = text.trim().split(",").filter(Boolean);
  if (servers.length === 0)
    throw new Error(`${file} is empty (run test/services/down, then test/services/up)`);
  return servers;
}

/**
 * The pid test/services/up recorded for a service it started (`kafka`, `rabbitmq`, `activemq`, ...), if that
 * process still runs: undefined when there is no pid file, or when the pid now belongs to a process started after
 * the file was written (the service ended and its pid was reused). Linux only (it reads /proc).
 */
export function servicePid(service: string): number | undefined {
  const file = path.join(servicesDir(), `${service}.pid`);
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After the command (in parentheses, may hold spaces), starttime is the 20th field: ticks since boot, 100 a second.
    const startTicks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    const startedMs = (bootSeconds + startTicks / 100) * 1000;
    // up writes the file once the process runs: a process that started later is another one. A second of slack
    // covers btime's rounding.
    return startedMs <= statSync(file).mtimeMs + 1000 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** DynamoDB Local's jar as test/services/up fetched it: `sluice dev` under test uses it instead of fetching its own. */
export const dynamodbLocalDir = () => path.join(servicesDir(), "dynamodb-local");
