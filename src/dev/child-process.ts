/**
 * An emulator `sluice dev` runs as a child process: started, waited for until it answers HTTP, and stopped with
 * SIGTERM (SIGKILL after a grace period), so Ctrl-C leaves nothing behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** How long an emulator may take to answer (DynamoDB Local's JVM is the slowest, a few seconds). */
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

export interface Child {
  readonly name: string;
  readonly origin: string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Spawns `command` and resolves once `origin` answers any HTTP request. */
export async function startChild(
  name: string,
  origin: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Child> {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // A command that cannot be spawned emits "error" and never "exit".
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (err) => {
      output += `\n${err.message}`;
      resolve();
    });
  });
  const stop = () => stopChild(child, exited);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
      throw new Error(`${name} exited before it answered:\n${output}`);
    try {
      await fetch(origin, { signal: AbortSignal.timeout(1_000) });
      return { name, origin, stop };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not answer at ${origin} within ${READY_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await sleep(100);
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}
