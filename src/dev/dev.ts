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
const ENDPOINT_VARIABLES: Readonly<Record<string, string>> = {
  sqs: "AWS_ENDPOINT_URL_SQS",
  sns: "AWS_ENDPOINT_URL_SNS",
  s3: "AWS_ENDPOINT_URL_S3",
  kinesis: "AWS_ENDPOINT_URL_KINESIS",
  dynamodb: "AWS_ENDPOINT_URL_DYNAMODB",
  dynamodbstreams: "AWS_ENDPOINT_URL_DYNAMODB_STREAMS",
};

/** Starts everything; resolves with a stop function once the gateway answers. */
export async function startDev(
  options: DevOptions,
  print: (line: string) => void,
): Promise<() => Promise<void>> {
  const dataDir = options.persist ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), "sluice-dev-"));
  mkdirSync(dataDir, { recursive: true });
  const emulators = await startEmulators({
    stateDir: options.persist ? join(dataDir, "emulators") : undefined,
    cacheDir: join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "sluice"),
  });
  const apiPort = await freePort();
  const gateway = await startGateway({
    host: options.host,
    port: options.port,
    upstreams: { ...emulators.upstreams, lambda: `http://127.0.0.1:${apiPort}` },
  });
  // Sluice's own AWS clients go through the endpoint too: queue URLs name it, since queues are made through it.
  for (const service of Object.keys(emulators.upstreams)) {
    const variable = ENDPOINT_VARIABLES[service];
    if (variable) process.env[variable] = gateway.origin;
  }
  process.env.AWS_REGION ??= options.config.region;
  const sources = new Map<string, Promise<string>>();
  let printing = Promise.resolve();
  const sluice = createSluice({
    config: options.config,
    dataDir,
    reloadHandlers: true,
    onInvocation: (invocation) => {
      const at = new Date();
      let source = sources.get(invocation.uuid);
      if (!source) {
        source = sluice.service.get(invocation.uuid).then(sourceName, () => invocation.uuid);
        sources.set(invocation.uuid, source);
      }
      // Lines keep the order of the invocations, whichever mapping's name is looked up first.
      const named = source;
      printing = printing.then(async () => print(invocationLine(invocation, await named, at)));
    },
  });
  await sluice.listen("127.0.0.1", apiPort);
  print(`Sluice dev is listening on ${gateway.origin}`);
  print(`  export AWS_ENDPOINT_URL=${gateway.origin}`);
  print(`  serves: ${["lambda (event source mappings)", ...Object.keys(emulators.upstreams)].join(", ")}`);
  for (const notice of emulators.notices) print(`  note: ${notice}`);
  if (!options.persist)
    print("  state: none kept (--persist keeps mappings, checkpoints, Kinesis and DynamoDB data)");
  if (options.example) await runExample(gateway.origin, options.config, print);
  return async () => {
    await gateway.close();
    await sluice.close();
    await emulators.stop();
    if (!options.persist) rmSync(dataDir, { recursive: true, force: true });
  };
}
