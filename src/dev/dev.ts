/**
 * `sluice dev`: the local environment in one command. The emulators run as child processes, Sluice in this
 * process, and one gateway in front of them all, so that `AWS_ENDPOINT_URL=<gateway>` serves the AWS CLI and
 * SDKs: each request goes to the emulator of its service, the Lambda event-source-mapping API to Sluice. Every
 * invocation is logged on one line; handler modules reload when their file changes. Without `--persist`
 * everything starts clean and is gone at exit.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { SluiceConfig } from "../config/config.js";
import type { InvocationObserver } from "../runtime/mapping-invoker.js";
import { createSluice } from "../sluice.js";
import { freePort } from "./child-process.js";
import { startEmulators } from "./emulators.js";
import { runExample } from "./example.js";
import { startGateway } from "./gateway.js";
import { invocationLine, sourceName } from "./invocation-log.js";

export interface DevOptions {
  config: SluiceConfig;
  host: string;
  port: number;
  /** Where mappings, checkpoints and emulator data are kept with `persist`. */
  dataDir: string;
  persist: boolean;
  example: boolean;
}

/** The SDK endpoint variables Sluice's own clients read, one per service it calls. */
const ENDPOINT_VARIABLES = [
  "AWS_ENDPOINT_URL_SQS",
  "AWS_ENDPOINT_URL_SNS",
  "AWS_ENDPOINT_URL_S3",
  "AWS_ENDPOINT_URL_KINESIS",
  "AWS_ENDPOINT_URL_DYNAMODB",
  "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
];

/** Starts everything; resolves with a stop function once the gateway answers. */
export async function startDev(
  options: DevOptions,
  print: (line: string) => void,
): Promise<() => Promise<void>> {
  const dataDir = options.persist ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), "sluice-dev-"));
  mkdirSync(dataDir, { recursive: true });
  /** What has started so far, stopped in reverse order: at Ctrl-C, or when a later step of the start fails. */
  const started: (() => Promise<void>)[] = [
    async () => {
      if (!options.persist) rmSync(dataDir, { recursive: true, force: true });
    },
  ];
  const stop = async () => {
    for (const step of started.reverse()) await step().catch(() => {});
  };
  try {
    const emulators = await startEmulators({
      stateDir: options.persist ? join(dataDir, "emulators") : undefined,
      cacheDir: join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "sluice"),
    });
    started.push(() => emulators.stop());
    const apiPort = await freePort();
    const gateway = await startGateway({
      host: options.host,
      port: options.port,
      upstreams: { ...emulators.upstreams, lambda: `http://127.0.0.1:${apiPort}` },
    }).catch((err: NodeJS.ErrnoException) => {
      throw err.code === "EADDRINUSE"
        ? new Error(
            `port ${options.port} is in use (another sluice dev or LocalStack?); choose another with --port`,
          )
        : err;
    });
    started.push(() => gateway.close());
    // Sluice's own AWS clients go through the endpoint too (queue URLs name it, since queues are made through
    // it), for every service: one without an emulator gets the endpoint's error, never real AWS.
    for (const variable of ENDPOINT_VARIABLES) process.env[variable] = gateway.origin;
    process.env.AWS_REGION ??= options.config.region;
    const sluice = createSluice({
      config: options.config,
      dataDir,
      reloadHandlers: true,
      onInvocation: invocationPrinter((uuid) => sluice.service.get(uuid), print),
    });
    // Sluice stops before the endpoint its clients use, so its last deletes and acks still get through.
    started.push(() => sluice.close());
    await sluice.listen("127.0.0.1", apiPort);
    print(`Sluice dev is listening on ${gateway.origin}`);
    print(`  export AWS_ENDPOINT_URL=${gateway.origin}`);
    print(`  serves: ${["lambda (event source mappings)", ...Object.keys(emulators.upstreams)].join(", ")}`);
    for (const notice of emulators.notices) print(`  note: ${notice}`);
    if (!options.persist)
      print("  state: none kept (--persist keeps mappings, checkpoints, Kinesis and DynamoDB data)");
    if (options.example)
      await runExample(gateway.origin, options.config, Object.keys(emulators.upstreams), print);
  } catch (err) {
    await stop();
    throw err;
  }
  return stop;
}

/**
 * Prints each invocation's line as it ends, in the order they end, once its mapping's source is known (looked
 * up once per mapping).
 */
function invocationPrinter(
  mappingOf: (uuid: string) => Promise<Record<string, unknown>>,
  print: (line: string) => void,
): InvocationObserver {
  const sources = new Map<string, Promise<string>>();
  let printing = Promise.resolve();
  return (invocation) => {
    const at = new Date();
    let source = sources.get(invocation.uuid);
    if (!source) {
      source = mappingOf(invocation.uuid).then(sourceName, () => invocation.uuid);
      sources.set(invocation.uuid, source);
    }
    const named = source;
    printing = printing.then(async () => print(invocationLine(invocation, await named, at)));
  };
}
