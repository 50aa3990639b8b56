import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { FunctionConfig } from "../../src/config/config.js";
import type { InvocationContext, InvokeResult, Invoker } from "../../src/functions/invoke.js";
import { createInvoker } from "../../src/functions/invokers.js";
import { eventually, tempDir } from "../helpers/sluice.js";
import { Gate } from "./gate.js";

const REGION = "eu-west-1";
const ARN = "arn:aws:lambda:eu-west-1:000000000000:function:orders";

const opened: Invoker[] = [];
const gates: Gate[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((invoker) => invoker.close()));
  await Promise.all(gates.splice(0).map((gate) => gate.close()));
});

const HANDLERS = join(import.meta.dirname, "handlers");

function handlerInvoker(handler: string, settings: Partial<FunctionConfig> = {}, baseDir = HANDLERS) {
  const config: FunctionConfig = {
    handler: `./${handler}`,
    timeout: 3,
    memorySize: 128,
    environment: {},
    ...settings,
  };
  const invoker = createInvoker("orders", config, { baseDir, region: REGION });
  opened.push(invoker);
  return invoker;
}

function invocation(qualifier?: string): InvocationContext {
  return {
    functionName: "orders",
    functionArn: qualifier === undefined ? ARN : `${ARN}:${qualifier}`,
    awsRequestId: randomUUID(),
    ...(qualifier === undefined ? {} : { qualifier }),
  };
}

async function startGate(): Promise<{ gate: Gate; url: string }> {
  const gate = new Gate();
  gates.push(gate);
  return { gate, url: await gate.start() };
}

/** The id of the thread that runs the next invocation of lambda.misbehave. */
async function threadOf(invoker: Invoker): Promise<number> {
  return (payloadOf(await invoker.invoke({}, invocation())) as { threadId: number }).threadId;
}

