/** `sluice serve` as a user starts it: flags and their environment twins, and refusals at start. */
import { execFile, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { eventually, freePort, tempDir } from "../helpers/sluice.js";

const run = promisify(execFile);
const MAIN = resolve(import.meta.dirname, "../../dist/cli/main.js");

async function refusal(args: string[], env: Record<string, string> = {}) {
  try {
    await run(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, timeout: 10_000 });
  } catch (err) {
    return err as { code: number; stderr: string };
  }
  throw new Error("expected sluice to refuse to start");
}

describe("sluice serve", () => {
  it("refuses a bad config file at start, naming the key", async () => {
    const file = join(tempDir(), "sluice.yaml");
    writeFileSync(file, "functions:\n  orders:\n    handler: ./orders.handler\n    timeout: fast\n");
    const { code, stderr } = await refusal(["serve", "--config", file, "--port", "0"]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      `sluice: invalid config: ${file}: functions.orders.timeout: Invalid input: expected number, received string`,
    );
  });

  it("refuses a PostgreSQL store it cannot offer yet", async () => {
    const { code, stderr } = await refusal(["serve", "--port", "0"], {
      SLUICE_DATABASE_URL: "postgres://localhost/sluice",
    });
    expect(code).toBe(2);
    expect(stderr).toContain("the PostgreSQL store is not built yet");
  });

  it("refuses a bad port", async () => {
    const { stderr } = await refusal(["serve", "--port", "70000"]);
    expect(stderr).toContain("must be a port number");
  });

  it("takes its settings from SLUICE_* environment variables, and exits 0 on SIGINT", async () => {
    const dir = tempDir();
    const port = await freePort();
    const configFile = join(dir, "conf.json");
    writeFileSync(configFile, JSON.stringify({ functions: { orders: { url: "http://127.0.0.1:9/x" } } }));
    const child = spawn(process.execPath, [MAIN, "serve"], {
      env: {
        ...process.env,
        SLUICE_PORT: String(port),
        SLUICE_DATA_DIR: join(dir, "data"),
        SLUICE_CONFIG: configFile,
      },
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((done) => child.once("exit", done));
    const health = await eventually(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return response?.status;
    });
    expect(health).toBe(200);
    expect(existsSync(join(dir, "data", "sluice.db"))).toBe(true);
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });
});
