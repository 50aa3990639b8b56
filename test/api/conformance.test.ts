/**
 * Every control-plane case recorded against AWS (conformance/esm-api-cases.jsonl) replayed against Sluice:
 * same error type, HTTP status, message text and body shape. Placeholders in the recordings are bound to real
 * resources on the local emulators (or to names that do not exist, where the case needs that).
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { conformanceText } from "../helpers/conformance.js";
import { call, ESM_PATH, tagsPath } from "../helpers/http.js";
import { type InProcessSluice, startInProcess } from "../helpers/sluice.js";
import {
  ARNS,
  createDynamodbStream,
  createKinesisStream,
  createQueue,
  uniqueName,
} from "../helpers/sources.js";

interface RecordedCase {
  operation: string;
  request: Record<string, unknown>;
  error_code: string;
  http_status: number;
  message: string;
  response_has_Type_User: boolean;
}

const cases: RecordedCase[] = conformanceText("esm-api-cases.jsonl")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as RecordedCase);

const ACCOUNT = "000000000000";
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:orders`;

// A fresh Sluice per case: the recordings were made one case at a time.
let sut: InProcessSluice;
beforeEach(async () => {
  sut = await startInProcess();
});
afterEach(async () => sut.close());

/** Binds a recorded source ARN to a real (or deliberately missing) resource. */
async function bindSourceArn(recorded: string): Promise<string> {
  const service = recorded.split(":")[2];
  if (service === "sqs") {
    if (recorded.includes("not-existing-queue"))
      return `arn:aws:sqs:us-east-1:${ACCOUNT}:${uniqueName("missing")}`;
    if (recorded.endsWith(":somequeue")) return `arn:aws:sqs:us-east-1:${ACCOUNT}:somequeue`;
    return createQueue();
  }
  if (service === "kinesis") {
    if (recorded.includes("test-foobar"))
      return `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${uniqueName("missing")}`;
    return createKinesisStream();
  }
  if (service === "dynamodb") {
    if (recorded.includes("test-table-4a53f4e8"))
      return `arn:aws:dynamodb:ddblocal:${ACCOUNT}:table/${uniqueName("missing")}/stream/2025-02-22T03:03:25.490`;
    return createDynamodbStream();
  }
  throw new Error(`no binding for ${recorded}`);
}

interface Bound {
  method: string;
  path: string;
  body?: Record<string, unknown>;
  /** The recorded message with its placeholders replaced by this run's values (UUID filled in later). */
  message: string;
  /** A conflict case: create the same mapping first, then expect the recorded conflict. */
  conflict: boolean;
  /** An update case: create an SQS mapping first and update it. */
  updateOfExisting: boolean;
}

async function bind(recorded: RecordedCase): Promise<Bound> {
  const request = JSON.parse(
    JSON.stringify(recorded.request).replaceAll("<region>", "us-east-1").replaceAll("111111111111", ACCOUNT),
  ) as Record<string, unknown>;
  let message = recorded.message
    .replaceAll("<region>", "us-east-1")
    .replaceAll("111111111111", ACCOUNT)
    .replaceAll(`arn:aws:lambda:us-east-1:${ACCOUNT}:function:<fn>`, FUNCTION_ARN)
    .replaceAll('(" <fn> ")', '(" orders ")');
  for (const key of ["FunctionName"] as const) {
    if (request[key] === "<existing-fn>" || request[key] === "<fn>") request[key] = "orders";
  }
  if (typeof request.EventSourceArn === "string") {
    const arn = await bindSourceArn(request.EventSourceArn);
    message = message.replaceAll(request.EventSourceArn, arn);
    request.EventSourceArn = arn;
  }
  if (Array.isArray(request.SourceAccessConfigurations))
    request.SourceAccessConfigurations = [{ Type: "BASIC_AUTH", URI: ARNS.secret }];
  if (typeof request.StartingPositionTimestamp === "string")
    request.StartingPositionTimestamp = Number(request.StartingPositionTimestamp);

  const uuid = randomUUID();
  const esmArn = `arn:aws:lambda:us-east-1:${ACCOUNT}:event-source-mapping:${uuid}`;
  switch (recorded.operation) {
    case "CreateEventSourceMapping":
      return {
        method: "POST",
        path: ESM_PATH,
        body: request,
        message,
        conflict: recorded.error_code === "ResourceConflictException",
        updateOfExisting: false,
      };
    case "UpdateEventSourceMapping": {
      const { UUID, ...body } = request;
      const existing = UUID === "<sqs-esm-uuid>";
      return {
        method: "PUT",
        path: ESM_PATH + uuid,
        body,
        message,
        conflict: false,
        updateOfExisting: existing,
      };
    }
    case "GetEventSourceMapping":
      return { method: "GET", path: ESM_PATH + uuid, message, conflict: false, updateOfExisting: false };
    case "DeleteEventSourceMapping":
      return { method: "DELETE", path: ESM_PATH + uuid, message, conflict: false, updateOfExisting: false };
    default: {
      const recordedArn = String(request.Resource);
      const arn = recordedArn.endsWith(":alias") ? `${esmArn}:alias` : esmArn;
      message = message
        .replaceAll(recordedArn.replace("<uuid-not-existing>", "<uuid>"), arn)
        .replaceAll(recordedArn, arn);
      if (recorded.operation === "TagResource")
        return {
          method: "POST",
          path: tagsPath(arn),
          body: { Tags: { a: "b" } },
          message,
          conflict: false,
          updateOfExisting: false,
        };
      if (recorded.operation === "UntagResource")
        return {
          method: "DELETE",
          path: `${tagsPath(arn)}?tagKeys=a`,
          message,
          conflict: false,
          updateOfExisting: false,
        };
      return { method: "GET", path: tagsPath(arn), message, conflict: false, updateOfExisting: false };
    }
  }
}

describe("AWS-recorded control-plane cases", () => {
  it("covers every recorded case", () => {
    expect(cases.length).toBeGreaterThanOrEqual(32);
  });

  for (const [index, recorded] of cases.entries()) {
    it(`#${index + 1} ${recorded.operation} → ${recorded.error_code}: ${recorded.message.slice(0, 70)}`, async () => {
      const bound = await bind(recorded);
      let path = bound.path;
      let message = bound.message;
      if (bound.conflict) {
        const first = await call(sut.endpoint, "POST", ESM_PATH, bound.body);
        expect(first.status, first.text).toBe(202);
        message = message.replaceAll("<uuid>", String(first.body?.UUID));
      }
      if (bound.updateOfExisting) {
        const queue = await createQueue();
        const first = await call(sut.endpoint, "POST", ESM_PATH, {
          FunctionName: "orders",
          EventSourceArn: queue,
        });
        expect(first.status, first.text).toBe(202);
        path = ESM_PATH + String(first.body?.UUID);
        await sut.sluice.supervisor.idle();
      }

      const response = await call(sut.endpoint, bound.method, path, bound.body);

      expect(response.status, response.text).toBe(recorded.http_status);
      expect(response.headers.get("x-amzn-errortype")).toBe(recorded.error_code);
      const text = response.body?.message ?? response.body?.Message;
      expect(text).toBe(message);
      expect(response.body?.Type === "User").toBe(recorded.response_has_Type_User);
      if (recorded.error_code === "ResourceNotFoundException") expect(response.body?.Message).toBe(message);
    });
  }
});
