/**
 * The AWS emulators `sluice dev` runs, each a child process on a free loopback port: fauxqs (SQS, SNS, S3),
 * kinesis-local (Kinesis) and, when Java is installed, DynamoDB Local (DynamoDB and DynamoDB Streams). With a
 * state directory, Kinesis and DynamoDB keep their data there across restarts (fauxqs keeps none).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Child, freePort, startChild } from "./child-process.js";
import { dynamodbLocalDir } from "./dynamodb-local.js";

export interface Emulators {
  /** AWS service name (as SigV4 scopes name it) -> the emulator's origin. */
  readonly upstreams: Readonly<Record<string, string>>;
  /** One line each for what could not be started, and why. */
  readonly notices: readonly string[];
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** Where Kinesis and DynamoDB keep their data; undefined: in memory, gone at exit. */
  stateDir: string | undefined;
  /** Where DynamoDB Local's jar is cached between runs. */
  cacheDir: string;
}

const here = dirname(fileURLToPath(import.meta.url));

export async function startEmulators(options: EmulatorOptions): Promise<Emulators> {
  const notices: string[] = [];
  const started = await Promise.allSettled([
    startFauxqs(),
    startKinesis(options.stateDir),
    startDynamodb(options, notices),
  ]);
  const children = started.flatMap((s) => (s.status === "fulfilled" && s.value ? [s.value] : []));
  const stop = async () => {
    await Promise.all(children.map((c) => c.stop()));
  };
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const origin = (name: string) => children.find((c) => c.name === name)?.origin;
  const upstreams: Record<string, string> = {};
  for (const [service, emulator] of Object.entries(SERVED_BY)) {
    const found = origin(emulator);
    if (found) upstreams[service] = found;
  }
  return { upstreams, notices, stop };
}

/** Which emulator serves each AWS service. */
const SERVED_BY: Readonly<Record<string, string>> = {
  sqs: "fauxqs",
  sns: "fauxqs",
  s3: "fauxqs",
  kinesis: "kinesis-local",
  dynamodb: "DynamoDB Local",
  dynamodbstreams: "DynamoDB Local",
};

async function startFauxqs(): Promise<Child> {
  const port = await freePort();
  return startChild("fauxqs", `http://127.0.0.1:${port}`, process.execPath, [join(here, "fauxqs-main.js")], {
    PORT: String(port),
  });
}

async function startKinesis(stateDir: string | undefined): Promise<Child> {
  const [port, tlsPort] = await Promise.all([freePort(), freePort()]);
  const { main, env } = kinesisLocalLaunch(port, tlsPort);
  return startChild(
    "kinesis-local",
    `http://127.0.0.1:${port}`,
    process.execPath,
    ["--import", pathToFileURL(join(here, "bind-localhost.js")).href, main],
    {
      ...env,
      ...(stateDir
        ? {
            SHOULD_PERSIST_DATA: "true",
            LOAD_DATA_IF_EXISTS: "true",
            PERSIST_PATH: join(stateDir, "kinesis"),
            PERSIST_INTERVAL: "1s",
          }
        : {}),
    },
  );
}

/** kinesis-local's entry point, and its settings to serve plain HTTP on `port` (TLS on `tlsPort`). */
export function kinesisLocalLaunch(port: number, tlsPort: number): { main: string; env: NodeJS.ProcessEnv } {
  const main = createRequire(import.meta.url).resolve("kinesis-local");
  return {
    main,
    env: {
      KINESIS_MOCK_PLAIN_PORT: String(port),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      KINESIS_MOCK_CERT_PATH: join(dirname(main), "server.json"),
      // A stream turns ACTIVE in 50 ms rather than 500, so `--example`, tests and benchmarks do not wait on it.
      CREATE_STREAM_DURATION: "50ms",
    },
  };
}

async function startDynamodb(options: EmulatorOptions, notices: string[]): Promise<Child | undefined> {
  if (spawnSync("java", ["-version"]).status !== 0) {
    notices.push(
      "DynamoDB and DynamoDB Streams are not served: DynamoDB Local needs Java (java is not on PATH).",
    );
    return undefined;
  }
  const dir = await dynamodbLocalDir(options.cacheDir);
  const port = await freePort();
  const storage = options.stateDir ? ["-dbPath", made(join(options.stateDir, "dynamodb"))] : ["-inMemory"];
  // DynamoDB Local has no bind-address option: it listens on every interface.
  return startChild("DynamoDB Local", `http://127.0.0.1:${port}`, "java", [
    `-Djava.library.path=${join(dir, "DynamoDBLocal_lib")}`,
    "-jar",
    join(dir, "DynamoDBLocal.jar"),
    ...storage,
    // One database whatever the caller's credentials or region, as Sluice and the user's tools sign differently.
    "-sharedDb",
    "-disableTelemetry",
    "-port",
    String(port),
  ]);
}

function made(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
