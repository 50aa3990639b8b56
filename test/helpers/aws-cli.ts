/** The real AWS CLI v2 (`/usr/bin/aws lambda ...`) pointed at a Sluice endpoint, with a home of its own. */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { region, services } from "../services/endpoints.js";
import { tempDir } from "./sluice.js";

const run = promisify(execFile);
const CLI_TIMEOUT_MS = 30_000;

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface AwsCli {
  /** Runs `aws lambda <args>` against the endpoint; `stockModel` leaves out the model extras. */
  run(args: readonly string[], options?: { stockModel?: boolean }): Promise<CliResult>;
  /** Runs a command that must succeed; its JSON output, or {} when it prints nothing. */
  json(args: readonly string[], options?: { stockModel?: boolean }): Promise<Record<string, unknown>>;
}

/**
 * `modelExtras` is merged by botocore into the CLI's Lambda model (a `service-2.sdk-extras.json` on
 * AWS_DATA_PATH): how the test image's 2023 CLI learns members added to Lambda since.
 */
export function awsCli(endpoint: string, modelExtras?: unknown): AwsCli {
  const home = tempDir("sluice-cli-home-");
  if (modelExtras !== undefined) {
    const modelDir = join(home, "models", "lambda", "2015-03-31");
    mkdirSync(modelDir, { recursive: true });
    writeFileSync(join(modelDir, "service-2.sdk-extras.json"), JSON.stringify(modelExtras));
  }
  const env = (stockModel: boolean): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    // A HOME and config files of its own: no ~/.aws/config setting (cli_timestamp_format, ...) leaks in.
    HOME: home,
    AWS_CONFIG_FILE: join(home, "config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "credentials"),
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: region,
    AWS_PAGER: "",
    AWS_EC2_METADATA_DISABLED: "true",
    ...(modelExtras !== undefined && !stockModel ? { AWS_DATA_PATH: join(home, "models") } : {}),
  });
  const cli: AwsCli = {
    async run(args, { stockModel = false } = {}) {
      const argv = ["lambda", ...args, "--endpoint-url", endpoint, "--output", "json"];
      try {
        const { stdout, stderr } = await run(services.awsCli, argv, {
          env: env(stockModel),
          timeout: CLI_TIMEOUT_MS,
        });
        return { exitCode: 0, stdout, stderr };
      } catch (err) {
        const failure = err as { code?: unknown; stdout?: string; stderr?: string };
        if (typeof failure.code !== "number") throw err; // killed by the timeout, or not started at all
        return { exitCode: failure.code, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
      }
    },
    async json(args, options) {
      const result = await cli.run(args, options);
      if (result.exitCode !== 0)
        throw new Error(`aws lambda ${args.join(" ")} exited with ${result.exitCode}:\n${result.stderr}`);
      return result.stdout.trim() === "" ? {} : (JSON.parse(result.stdout) as Record<string, unknown>);
    },
  };
  return cli;
}
