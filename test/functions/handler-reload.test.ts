import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { join } from "node:path";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.js";
import type { InvokeResult, Invoker } from "../../src/functions/invoke.js";
import { Invokers } from "../../src/functions/invokers.js";
import { eventually, tempDir } from "../helpers/sluice.js";
import { Gate } from "./gate.js";

/** Each thread that loads a module below holds a connection here while it runs, so a test can count threads. */
const connections = new Set<Socket>();
const threadServer = createServer((socket) => {
  connections.add(socket);
  socket.on("close", () => connections.delete(socket));
});
let threadPort = 0;

beforeAll(async () => {
  threadServer.listen(0, "127.0.0.1");
  await once(threadServer, "listening");
  threadPort = (threadServer.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const socket of connections) socket.destroy();
  threadServer.close();
  await once(threadServer, "close");
});

const opened: Invokers[] = [];
const gates: Gate[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((invokers) => invokers.close()));
  await Promise.all(gates.splice(0).map((gate) => gate.close()));
});

/** A handler module that answers `value`, after waiting at `event.gate` when the event names one. */
function handlerModule(value: string, imports = ""): string {
  return `${imports}
import { connect } from "node:net";
connect(Number(process.env.THREAD_PORT), "127.0.0.1").on("error", () => {});
export const handler = async (event) => {
  if (event.gate) await fetch(event.gate, { method: "POST" });
  return ${value};
};
`;
}

interface Reloading {
  invoker: Invoker;
  /** The reloads logged so far. */
  reloads: { msg: string; changed: string[] }[];
}

/** The invoker of function orders, whose handler is `handler` relative to dir, made as Sluice makes it. */
function ordersInvoker(dir: string, handler: string, reload?: boolean): Reloading {
  const reloads: Reloading["reloads"] = [];
  const log = pino({ level: "info" }, { write: (line: string) => reloads.push(JSON.parse(line)) });
  const config = parseConfig(
    { functions: { orders: { handler, environment: { THREAD_PORT: String(threadPort) } } } },
    dir,
  );
  const invokers = Invokers.fromConfig(config, reload === undefined ? {} : { reload, log });
  opened.push(invokers);
  return { invoker: invokers.get("orders"), reloads };
}

function invoke(invoker: Invoker, event: unknown = {}): Promise<InvokeResult> {
  return invoker.invoke(event, {
    functionName: "orders",
    functionArn: "arn:aws:lambda:us-east-1:000000000000:function:orders",
    awsRequestId: randomUUID(),
  });
}

async function payloadOf(result: Promise<InvokeResult>): Promise<unknown> {
  const settled = await result;
  if (!settled.ok) throw new Error(`expected success, got ${JSON.stringify(settled)}`);
  return settled.payload;
}

function reloaded(reloads: Reloading["reloads"], count: number): Promise<true> {
  return eventually(async () => (reloads.length >= count ? true : undefined));
}

function threadsRunning(count: number): Promise<true> {
  return eventually(async () => (connections.size === count ? true : undefined));
}

/** The fs.watch handles open, once those closing have closed: a handle closes on a later turn of the event loop. */
async function watchers(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return process.getActiveResourcesInfo().filter((resource) => resource === "FSEventWrap").length;
}

