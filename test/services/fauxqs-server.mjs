// Starts fauxqs (SQS + SNS + S3 emulator) on 127.0.0.1:$FAUXQS_PORT.
//
// Used instead of fauxqs's own CLI because the CLI (1) listens on 0.0.0.0 and
// (2) hands out queue URLs like http://sqs.us-east-1.localhost:4576/000000000000/q,
// whose host does not resolve here; the AWS SDK v3 SQS client sends requests to
// the QueueUrl's host whenever the endpoint comes from AWS_ENDPOINT_URL_SQS
// rather than an explicit `endpoint`, so those URLs fail with ENOTFOUND.
// With an empty store host, fauxqs builds queue URLs from the request's Host
// header instead: http://127.0.0.1:4576/000000000000/<queue-name>.
//
// FAUXQS_DIR: the installed fauxqs package directory (set by ./up).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.env.FAUXQS_DIR;
if (!dir) throw new Error("FAUXQS_DIR is not set");
const port = Number(process.env.FAUXQS_PORT ?? "4576");
const host = process.env.SLUICE_SERVICES_BIND || "127.0.0.1";

const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
const [major, minor] = process.versions.node.split(".").map(Number);
if (Number(version.split(".")[0]) >= 2 && (major < 22 || (major === 22 && minor < 5))) {
  console.error(
    `fauxqs ${version} needs Node >= 22.5 (it imports node:sqlite); this is Node ${process.versions.node}. Use fauxqs 1.9.2.`,
  );
  process.exit(1);
}

const load = (file) => import(pathToFileURL(join(dir, "dist", file)).href);
const { buildApp } = await load("app.js");
const { SqsStore } = await load("sqs/sqsStore.js");

const sqsStore = new SqsStore();
sqsStore.host = "";
const app = buildApp({
  logger: { level: process.env.FAUXQS_LOG_LEVEL ?? "info" },
  stores: { sqsStore },
});
await app.listen({ port, host });
console.error(`fauxqs ${version} listening on http://${host}:${port}`);
