/** Sluice under test: in-process (fast, for the API matrix) or as the real `sluice serve` process. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { parseConfig } from "../../src/config/config.js";
import { createSluice, type Sluice } from "../../src/sluice.js";
import { awsEnv, credentials, region } from "../services/endpoints.js";

/** The functions every test config declares. */
export const TEST_FUNCTIONS = {
  orders: { handler: "./functions/orders.handler" },
  audit: { url: "http://127.0.0.1:9/invoke" },
  billing: { arn: "arn:aws:lambda:eu-west-1:123456789012:function:billing" },
};

export function tempDir(prefix = "sluice-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface InProcessSluice {
  sluice: Sluice;
  endpoint: string;
  lambda: LambdaClient;
  dataDir: string;
  close(): Promise<void>;
}

export async function startInProcess(
  dataDir = tempDir(),
  functions: Record<string, unknown> = TEST_FUNCTIONS,
  /** More of the config file: `brokers`, `secrets`. */
  more: Record<string, unknown> = {},
): Promise<InProcessSluice> {
  const config = parseConfig({ functions, ...more }, process.cwd());
  const sluice = createSluice({ config, dataDir });
  const endpoint = await sluice.listen("127.0.0.1", 0);
  const lambda = lambdaClient(endpoint);
  return {
    sluice,
    endpoint,
    lambda,
    dataDir,
    async close() {
      lambda.destroy();
      await sluice.close();
    },
  };
}

export function lambdaClient(endpoint: string): LambdaClient {
  return new LambdaClient({ endpoint, region, credentials, maxAttempts: 1 });
}

const MAIN = resolve(import.meta.dirname, "../../dist/cli/main.js");

export interface SluiceProcess {
  child: ChildProcess;
  endpoint: string;
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** Runs the built `sluice serve` as a user would, and waits until /healthz answers. */
export async function startProcess(options: {
  dataDir: string;
  port: number;
  /** The functions its config file declares (TEST_FUNCTIONS by default). */
  functions?: Record<string, unknown>;
  /** More of the config file: `brokers`, `secrets`. */
  more?: Record<string, unknown>;
  env?: Record<string, string>;
}): Promise<SluiceProcess> {
  const configFile = writeConfig(options.dataDir, {
    functions: options.functions ?? TEST_FUNCTIONS,
    ...options.more,
  });
  const child = spawn(
    process.execPath,
    [MAIN, "serve", "--config", configFile, "--port", String(options.port), "--data-dir", options.dataDir],
    {
      env: { ...process.env, ...awsEnv, SLUICE_LOG_LEVEL: "info", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const endpoint = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sluice exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${endpoint}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`sluice did not answer /healthz within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, endpoint, output: () => output, exited };
}

function writeConfig(dir: string, config: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "sluice.json");
  writeFileSync(file, JSON.stringify(config));
  return file;
}

/**
 * Interrupts a flow as the crash tests do: once cleanly (SIGTERM, which must exit 0) once `seen` passes
 * `first`, then `kills` times with kill -9, each after `step` more; resolves with a process started afresh.
 */
export async function stopAndKill(
  running: SluiceProcess,
  start: () => Promise<SluiceProcess>,
  seenMoreThan: (n: number) => Promise<unknown>,
  { first, step, kills }: { first: number; step: number; kills: number },
): Promise<SluiceProcess> {
  await seenMoreThan(first);
  running.child.kill("SIGTERM");
  if ((await running.exited) !== 0) throw new Error(`sluice did not exit 0 on SIGTERM:\n${running.output()}`);
  for (let round = 1; round <= kills; round++) {
    const sluice = await start();
    await seenMoreThan(first + round * step);
    sluice.child.kill("SIGKILL");
    await sluice.exited;
  }
  return start();
}

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export { freePort } from "../../src/dev/child-process.js";
