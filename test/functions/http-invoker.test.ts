import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FunctionConfig } from "../../src/config/config.js";
import type { InvocationContext, Invoker } from "../../src/functions/invoke.js";
import { createInvoker } from "../../src/functions/invokers.js";

interface Received {
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** The client's port: one per connection. */
  clientPort: number | undefined;
}

/** A function endpoint whose path says how to answer. */
const routes: Record<string, (request: Received, response: ServerResponse) => void> = {
  "/echo": (request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ event: JSON.parse(request.body) }));
  },
  "/empty": (_request, response) => {
    response.statusCode = 204;
    response.end();
  },
  "/text": (_request, response) => response.end("OK"),
  "/function-error": (_request, response) => {
    response.setHeader("x-amz-function-error", "Unhandled");
    response.end(
      JSON.stringify({ errorType: "TypeError", errorMessage: "bad order", trace: ["TypeError: bad order"] }),
    );
  },
  "/server-error": (_request, response) => {
    response.statusCode = 500;
    response.end("the database is down");
  },
  "/hang": () => {},
};

let server: Server;
let base: string;
const received: Received[] = [];
const opened: Invoker[] = [];

beforeAll(async () => {
  server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    const entry = {
      path: request.url ?? "",
      headers: request.headers,
      body,
      clientPort: request.socket.remotePort,
    };
    received.push(entry);
    routes[entry.path]?.(entry, response);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((invoker) => invoker.close()));
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
});

function httpInvoker(url: string, settings: Partial<FunctionConfig> = {}): Invoker {
  const config: FunctionConfig = { url, timeout: 3, memorySize: 128, environment: {}, ...settings };
  const invoker = createInvoker("audit", config, { baseDir: ".", region: "us-east-1" });
  opened.push(invoker);
  return invoker;
}

function invocation(): InvocationContext {
  return {
    functionName: "audit",
    functionArn: "arn:aws:lambda:us-east-1:000000000000:function:audit",
    awsRequestId: randomUUID(),
  };
}

describe("url functions", () => {
  it("POSTs the event as JSON with the function's name and request id, and answers with the JSON body", async () => {
    const context = invocation();
    const result = await httpInvoker(`${base}/echo`).invoke({ orderId: 7 }, context);
    expect(result).toMatchObject({ ok: true, payload: { event: { orderId: 7 } } });
    expect(received.at(-1)?.headers).toMatchObject({
      "content-type": "application/json",
      "x-amz-function-name": "audit",
      "lambda-runtime-aws-request-id": context.awsRequestId,
    });
  });

  it("answers with no payload when the body is empty", async () => {
    expect(await httpInvoker(`${base}/empty`).invoke({}, invocation())).toMatchObject({
      ok: true,
      payload: undefined,
    });
  });

  it("keeps a body that is not JSON as text, so a plain OK is still a success", async () => {
    expect(await httpInvoker(`${base}/text`).invoke({}, invocation())).toMatchObject({
      ok: true,
      payload: "OK",
    });
  });

  it("reports a response carrying X-Amz-Function-Error as the function's error, read from the body", async () => {
    expect(await httpInvoker(`${base}/function-error`).invoke({}, invocation())).toMatchObject({
      ok: false,
      kind: "function",
      functionError: "Unhandled",
      error: { errorType: "TypeError", errorMessage: "bad order", trace: ["TypeError: bad order"] },
    });
  });

  it("reports any other status as a function error naming the status", async () => {
    expect(await httpInvoker(`${base}/server-error`).invoke({}, invocation())).toMatchObject({
      ok: false,
      kind: "function",
      functionError: "Unhandled",
      error: { errorType: "HttpError", errorMessage: "HTTP 500: the database is down" },
    });
  });

  it("reports an endpoint that refuses connections as a function error (SPEC)", async () => {
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, "close");
    const result = await httpInvoker(`http://127.0.0.1:${port}/invoke`).invoke({}, invocation());
    expect(result).toMatchObject({
      ok: false,
      kind: "function",
      functionError: "Unhandled",
      error: { errorType: "ECONNREFUSED" },
    });
  });

  it("times out an endpoint that does not answer as Sandbox.Timedout", async () => {
    const context = invocation();
    expect(await httpInvoker(`${base}/hang`, { timeout: 0.3 }).invoke({}, context)).toMatchObject({
      ok: false,
      kind: "function",
      functionError: "Unhandled",
      error: {
        errorType: "Sandbox.Timedout",
        errorMessage: `RequestId: ${context.awsRequestId} Error: Task timed out after 0.30 seconds`,
      },
    });
  });

  it("rejects with the signal's reason when the caller aborts", async () => {
    const controller = new AbortController();
    const pending = httpInvoker(`${base}/hang`).invoke({}, invocation(), controller.signal);
    controller.abort(new Error("shutting down"));
    await expect(pending).rejects.toThrow("shutting down");
  });

  it("reuses one kept-alive connection for invocations in sequence", async () => {
    const invoker = httpInvoker(`${base}/echo`);
    const before = received.length;
    for (let i = 0; i < 5; i++) {
      expect(await invoker.invoke({ i }, invocation())).toMatchObject({ ok: true });
      // undici frees a connection a tick after its response ends; the caller settles a batch in between anyway.
      await new Promise(setImmediate);
    }
    const ports = new Set(received.slice(before).map((request) => request.clientPort));
    expect(ports.size).toBe(1);
  });
});