describe("handler reload", () => {
  it("runs an edit saved by renaming over the module on the next invocation, and stops the old thread", async () => {
    const dir = tempDir("sluice-reload-");
    writeFileSync(join(dir, "orders.mjs"), handlerModule('"v1"'));
    const { invoker, reloads } = ordersInvoker(dir, "./orders.handler", true);
    expect(await payloadOf(invoke(invoker))).toBe("v1");

    writeFileSync(join(dir, ".orders.mjs.swp"), handlerModule('"v2"'));
    renameSync(join(dir, ".orders.mjs.swp"), join(dir, "orders.mjs"));
    await reloaded(reloads, 1);
    expect(reloads).toEqual([
      expect.objectContaining({ msg: "reloading the handler of function orders", changed: ["orders.mjs"] }),
    ]);
    await threadsRunning(0);
    expect(await payloadOf(invoke(invoker))).toBe("v2");
  });

  it("ends an invocation in flight on the old code, then stops its thread", async () => {
    const gate = new Gate();
    gates.push(gate);
    const url = await gate.start();
    const dir = tempDir("sluice-reload-");
    writeFileSync(join(dir, "orders.mjs"), handlerModule('"v1"'));
    const { invoker, reloads } = ordersInvoker(dir, "./orders.handler", true);
    const inFlight = payloadOf(invoke(invoker, { gate: url }));
    await gate.arrived(1);

    writeFileSync(join(dir, "orders.mjs"), handlerModule('"v2"'));
    await reloaded(reloads, 1);
    expect(await payloadOf(invoke(invoker))).toBe("v2");
    await threadsRunning(2);
    gate.open();
    expect(await inFlight).toBe("v1");
    await threadsRunning(1);
  });

  it("fails invocations as the function's error while an edit does not parse, and runs the fix", async () => {
    const dir = tempDir("sluice-reload-");
    writeFileSync(join(dir, "orders.mjs"), handlerModule('"v1"'));
    const { invoker, reloads } = ordersInvoker(dir, "./orders.handler", true);
    expect(await payloadOf(invoke(invoker))).toBe("v1");

    writeFileSync(join(dir, "orders.mjs"), "export const handler = async () => {\n");
    await reloaded(reloads, 1);
    expect(await invoke(invoker)).toMatchObject({
      ok: false,
      kind: "function",
      error: { errorType: "Runtime.UserCodeSyntaxError" },
    });

    writeFileSync(join(dir, "orders.mjs"), handlerModule('"v2"'));
    await reloaded(reloads, 2);
    expect(await payloadOf(invoke(invoker))).toBe("v2");
  });

  it("reloads for an edit to a module the handler imports from a directory under its own", async () => {
    const dir = tempDir("sluice-reload-");
    mkdirSync(join(dir, "lib"));
    writeFileSync(join(dir, "lib", "answer.mjs"), 'export const answer = "v1";\n');
    writeFileSync(
      join(dir, "orders.mjs"),
      handlerModule("answer", 'import { answer } from "./lib/answer.mjs";'),
    );
    const { invoker, reloads } = ordersInvoker(dir, "./orders.handler", true);
    expect(await payloadOf(invoke(invoker))).toBe("v1");

    writeFileSync(join(dir, "lib", "answer.mjs"), 'export const answer = "v2";\n');
    await reloaded(reloads, 1);
    expect(reloads[0]?.changed).toEqual([join("lib", "answer.mjs")]);
    expect(await payloadOf(invoke(invoker))).toBe("v2");
  });

  it("follows a module directory that a build removes and makes again, at once or later", async () => {
    const dir = tempDir("sluice-reload-");
    const dist = join(dir, "dist");
    const build = (value: string) => {
      mkdirSync(dist);
      writeFileSync(join(dist, "orders.mjs"), handlerModule(value));
    };
    build('"v1"');
    const { invoker, reloads } = ordersInvoker(dir, "./dist/orders.handler", true);
    expect(await payloadOf(invoke(invoker))).toBe("v1");

    rmSync(dist, { recursive: true });
    build('"v2"');
    await reloaded(reloads, 1);
    expect(await payloadOf(invoke(invoker))).toBe("v2");

    rmSync(dist, { recursive: true });
    await reloaded(reloads, 2);
    build('"v3"');
    await reloaded(reloads, 3);
    expect(await payloadOf(invoke(invoker))).toBe("v3");

    // Watched again: an edit is seen too.
    writeFileSync(join(dist, "orders.mjs"), handlerModule('"v4"'));
    await reloaded(reloads, 4);
    expect(await payloadOf(invoke(invoker))).toBe("v4");
  });

  it("stops watching and leaves no thread running once closed", async () => {
    const before = await watchers();
    const dir = tempDir("sluice-reload-");
    writeFileSync(join(dir, "orders.mjs"), handlerModule('"v1"'));
    const { invoker } = ordersInvoker(dir, "./orders.handler", true);
    expect(await payloadOf(invoke(invoker))).toBe("v1");
    expect(await watchers()).toBeGreaterThan(before);
    await threadsRunning(1);

    await invoker.close();
    expect(await watchers()).toBe(before);
    await threadsRunning(0);
  });

  it("is off by default: the module loads once per thread, and nothing is watched", async () => {
    const before = await watchers();
    const dir = tempDir("sluice-reload-");
    writeFileSync(join(dir, "orders.mjs"), handlerModule('"v1"'));
    const { invoker } = ordersInvoker(dir, "./orders.handler");
    expect(await payloadOf(invoke(invoker))).toBe("v1");
    expect(await watchers()).toBe(before);

    writeFileSync(join(dir, "orders.mjs"), handlerModule('"v2"'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await payloadOf(invoke(invoker))).toBe("v1");
  });
});
