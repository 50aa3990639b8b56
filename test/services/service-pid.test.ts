import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { servicePid } from "./endpoints.js";

describe("servicePid: the pid test/services/up recorded, if it is still that process", () => {
  let dir: string;
  let child: ChildProcess;
  const saved = process.env.SLUICE_SERVICES_DIR;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-services-"));
    process.env.SLUICE_SERVICES_DIR = dir;
    child = spawn("sleep", ["30"], { stdio: "ignore" });
  });

  afterEach(() => {
    child.kill();
    if (saved === undefined) delete process.env.SLUICE_SERVICES_DIR;
    else process.env.SLUICE_SERVICES_DIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives the pid of a process that was running when its file was written", () => {
    writeFileSync(join(dir, "kafka.pid"), `${child.pid}\n`);
    expect(servicePid("kafka")).toBe(child.pid);
  });

  it("gives nothing when the pid belongs to a process started after the file was written (a reused pid)", () => {
    const file = join(dir, "kafka.pid");
    writeFileSync(file, `${child.pid}\n`);
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(file, hourAgo, hourAgo);
    expect(servicePid("kafka")).toBeUndefined();
  });

  it("gives nothing without a pid file, with a file that holds no pid, or for a process that ended", async () => {
    expect(servicePid("kafka")).toBeUndefined();
    writeFileSync(join(dir, "kafka.pid"), "not a pid\n");
    expect(servicePid("kafka")).toBeUndefined();
    const ended = spawn("true");
    await new Promise((resolve) => ended.once("exit", resolve));
    writeFileSync(join(dir, "kafka.pid"), `${ended.pid}\n`);
    expect(servicePid("kafka")).toBeUndefined();
  });
});
