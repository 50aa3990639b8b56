/** `sluice filter test` as a user runs it, and the engine as a library user imports it. */
import { execFile, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/sluice.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const MAIN = join(ROOT, "dist/cli/main.js");

async function sluice(
  args: string[],
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  child.stdin.end(stdin ?? "");
  const code = await new Promise<number>((done) => child.once("exit", (c) => done(c ?? -1)));
  return { code, stdout, stderr };
}

describe("sluice filter test", () => {
  it("prints true or false for one event", async () => {
    const yes = await sluice([
      "filter",
      "test",
      "--pattern",
      '{"a":[{"prefix":"x"}]}',
      "--event",
      '{"a":"xyz"}',
    ]);
    expect(yes).toMatchObject({ code: 0, stdout: "true\n" });
    const no = await sluice([
      "filter",
      "test",
      "--pattern",
      '{"a":[{"prefix":"x"}]}',
      "--event",
      '{"a":"abc"}',
    ]);
    expect(no).toMatchObject({ code: 0, stdout: "false\n" });
  });

  it("prints one line per event of a JSON Lines file, or of stdin", async () => {
    const file = join(tempDir(), "events.jsonl");
    writeFileSync(file, '{"n":1}\n{"n":5}\n\n{"n":"5"}\n');
    const pattern = '{"n":[{"numeric":[">",2]}]}';
    expect(await sluice(["filter", "test", "--pattern", pattern, "--events", file])).toMatchObject({
      code: 0,
      stdout: "false\ntrue\nfalse\n",
    });
    expect(
      await sluice(["filter", "test", "--pattern", pattern, "--events", "-"], '{"n":3}\n'),
    ).toMatchObject({
      stdout: "true\n",
    });
  });

  it("decodes records as their source does with --source", async () => {
    const record = JSON.stringify({ messageId: "1", body: '{"kind":"order"}' });
    const result = await sluice([
      "filter",
      "test",
      "--pattern",
      '{"body":{"kind":["order"]}}',
      "--event",
      record,
      "--source",
      "sqs",
    ]);
    expect(result).toMatchObject({ code: 0, stdout: "true\n" });
  });

  it("exits 2 with AWS's reason for an invalid pattern", async () => {
    const result = await sluice(["filter", "test", "--pattern", '{"a":"b"}', "--event", "{}"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('Event pattern is not valid. Reason: "a" must be an object or an array\n');
    expect(result.stdout).toBe("");
  });

  it("exits 2 naming the line of an event that is not JSON", async () => {
    const result = await sluice(
      ["filter", "test", "--pattern", '{"a":[1]}', "--events", "-"],
      '{"a":1}\n{oops\n',
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("true\n");
    expect(result.stderr).toMatch(/^sluice: line 2: not JSON: /);
  });
});

describe("the library", () => {
  it('is importable as "sluice/filter"', async () => {
    const script =
      'import { compilePattern, InvalidPatternError } from "sluice/filter";' +
      'const m = compilePattern(\'{"source":["a"]}\');' +
      "let reason; try { compilePattern({ x: 1 }); } catch (e) { reason = e instanceof InvalidPatternError && e.message; }" +
      'console.log(JSON.stringify([m({ source: "a" }), m({ source: "b" }), reason]));';
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT });
    expect(JSON.parse(stdout)).toEqual([
      true,
      false,
      'Event pattern is not valid. Reason: "x" must be an object or an array',
    ]);
  });
});
