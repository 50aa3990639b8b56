// Handlers for the worker-thread invoker's tests: each shows one way a Lambda handler can end.
import { threadId } from "node:worker_threads";

export async function echo(event) {
  return { event, threadId };
}

export async function describeContext(_event, context) {
  const { functionName, functionVersion, invokedFunctionArn, awsRequestId, memoryLimitInMB } = context;
  return {
    functionName,
    functionVersion,
    invokedFunctionArn,
    awsRequestId,
    memoryLimitInMB,
    remainingTimeInMillis: context.getRemainingTimeInMillis(),
    callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
  };
}

export async function readEnvironment(event) {
  return Object.fromEntries(event.names.map((name) => [name, process.env[name]]));
}

export function plainReturn(event) {
  return { doubled: event.n * 2 };
}

export async function throwsTypeError() {
  throw new TypeError("order id must be a string");
}

export function rejectsWithString() {
  return Promise.reject("no stock");
}

export async function returnsBigInt() {
  return { total: 10n };
}

/** Answers with its thread's id, unless the event asks it to misbehave in one of the ways a thread can end. */
export async function misbehave(event) {
  if (event.hang) return new Promise(() => {});
  if (event.exitCode !== undefined) process.exit(event.exitCode);
  if (event.throwLater) {
    setTimeout(() => {
      throw new RangeError("thrown from a timer");
    });
    return new Promise(() => {});
  }
  if (event.exhaustMemory) {
    const hoard = [];
    for (;;) hoard.push(new Array(100_000).fill({ hoard }));
  }
  return { threadId };
}

/** Tells the test it started, then waits for the test's answer: a signal that needs no timing. */
export async function waitAtGate(event) {
  const response = await fetch(event.gate, { method: "POST" });
  return { threadId, answer: await response.text() };
}

export const notAFunction = 42;

export const nested = { handlers: { orders: async () => "nested" } };
