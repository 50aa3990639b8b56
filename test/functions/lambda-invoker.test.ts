import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FunctionConfig } from "../../src/config/config.js";
import { nameOfFunctionArn } from "../../src/functions/function-name.js";
import type { InvocationContext, Invoker } from "../../src/functions/invoke.js";
import { createInvoker } from "../../src/functions/invokers.js";

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** A stand-in for the Lambda Invoke API, where the function's name says how it answers. */
const functions: Record<string, (event: unknown, response: ServerResponse) => void> = {
  echo: (event, response) => response.end(JSON.stringify({ event })),
  fails: (_event, response) => {
    response.setHeader("x-amz-function-error", "Unhandled");
    response.end(
      JSON.stringify({ errorType: "Error", errorMessage: "card declined", trace: ["Error: card declined"] }),
    );
  },
  throttled: (_event, response) => awsError(response, 429, "TooManyRequestsException", "Rate Exceeded."),
};

function awsError(response: ServerResponse, status: number, type: string, message: string): void {
  response.statusCode = status;
  response.setHeader("x-amzn-errortype", type);
  response.setHeader("content-type", "application/json");
  response.end(JSON.stringify({ Type: "User", message }));
}

let server: Server;
const invoked: { name: string; invocationType: string | undefined }[] = [];
const opened: Invoker[] = [];
const endpointBefore = process.env.AWS_ENDPOINT_URL_LAMBDA;

beforeAll(async () => {
  server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    const match = INVOKE_PATH.exec(request.url ?? "");
    const name = nameOfFunctionArn(decodeURIComponent(match?.[1] ?? ""));
    invoked.push({ name, invocationType: request.headers["x-amz-invocation-type"] as string | undefined });
    const answer = request.method === "POST" ? functions[name] : undefined;
    if (answer) answer(JSON.parse(body), response);
    else awsError(response, 404, "ResourceNotFoundException", `Function not found: ${name}`);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  // The SDK's own configuration points the invoker at the stand-in, as it would at any Lambda endpoint.
  process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((invoker) => invoker.close()));
});

afterAll(() => {
  if (endpointBefore === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
  else process.env.AWS_ENDPOINT_URL_LAMBDA = endpointBefore;
  server.close();
});

function lambdaInvoker(name: string): Invoker {
  const config: FunctionConfig = {
    arn: `arn:aws:lambda:eu-west-1:123456789012:function:${name}`,
    timeout: 3,
    memorySize: 128,
    environment: {},
  };
  const invoker = createInvoker("billing", config, { baseDir: ".", region: "us-east-1" });
  opened.push(invoker);
  return invoker;
}

function invocation(): InvocationContext {
  return {
    functionName: "billing",
    functionArn: "arn:aws:lambda:us-east-1:000000000000:function:billing",
    awsRequestId: randomUUID(),
  };
}

describe("arn functions", () => {
  it("invokes the function synchronously and answers with its JSON result", async () => {
    const result = await lambdaInvoker("echo").invoke({ orderId: 7 }, invocation());
    expect(result).toMatchObject({ ok: true, payload: { event: { orderId: 7 } } });
    expect(invoked.at(-1)).toEqual({ name: "echo", invocationType: "RequestResponse" });
  });

  it("reports a FunctionError response as the function's error, read from the payload", async () => {
    expect(await lambdaInvoker("fails").invoke({}, invocation())).toMatchObject({
      ok: false,
      kind: "function",
      functionError: "Unhandled",
      error: { errorType: "Error", errorMessage: "card declined", trace: ["Error: card declined"] },
    });
  });

  it("reports throttling as a failure to invoke, without retrying", async () => {
    const before = invoked.length;
    expect(await lambdaInvoker("throttled").invoke({}, invocation())).toMatchObject({
      ok: false,
      kind: "invoke",
      error: { errorType: "TooManyRequestsException", errorMessage: "Rate Exceeded." },
    });
    expect(invoked.length - before).toBe(1);
  });

  it("reports a function AWS does not know as a failure to invoke", async () => {
    expect(await lambdaInvoker("absent").invoke({}, invocation())).toMatchObject({
      ok: false,
      kind: "invoke",
      error: { errorType: "ResourceNotFoundException" },
    });
  });
});
