#!/usr/bin/env node
/** The `sluice` command. */
import { existsSync } from "node:fs";
import { Command, InvalidArgumentError, Option } from "commander";
import { ConfigError, loadConfig, type SluiceConfig } from "../config/config.js";
import { startDev } from "../dev/dev.js";
import { exampleFunctions } from "../dev/example.js";
import { createSluice } from "../sluice.js";
import { FILTERABLE_SOURCES, type FilterTestOptions, filterTest } from "./filter-test.js";

// Sluice runs on Node 20 with the SDK versions its lockfile pins; the SDK's notice about future releases
// needing Node 22 says nothing actionable to a Sluice user.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const DEFAULT_CONFIG = "./sluice.yaml";
/** How long SIGTERM/SIGINT waits for in-flight work before exiting anyway. */
const SHUTDOWN_GRACE_MS = 30_000;

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("must be a port number (0-65535)");
  return n;
}

const configFileOf = (given: string | undefined) =>
  given ?? (existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : undefined);

/** The config file's settings; a bad file stops the command with its error. */
function configOrExit(file: string | undefined): SluiceConfig {
  try {
    return loadConfig(configFileOf(file));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`sluice: invalid config: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}

const program = new Command()
  .name("sluice")
  .description("Self-hosted AWS Lambda event source mappings")
  .showHelpAfterError();

program
  .command("serve")
  .description("run the Lambda event-source-mapping API and the engine")
  .addOption(
    new Option("-c, --config <file>", `config file (default: ${DEFAULT_CONFIG} when present)`).env(
      "SLUICE_CONFIG",
    ),
  )
  .addOption(new Option("--host <host>", "address to listen on").env("SLUICE_HOST").default("127.0.0.1"))
  .addOption(
    new Option("-p, --port <port>", "port to listen on").env("SLUICE_PORT").default(9001).argParser(port),
  )
  .addOption(
    new Option("--data-dir <dir>", "where the embedded store lives")
      .env("SLUICE_DATA_DIR")
      .default("./.sluice"),
  )
  .action(async (opts: { config?: string; host: string; port: number; dataDir: string }) => {
    if (process.env.SLUICE_DATABASE_URL) {
      console.error(
        "sluice: SLUICE_DATABASE_URL is set, but the PostgreSQL store is not built yet; unset it to use the embedded SQLite store in --data-dir",
      );
      process.exit(2);
    }
    const configFile = configFileOf(opts.config);
    const config = configOrExit(configFile);
    const sluice = createSluice({ config, dataDir: opts.dataDir });
    const address = await sluice.listen(opts.host, opts.port);
    sluice.api.log.info(
      { address, config: configFile ?? "(none)", functions: Object.keys(config.functions) },
      `Sluice is listening on ${address}`,
    );

    const shutdown = (signal: string) => {
      sluice.api.log.info(`${signal} received, shutting down`);
      const timer = setTimeout(() => {
        sluice.api.log.error("shutdown grace period over; exiting");
        process.exit(1);
      }, SHUTDOWN_GRACE_MS);
      timer.unref();
      void sluice.close().then(() => process.exit(0));
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });

program
  .command("dev")
  .description(
    "run Sluice with local SQS, SNS, S3, Kinesis and DynamoDB emulators behind one AWS endpoint (no Docker)",
  )
  .addOption(
    new Option("-c, --config <file>", `config file (default: ${DEFAULT_CONFIG} when present)`).env(
      "SLUICE_CONFIG",
    ),
  )
  .addOption(new Option("--host <host>", "address the endpoint listens on").default("127.0.0.1"))
  .addOption(new Option("-p, --port <port>", "the endpoint's port").default(4566).argParser(port))
  .addOption(
    new Option("--data-dir <dir>", "where --persist keeps state")
      .env("SLUICE_DEV_DATA_DIR")
      .default("./.sluice-dev"),
  )
  .option("--persist", "keep mappings, checkpoints, Kinesis and DynamoDB data across restarts", false)
  .option(
    "--example",
    "create a queue, a stream and a table, map them to examples/functions, send records",
    false,
  )
  .action(
    async (opts: {
      config?: string;
      host: string;
      port: number;
      dataDir: string;
      persist: boolean;
      example: boolean;
    }) => {
      const config = configOrExit(opts.config);
      if (opts.example) Object.assign(config.functions, exampleFunctions());
      const print = (line: string) => console.log(line);
      // Ctrl-C during the start (a first DynamoDB Local download takes a while) stops what has started so far.
      let signalled = false;
      let stopping: Promise<void> | undefined;
      let stop: (() => Promise<void>) | undefined;
      const shutdown = () => {
        // A second Ctrl-C while starting gives up at once.
        if (signalled && !stop) process.exit(130);
        signalled = true;
        if (!stop || stopping) return;
        print("sluice dev: stopping");
        const timer = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
        timer.unref();
        stopping = stop().finally(() => process.exit(0));
      };
      process.on("SIGINT", shutdown);
      process.on("SIGTERM", shutdown);
      try {
        stop = await startDev({ ...opts, config }, print);
      } catch (err) {
        console.error(`sluice dev: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      }
      if (signalled) shutdown();
    },
  );

const filter = program.command("filter").description("work with event filter patterns");
filter
  .command("test")
  .description("print true or false for each event, as a mapping's filter would decide")
  .requiredOption("--pattern <json>", "the filter pattern (FilterCriteria.Filters[].Pattern)")
  .option("--event <json>", "one event")
  .option("--events <file>", "events, one JSON document a line (- for stdin)")
  .addOption(
    new Option(
      "--source <kind>",
      "decode events as this source's records first (SQS body, Kinesis data, ...)",
    ).choices(FILTERABLE_SOURCES),
  )
  .action(async (opts: FilterTestOptions) => {
    process.exitCode = await filterTest(opts);
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`sluice: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
