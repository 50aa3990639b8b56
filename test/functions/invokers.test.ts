import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/config.js";
import { Invokers } from "../../src/functions/invokers.js";

function invocation(functionName: string) {
  return {
    functionName,
    functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    awsRequestId: randomUUID(),
  };
}

function invokers(): Invokers {
  const config = parseConfig(
    {
      functions: {
        orders: { handler: "./handlers/lambda.echo" },
        audit: { url: "http://127.0.0.1:9/invoke" },
      },
    },
    import.meta.dirname,
  );
  return Invokers.fromConfig(config);
}

describe("the function invokers", () => {
  it("makes one invoker per function on first use, handler paths relative to the config file", async () => {
    const all = invokers();
    try {
      const orders = all.get("orders");
      expect(all.get("orders")).toBe(orders);
      expect(all.get("audit")).not.toBe(orders);
      expect(await orders.invoke({ orderId: 1 }, invocation("orders"))).toMatchObject({
        ok: true,
        payload: { event: { orderId: 1 } },
      });
    } finally {
      await all.close();
    }
  });

  it("refuses a function the config does not declare", async () => {
    const all = invokers();
    expect(() => all.get("billing")).toThrow("function billing is not in the config");
    expect(() => all.get("toString")).toThrow("function toString is not in the config");
    await all.close();
  });

  it("closes every invoker it made, and makes none after", async () => {
    const all = invokers();
    const orders = all.get("orders");
    await Promise.all([all.close(), all.close()]);
    await expect(orders.invoke({}, invocation("orders"))).rejects.toThrow(
      "the invoker of function orders is closed",
    );
    expect(() => all.get("audit")).toThrow("the function invokers are closed");
  });
});