function payloadOf(result: InvokeResult): unknown {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result)}`);
  return result.payload;
}

describe("handler functions", () => {
  it("answers with an async handler's result as the payload", async () => {
    const result = await handlerInvoker("lambda.echo").invoke({ orderId: 7 }, invocation());
    expect(result).toMatchObject({ ok: true, payload: { event: { orderId: 7 } } });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("answers with what a callback-style handler in a CommonJS module passes to its callback", async () => {
    const result = await handlerInvoker("callback.handler").invoke({ orderId: 8 }, invocation());
    expect(payloadOf(result)).toEqual({ received: { orderId: 8 } });
  });

  it("answers with what a plain function that takes no callback returns", async () => {
    const result = await handlerInvoker("lambda.plainReturn").invoke({ n: 21 }, invocation());
    expect(payloadOf(result)).toEqual({ doubled: 42 });
  });

  it("gives the handler Lambda's context: names, version, ARN, request id, memory and remaining time", async () => {
    const context = invocation();
    const result = await handlerInvoker("lambda.describeContext", { memorySize: 256, timeout: 5 }).invoke(
      {},
      context,
    );
    const { remainingTimeInMillis, ...fields } = payloadOf(result) as Record<string, unknown>;
    expect(fields).toEqual({
      functionName: "orders",
      functionVersion: "$LATEST",
      invokedFunctionArn: ARN,
      awsRequestId: context.awsRequestId,
      memoryLimitInMB: "256",
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(remainingTimeInMillis).toBeGreaterThan(0);
    expect(remainingTimeInMillis).toBeLessThanOrEqual(5000);
  });

  it("reports the qualifier it was invoked with as the function version and in the ARN", async () => {
    const result = await handlerInvoker("lambda.describeContext").invoke({}, invocation("live"));
    expect(payloadOf(result)).toMatchObject({ functionVersion: "live", invokedFunctionArn: `${ARN}:live` });
  });

  it("sets the function's environment and Lambda's own variables, which the function cannot override", async () => {
    const invoker = handlerInvoker("lambda.readEnvironment", {
      memorySize: 512,
      environment: { TABLE: "orders", AWS_LAMBDA_FUNCTION_NAME: "impostor" },
    });
    const names = [
      "TABLE",
      "AWS_LAMBDA_FUNCTION_NAME",
      "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
      "AWS_LAMBDA_FUNCTION_VERSION",
      "AWS_REGION",
      "PATH",
    ];
    expect(payloadOf(await invoker.invoke({ names }, invocation()))).toEqual({
      TABLE: "orders",
      AWS_LAMBDA_FUNCTION_NAME: "orders",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_REGION: REGION,
      PATH: process.env.PATH,
    });
  });

  it("reports a thrown error as Lambda does: its name, its message and its stack as trace", async () => {
    const result = await handlerInvoker("lambda.throwsTypeError").invoke({}, invocation());
    expect(result).toMatchObject({
      ok: false,
      kind: "function",
      functionError: "Unhandled",
      error: { errorType: "TypeError", errorMessage: "order id must be a string" },
    });
    const trace = (result as { error: { trace: string[] } }).error.trace;
    expect(trace[0]).toBe("TypeError: order id must be a string");
    expect(trace.some((line) => line.includes("throwsTypeError"))).toBe(true);
  });

  it("reports an error passed to the callback as an Unhandled function error", async () => {
    const result = await handlerInvoker("callback.failing").invoke({}, invocation());
    expect(result).toMatchObject({
      ok: false,
      kind: "function",
      functionError: "Unhandled",
      error: { errorType: "Error", errorMessage: "payment declined" },
    });
  });

  it("reports a promise rejected with something other than an Error by its type and text", async () => {
    const result = await handlerInvoker("lambda.rejectsWithString").invoke({}, invocation());
    expect(result).toMatchObject({
      ok: false,
      kind: "function",
      error: { errorType: "string", errorMessage: "no stock", trace: [] },
    });
  });

  it("fails an invocation whose result JSON cannot express", async () => {
    const result = await handlerInvoker("lambda.returnsBigInt").invoke({}, invocation());
    expect(result).toMatchObject({ ok: false, kind: "function", error: { errorType: "TypeError" } });
  });

  it("reports a module that is not there as Runtime.ImportModuleError, naming the path it looked for", async () => {
    const result = await handlerInvoker("missing.handler").invoke({}, invocation());
    expect(result).toMatchObject({
      ok: false,
      kind: "function",
      error: { errorType: "Runtime.ImportModuleError" },
    });
    expect((result as { error: { errorMessage: string } }).error.errorMessage).toContain(
      join(HANDLERS, "missing"),
    );
  });

  it("reports a module with a syntax error as Runtime.UserCodeSyntaxError", async () => {
    const dir = tempDir("sluice-handler-");
    writeFileSync(join(dir, "broken.mjs"), "export const handler = async () => {\n");
    const result = await handlerInvoker("broken.handler", {}, dir).invoke({}, invocation());
    expect(result).toMatchObject({ ok: false, error: { errorType: "Runtime.UserCodeSyntaxError" } });
  });

  it("reports the error a module throws while loading, on every invocation", async () => {
    const invoker = handlerInvoker("throws-on-load.handler");
    for (let i = 0; i < 2; i++) {
      expect(await invoker.invoke({}, invocation())).toMatchObject({
        ok: false,
        kind: "function",
        error: { errorType: "Error", errorMessage: "missing configuration" },
      });
    }
  });

  it("reports an export that is missing or not a function as Runtime.HandlerNotFound", async () => {
    expect(await handlerInvoker("lambda.nothingHere").invoke({}, invocation())).toMatchObject({
      ok: false,
      error: {
        errorType: "Runtime.HandlerNotFound",
        errorMessage: "./lambda.nothingHere is undefined or not exported",
      },
    });
    expect(await handlerInvoker("lambda.notAFunction").invoke({}, invocation())).toMatchObject({
      ok: false,
      error: {
        errorType: "Runtime.HandlerNotFound",
        errorMessage: "./lambda.notAFunction is not a function",
      },
    });
  });

  it("follows a nested export path, as Lambda does", async () => {
    const result = await handlerInvoker("lambda.nested.handlers.orders").invoke({}, invocation());
    expect(payloadOf(result)).toBe("nested");
  });

  it("tries .js before .mjs when the handler names no extension, as Lambda does", async () => {
    expect(payloadOf(await handlerInvoker("plain.handler").invoke({}, invocation()))).toBe("from plain.js");
  });

  it("times out an invocation as Sandbox.Timedout, and runs the next one on a fresh thread", async () => {
    const invoker = handlerInvoker("lambda.misbehave", { timeout: 0.5, reservedConcurrency: 1 });
    const before = await threadOf(invoker);
    const context = invocation();
    expect(await invoker.invoke({ hang: true }, context)).toMatchObject({
      ok: false,
      kind: "function",
      functionError: "Unhandled",
      error: {
        errorType: "Sandbox.Timedout",
        errorMessage: `RequestId: ${context.awsRequestId} Error: Task timed out after 0.50 seconds`,
      },
    });
    expect(await threadOf(invoker)).not.toBe(before);
  });

  it("reports a handler that ends its thread with process.exit as Runtime.ExitError, then starts a new thread", async () => {
    const invoker = handlerInvoker("lambda.misbehave", { reservedConcurrency: 1 });
    const before = await threadOf(invoker);
    const context = invocation();
    expect(await invoker.invoke({ exitCode: 3 }, context)).toMatchObject({
      ok: false,
      kind: "function",
      functionError: "Unhandled",
      error: {
        errorType: "Runtime.ExitError",
        errorMessage: `RequestId: ${context.awsRequestId} Error: Runtime exited with error: exit status 3`,
      },
    });
    expect(await threadOf(invoker)).not.toBe(before);
  });

  it("reports an exception thrown outside the handler's promise as itself, then starts a new thread", async () => {
    const invoker = handlerInvoker("lambda.misbehave", { reservedConcurrency: 1 });
    const before = await threadOf(invoker);
    expect(await invoker.invoke({ throwLater: true }, invocation())).toMatchObject({
      ok: false,
      kind: "function",
      error: { errorType: "RangeError", errorMessage: "thrown from a timer" },
    });
    expect(await threadOf(invoker)).not.toBe(before);
  });

  it("stops a handler that exhausts its memory with Runtime.ExitError, then starts a new thread", async () => {
    const invoker = handlerInvoker("lambda.misbehave", {
      memorySize: 128,
      timeout: 60,
      reservedConcurrency: 1,
    });
    const before = await threadOf(invoker);
    const result = await invoker.invoke({ exhaustMemory: true }, invocation());
    expect(result).toMatchObject({ ok: false, kind: "function", error: { errorType: "Runtime.ExitError" } });
    expect((result as { error: { errorMessage: string } }).error.errorMessage).toContain(
      "out of memory (the 128 MB heap limit was reached)",
    );
    expect(await threadOf(invoker)).not.toBe(before);
  });

  it("runs no more invocations at once than reservedConcurrency; the others wait their turn", async () => {
    const { gate, url } = await startGate();
    const invoker = handlerInvoker("lambda.waitAtGate", { reservedConcurrency: 2 });
    const total = 5;
    // Release a round once two are held, or once the last has arrived.
    gate.onArrival = () => {
      if (gate.inFlight === 2 || gate.arrivals === total) gate.release();
    };
    const results = await Promise.all(
      Array.from({ length: total }, () => invoker.invoke({ gate: url }, invocation())),
    );
    const threads = new Set(results.map((result) => (payloadOf(result) as { threadId: number }).threadId));
    expect(gate.arrivals).toBe(total);
    expect(gate.maxInFlight).toBe(2);
    expect(threads.size).toBe(2);
  });

  it("starts threads ahead when warmed, loading the module in each, up to reservedConcurrency", async () => {
    const loadFile = join(tempDir(), "loads.txt");
    writeFileSync(loadFile, "");
    const loads = () =>
      readFileSync(loadFile, "utf8")
        .split("\n")
        .filter((l) => l !== "").length;
    const invoker = handlerInvoker("counts-loads.handler", {
      reservedConcurrency: 4,
      environment: { LOAD_FILE: loadFile },
    });
    invoker.warm?.(3);
    await eventually(async () => (loads() === 3 ? true : undefined));
    const results = await Promise.all(Array.from({ length: 3 }, () => invoker.invoke({}, invocation())));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(loads()).toBe(3);
    invoker.warm?.(10);
    await eventually(async () => (loads() === 4 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect(loads()).toBe(4);
  });

  it("gives up an invocation waiting for a thread when its signal aborts, and keeps the slot for others", async () => {
    const { gate, url } = await startGate();
    const invoker = handlerInvoker("lambda.waitAtGate", { reservedConcurrency: 1 });
    const running = invoker.invoke({ gate: url }, invocation());
    await gate.arrived(1);
    const controller = new AbortController();
    const waiting = invoker.invoke({ gate: url }, invocation(), controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
    gate.open();
    expect(payloadOf(await running)).toMatchObject({ answer: "released" });
    expect(payloadOf(await invoker.invoke({ gate: url }, invocation()))).toMatchObject({
      answer: "released",
    });
    expect(gate.arrivals).toBe(2);
  });

  it("rejects a running invocation whose signal aborts, and runs the next one on a fresh thread", async () => {
    const { gate, url } = await startGate();
    const invoker = handlerInvoker("lambda.waitAtGate", { reservedConcurrency: 1 });
    const controller = new AbortController();
    const running = invoker.invoke({ gate: url }, invocation(), controller.signal);
    await gate.arrived(1);
    controller.abort(new Error("shutting down"));
    await expect(running).rejects.toThrow("shutting down");
    gate.open();
    expect(payloadOf(await invoker.invoke({ gate: url }, invocation()))).toMatchObject({
      answer: "released",
    });
  });

  it("rejects invocations in flight and waiting when closed, and any invocation after", async () => {
    const { gate, url } = await startGate();
    const invoker = handlerInvoker("lambda.waitAtGate", { reservedConcurrency: 1 });
    const running = invoker.invoke({ gate: url }, invocation());
    await gate.arrived(1);
    const waiting = invoker.invoke({ gate: url }, invocation());
    const rejections = [running, waiting].map((invoke) =>
      expect(invoke).rejects.toThrow("the invoker of function orders is closed"),
    );
    await invoker.close();
    await Promise.all(rejections);
    await expect(invoker.invoke({ gate: url }, invocation())).rejects.toThrow("is closed");
  });
});
