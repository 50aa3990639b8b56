/**
 * `sluice dev` as a user runs it: the built CLI in a process of its own, driven only through its one endpoint,
 * with the AWS CLI (`--endpoint-url`: the test image's CLI 2.9 predates AWS_ENDPOINT_URL, and speaks SQS's older
 * query protocol, which fauxqs does not, so SQS goes through the SDK) and SDK clients configured by
 * AWS_ENDPOINT_URL alone. Queue, stream and table are made through it, mappings too, records
 * sent; the handler's own record and the log lines show each invocation; an edited handler is picked up; Ctrl-C
 * stops everything, emulators included. `--example` shows every kind of delivery on its own.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordCommand,
} from "@aws-sdk/client-kinesis";
import { CreateEventSourceMappingCommand, LambdaClient } from "@aws-sdk/client-lambda";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, freePort, tempDir } from "../helpers/sluice.js";
import { dynamodbLocalDir, region } from "../services/endpoints.js";

const MAIN = resolve(import.meta.dirname, "../../dist/cli/main.js");
const run = promisify(execFile);

interface DevProcess {
  child: ChildProcess;
  endpoint: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `sluice dev` in `dir`, with none of the test process's per-service endpoints. */
async function startDev(dir: string, args: string[], more: NodeJS.ProcessEnv = {}): Promise<DevProcess> {
  const port = await freePort();
  // As a user's shell has it: no per-service endpoints, and Sluice's own log level.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith("AWS_ENDPOINT_URL") && k !== "SLUICE_LOG_LEVEL",
    ),
  );
  const child = spawn(process.execPath, [MAIN, "dev", "--port", String(port), ...args], {
    cwd: dir,
    env: { ...env, SLUICE_DYNAMODB_LOCAL_DIR: dynamodbLocalDir(), ...more },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const endpoint = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`sluice dev exited:\n${output}`);
    return output.includes(`Sluice dev is listening on ${endpoint}`) ? true : undefined;
  }, 60_000).catch((err: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${err.message}\n${output}`);
  });
  return { child, endpoint, output: () => output, exited };
}

/** The processes `pid` started, and theirs. */
function descendants(pid: number): number[] {
  const out = execFileSync("ps", ["-e", "-o", "pid=,ppid="]).toString();
  const pairs = out
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of pairs)
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Ctrl-C: the process exits 0 and leaves none of its children behind. */
async function interrupt(dev: DevProcess): Promise<void> {
  const children = descendants(dev.child.pid as number);
  dev.child.kill("SIGINT");
  expect(await dev.exited, dev.output()).toBe(0);
  await eventually(async () => (children.every((pid) => !alive(pid)) ? true : undefined), 10_000);
}

const HANDLER = (version: string) => `
import { appendFileSync } from "node:fs";
export async function handler(event, context) {
  if (JSON.stringify(event).includes("explode")) throw new TypeError("it exploded\\nsecond line");
  appendFileSync(process.env.RECORD_FILE, JSON.stringify({ version: ${JSON.stringify(version)}, event }) + "\\n");
  return {};
}
`;

describe("sluice dev", () => {
  let dir: string;
  let dev: DevProcess;
  let recordFile: string;
  let handlerFile: string;
  let lambda: LambdaClient;
  let sqs: SQSClient;
  let queueUrl: string;

  const records = () =>
    existsSync(recordFile)
      ? readFileSync(recordFile, "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l) as { version: string; event: { Records?: Record<string, unknown>[] } })
      : [];
  const cli = async (args: string[]) => {
    const { stdout } = await run(
      "/usr/bin/aws",
      [...args, "--endpoint-url", dev.endpoint, "--output", "json"],
      {
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          AWS_ACCESS_KEY_ID: "test",
          AWS_SECRET_ACCESS_KEY: "test",
          AWS_REGION: region,
          AWS_PAGER: "",
          AWS_EC2_METADATA_DISABLED: "true",
        },
      },
    );
    return stdout.trim() === "" ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  };

  beforeAll(async () => {
    dir = tempDir("sluice-dev-test-");
    recordFile = join(dir, "records.jsonl");
    handlerFile = join(dir, "recorder.mjs");
    writeFileSync(handlerFile, HANDLER("v1"));
    writeFileSync(
      join(dir, "sluice.yaml"),
      `functions:\n  recorder:\n    handler: ./recorder.handler\n    environment: { RECORD_FILE: ${JSON.stringify(recordFile)} }\n`,
    );
    dev = await startDev(dir, []);
    // SDK clients find the endpoint as users' code does: from AWS_ENDPOINT_URL alone.
    for (const key of Object.keys(process.env))
      if (key.startsWith("AWS_ENDPOINT_URL_")) delete process.env[key];
    process.env.AWS_ENDPOINT_URL = dev.endpoint;
    const options = { region, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
    lambda = new LambdaClient(options);
    sqs = new SQSClient(options);
  }, 90_000);

  afterAll(async () => {
    for (const client of [lambda, sqs]) client?.destroy();
    if (dev && dev.child.exitCode === null) dev.child.kill("SIGKILL");
  });

  it("serves Kinesis, DynamoDB Streams and the mapping API to the AWS CLI, logging each invocation on one line", async () => {
    await cli(["kinesis", "create-stream", "--stream-name", "dev-clicks", "--shard-count", "1"]);
    const streamArn = await eventually(async () => {
      const { StreamDescriptionSummary: s } = (await cli([
        "kinesis",
        "describe-stream-summary",
        "--stream-name",
        "dev-clicks",
      ])) as { StreamDescriptionSummary: { StreamStatus: string; StreamARN: string } };
      return s.StreamStatus === "ACTIVE" ? s.StreamARN : undefined;
    });
    const { TableDescription } = (await cli([
      "dynamodb",
      "create-table",
      "--table-name",
      "dev-carts",
      "--attribute-definitions",
      "AttributeName=id,AttributeType=S",
      "--key-schema",
      "AttributeName=id,KeyType=HASH",
      "--billing-mode",
      "PAY_PER_REQUEST",
      "--stream-specification",
      "StreamEnabled=true,StreamViewType=NEW_IMAGE",
    ])) as { TableDescription: { LatestStreamArn: string } };
    for (const arn of [streamArn, TableDescription.LatestStreamArn]) {
      const mapping = await cli([
        "lambda",
        "create-event-source-mapping",
        "--function-name",
        "recorder",
        "--event-source-arn",
        arn,
        "--starting-position",
        "TRIM_HORIZON",
        "--maximum-batching-window-in-seconds",
        "0",
      ]);
      expect(mapping.State).toBe("Creating");
    }
    await cli([
      "kinesis",
      "put-record",
      "--stream-name",
      "dev-clicks",
      "--partition-key",
      "p",
      "--data",
      "a click",
      "--cli-binary-format",
      "raw-in-base64-out",
    ]);
    await cli(["dynamodb", "put-item", "--table-name", "dev-carts", "--item", '{"id":{"S":"cart-1"}}']);
    await eventually(async () => {
      const sources = new Set(records().flatMap((r) => r.event.Records?.map((x) => x.eventSource) ?? []));
      return sources.has("aws:kinesis") && sources.has("aws:dynamodb") ? true : undefined;
    }, 30_000);
    const click = records()
      .flatMap((r) => r.event.Records ?? [])
      .find((record) => record.eventSource === "aws:kinesis") as { kinesis: { data: string } } | undefined;
    expect(Buffer.from(click?.kinesis.data ?? "", "base64").toString()).toBe("a click");
    await eventually(async () =>
      /\d\d:\d\d:\d\d\.\d{3} {2}kinesis dev-clicks → recorder {2}1 record {2}\d+ ms {2}OK/.test(
        dev.output(),
      ) && /dynamodb dev-carts → recorder {2}1 record {2}\d+ ms {2}OK/.test(dev.output())
        ? true
        : undefined,
    );
    const listed = await cli(["lambda", "list-event-source-mappings", "--event-source-arn", streamArn]);
    expect((listed.EventSourceMappings as { State: string }[])[0]?.State).toBe("Enabled");
  });

  it("serves SQS to SDK clients configured by AWS_ENDPOINT_URL alone", async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "dev-orders" }));
    queueUrl = QueueUrl as string;
    expect(queueUrl.startsWith(dev.endpoint)).toBe(true);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
    );
    await lambda.send(
      new CreateEventSourceMappingCommand({ FunctionName: "recorder", EventSourceArn: Attributes?.QueueArn }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "hello from the SDK" }));
    await eventually(
      async () =>
        records().some((r) => r.event.Records?.[0]?.body === "hello from the SDK") ? true : undefined,
      20_000,
    );
    await eventually(async () =>
      /sqs dev-orders → recorder {2}1 record {2}\d+ ms {2}OK/.test(dev.output()) ? true : undefined,
    );
  });

  it("runs an edited handler without a restart, and logs a failure's first line", async () => {
    writeFileSync(handlerFile, HANDLER("v2"));
    await eventually(async () =>
      dev.output().includes("reloading the handler of function recorder") ? true : undefined,
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "after the edit" }));
    await eventually(
      async () =>
        records().some((r) => r.version === "v2" && r.event.Records?.[0]?.body === "after the edit")
          ? true
          : undefined,
      20_000,
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "explode" }));
    await eventually(
      async () => (/FAILED {2}TypeError: it exploded$/m.test(dev.output()) ? true : undefined),
      20_000,
    );
    expect(dev.output()).not.toMatch(/second line/);
  });

  it("stops everything on Ctrl-C, emulators included", async () => {
    await interrupt(dev);
  });
});

describe("sluice dev --example", () => {
  // How soon is measured by hand and reported, not asserted: the suite asserts no timings.
  it("shows an SQS, a Kinesis and a DynamoDB Streams delivery, with no failure", {
    timeout: 90_000,
  }, async () => {
    const dev = await startDev(tempDir("sluice-dev-example-"), ["--example"]);
    try {
      await eventually(async () => {
        const out = dev.output();
        return [
          "sqs sluice-example-orders → example-orders",
          "kinesis sluice-example-clicks → example-clicks",
          "dynamodb sluice-example-carts → example-carts",
        ].every((line) => out.includes(line))
          ? true
          : undefined;
      }, 30_000);
      expect(dev.output()).not.toMatch(/FAILED/);
    } finally {
      await interrupt(dev);
    }
  });
});

describe("sluice dev --persist, without Java", () => {
  it("keeps mappings, checkpoints and Kinesis data across a restart, and says DynamoDB needs Java", {
    timeout: 120_000,
  }, async () => {
    const dir = tempDir("sluice-dev-persist-");
    const recordFile = join(dir, "records.jsonl");
    writeFileSync(join(dir, "recorder.mjs"), HANDLER("v1"));
    writeFileSync(
      join(dir, "sluice.yaml"),
      `functions:\n  recorder:\n    handler: ./recorder.handler\n    environment: { RECORD_FILE: ${JSON.stringify(recordFile)} }\n`,
    );
    const data = () =>
      existsSync(recordFile)
        ? readFileSync(recordFile, "utf8")
            .trim()
            .split("\n")
            .flatMap((l) =>
              (JSON.parse(l) as { event: { Records: { kinesis: { data: string } }[] } }).event.Records.map(
                (r) => Buffer.from(r.kinesis.data, "base64").toString(),
              ),
            )
        : [];
    const options = { region, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
    // No java on PATH: DynamoDB Local cannot start; the rest is served.
    const withoutJava = { PATH: "" };
    let dev = await startDev(dir, ["--persist"], withoutJava);
    expect(dev.output()).toContain(
      "note: DynamoDB and DynamoDB Streams are not served: DynamoDB Local needs Java (java is not on PATH).",
    );
    expect(dev.output()).toMatch(/serves: lambda \(event source mappings\), sqs, sns, s3, kinesis\n/);
    let kinesis = new KinesisClient({ ...options, endpoint: dev.endpoint });
    const lambda = new LambdaClient({ ...options, endpoint: dev.endpoint });
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: "kept", ShardCount: 1 }));
      const streamArn = await eventually(async () => {
        const { StreamDescriptionSummary: s } = await kinesis.send(
          new DescribeStreamSummaryCommand({ StreamName: "kept" }),
        );
        return s?.StreamStatus === "ACTIVE" ? s.StreamARN : undefined;
      });
      await lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: "recorder",
          EventSourceArn: streamArn,
          StartingPosition: "TRIM_HORIZON",
          MaximumBatchingWindowInSeconds: 0,
        }),
      );
      await kinesis.send(
        new PutRecordCommand({ StreamName: "kept", PartitionKey: "p", Data: Buffer.from("before") }),
      );
      await eventually(async () => (data().includes("before") ? true : undefined), 20_000);
      // kinesis-local writes its data to disk every second.
      await new Promise((r) => setTimeout(r, 1_500));
      await interrupt(dev);
      kinesis.destroy();

      dev = await startDev(dir, ["--persist"], withoutJava);
      kinesis = new KinesisClient({ ...options, endpoint: dev.endpoint });
      await kinesis.send(
        new PutRecordCommand({ StreamName: "kept", PartitionKey: "p", Data: Buffer.from("after") }),
      );
      await eventually(async () => (data().includes("after") ? true : undefined), 30_000);
      // Resumed from its checkpoint: the record before the restart is not delivered again.
      expect(data()).toEqual(["before", "after"]);
      await interrupt(dev);
    } finally {
      kinesis.destroy();
      lambda.destroy();
      if (dev.child.exitCode === null) dev.child.kill("SIGKILL");
    }
  });
});

describe("sluice dev, started wrong", () => {
  it("runs --example without Java on the queue and the stream, saying why the table is missing", {
    timeout: 90_000,
  }, async () => {
    const dev = await startDev(tempDir("sluice-dev-nojava-"), ["--example"], { PATH: "" });
    try {
      await eventually(async () => {
        const out = dev.output();
        return out.includes("sqs sluice-example-orders → example-orders") &&
          out.includes("kinesis sluice-example-clicks → example-clicks")
          ? true
          : undefined;
      }, 20_000);
      expect(dev.output()).toContain("(no sluice-example-carts: DynamoDB is not served)");
      expect(dev.output()).not.toMatch(/FAILED/);
    } finally {
      await interrupt(dev);
    }
  });

  it("exits 1 naming --port when the port is taken, stopping what it had started", {
    timeout: 90_000,
  }, async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, "127.0.0.1", done));
    const { port } = taken.address() as AddressInfo;
    const child = spawn(process.execPath, [MAIN, "dev", "--port", String(port)], {
      cwd: tempDir("sluice-dev-taken-"),
      env: { ...process.env, PATH: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stderr?.on("data", (chunk) => (output += chunk));
    // Its emulators, while they run.
    const seen = new Set<number>();
    const watching = setInterval(() => {
      for (const pid of descendants(child.pid as number)) seen.add(pid);
    }, 100);
    try {
      const code = await new Promise<number | null>((done) => child.once("exit", done));
      expect(code).toBe(1);
      expect(output).toContain(`port ${port} is in use`);
      expect(output).toContain("--port");
      expect(seen.size).toBeGreaterThan(0);
      await eventually(async () => ([...seen].every((pid) => !alive(pid)) ? true : undefined), 10_000);
    } finally {
      clearInterval(watching);
      taken.close();
    }
  });
});
