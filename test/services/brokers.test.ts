// The broker helpers (test/helpers/brokers.ts) against the real brokers test/services/up starts.
import { connect } from "amqplib";
import { describe, expect, it } from "vitest";
import {
  activeQueueDepth,
  connectStomp,
  createRabbitUser,
  createVhost,
  declareRabbitQueue,
  deleteRabbitUser,
  deleteVhost,
  drainRabbitQueue,
  publishRabbit,
  rabbitQueueCounts,
  rabbitUrl,
  readAllActive,
  sendActive,
  startPrivateActiveMq,
  startPrivateRabbit,
  uniqueName,
  withRabbitChannel,
} from "../helpers/brokers.js";
import { brokers } from "./endpoints.js";

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("RabbitMQ (shared node)", () => {
  it("publishes to a queue in a fresh vhost and gets the messages back with their properties", async () => {
    const vhost = await createVhost();
    try {
      await declareRabbitQueue(vhost, "orders");
      await publishRabbit(vhost, "orders", [
        {
          body: "first",
          headers: { tenant: "a" },
          properties: { messageId: "m-1", contentType: "text/plain" },
        },
        { body: new Uint8Array([0, 1, 255]), properties: { correlationId: "c-2" } },
      ]);
      const counts = await waitFor(
        () => rabbitQueueCounts(vhost, "orders"),
        (c) => c.messages === 2,
      );
      expect(counts).toEqual({ messages: 2, ready: 2, unacknowledged: 0 });

      const messages = await drainRabbitQueue(vhost, "orders");
      expect(messages.map((m) => m.text)).toEqual(["first", "\u0000\u0001\ufffd"]);
      expect([...(messages[1]?.body ?? [])]).toEqual([0, 1, 255]);
      expect(messages[0]?.properties).toMatchObject({
        messageId: "m-1",
        contentType: "text/plain",
        deliveryMode: 2,
        headers: { tenant: "a" },
      });
      expect(messages[1]?.properties.correlationId).toBe("c-2");
      expect(await drainRabbitQueue(vhost, "orders")).toEqual([]);
    } finally {
      await deleteVhost(vhost);
    }
  });

  it("dead-letters a quorum queue's message after x-delivery-limit requeues", async () => {
    const vhost = await createVhost();
    try {
      await declareRabbitQueue(vhost, "orders.dlq");
      await declareRabbitQueue(vhost, "orders", {
        quorum: true,
        deliveryLimit: 1,
        deadLetterExchange: "",
        deadLetterRoutingKey: "orders.dlq",
      });
      await publishRabbit(vhost, "orders", [{ body: "poison" }]);
      const deliveryCounts = await withRabbitChannel(vhost, async (channel) => {
        const seen: unknown[] = [];
        for (let i = 0; i < 2; i++) {
          const message = await waitFor(
            () => channel.get("orders"),
            (m) => m !== false,
          );
          if (message === false) break;
          seen.push(message.properties.headers?.["x-delivery-count"]);
          channel.nack(message, false, true); // requeue
        }
        return seen;
      });
      expect(deliveryCounts).toEqual([0, 1]); // the 2nd requeue exceeds the limit of 1
      const [dead] = await drainRabbitQueue(vhost, "orders.dlq", { min: 1 });
      expect(dead?.text).toBe("poison");
      expect(dead?.properties.headers?.["x-first-death-reason"]).toBe("delivery_limit");
      expect(await drainRabbitQueue(vhost, "orders")).toEqual([]);
    } finally {
      await deleteVhost(vhost);
    }
  });

  it("creates a user who can use its vhost only", async () => {
    const vhost = await createVhost();
    const user = uniqueName("user");
    try {
      await createRabbitUser(user, "s3cret", [vhost]);
      const ok = await connect(rabbitUrl(vhost, { username: user, password: "s3cret" }));
      await ok.close();
      await expect(connect(rabbitUrl("/", { username: user, password: "s3cret" }))).rejects.toThrow();
    } finally {
      await deleteRabbitUser(user);
      await deleteVhost(vhost);
    }
  });
});

describe("ActiveMQ (shared broker, STOMP)", () => {
  it("sends text and bytes messages and reads them back with their headers", async () => {
    const queue = uniqueName("orders");
    await sendActive(queue, [
      { body: "hello", headers: { "content-type": "text/plain", tenant: "a", "correlation-id": "c-1" } },
      { body: new Uint8Array([0, 1, 255]) },
    ]);
    expect(await activeQueueDepth(queue)).toBe(2);

    const messages = await readAllActive(queue, { min: 2 });
    expect(messages.map((m) => m.body.length)).toEqual([5, 3]);
    expect(messages[0]?.body).toBe("hello");
    expect(messages[0]?.headers).toMatchObject({
      destination: `/queue/${queue}`,
      persistent: "true",
      tenant: "a",
      "correlation-id": "c-1",
      "content-type": "text/plain",
    });
    expect(messages[0]?.headers["content-length"]).toBeUndefined(); // a TextMessage
    expect([...(messages[1]?.binaryBody ?? [])]).toEqual([0, 1, 255]);
    expect(messages[1]?.headers["content-length"]).toBe("3"); // a BytesMessage
    expect(messages[0]?.headers["message-id"]).toMatch(/^ID:/);
    expect(await activeQueueDepth(queue)).toBe(0);
  });

  it("sends a NACKed message to the queue's own DLQ.<queue>", async () => {
    const queue = uniqueName("orders");
    await sendActive(queue, [{ body: "poison", headers: { tenant: "a" } }]);
    const client = await connectStomp();
    try {
      await new Promise<void>((resolve) => {
        client.subscribe(
          `/queue/${queue}`,
          (message) => {
            message.nack();
            resolve();
          },
          { ack: "client-individual" },
        );
      });
    } finally {
      await client.deactivate();
    }
    const [dead] = await readAllActive(`${brokers.activemq.dlqPrefix}${queue}`, { min: 1 });
    expect(dead?.body).toBe("poison");
    expect(dead?.headers).toMatchObject({ tenant: "a", "original-destination": `/queue/${queue}` });
    expect(await activeQueueDepth(queue)).toBe(0);
  });

  it("refuses wrong credentials", async () => {
    await expect(connectStomp({ broker: { ...brokers.activemq, password: "wrong" } })).rejects.toThrow(
      /password is invalid/,
    );
  });
});

// Concurrent: the two start (and restart) side by side.
describe.concurrent("private brokers", () => {
  it("a private RabbitMQ node keeps a durable queue's persistent message across restart()", async ({
    expect,
  }) => {
    const rabbit = await startPrivateRabbit();
    try {
      await declareRabbitQueue("/", "kept", { quorum: true }, { broker: rabbit });
      await declareRabbitQueue("/", "classic", {}, { broker: rabbit });
      await publishRabbit("/", "kept", [{ body: "survives" }], { broker: rabbit });
      await publishRabbit("/", "classic", [{ body: "survives too" }], { broker: rabbit });
      await rabbit.restart();
      expect((await drainRabbitQueue("/", "kept", { broker: rabbit, min: 1 })).map((m) => m.text)).toEqual([
        "survives",
      ]);
      expect((await drainRabbitQueue("/", "classic", { broker: rabbit, min: 1 })).map((m) => m.text)).toEqual(
        ["survives too"],
      );
    } finally {
      await rabbit.stop();
    }
  }, 90_000);

  it("a private ActiveMQ broker keeps a persistent message across restart()", async ({ expect }) => {
    const activemq = await startPrivateActiveMq();
    try {
      await sendActive("kept", [{ body: "survives" }], { broker: activemq });
      await activemq.restart();
      const messages = await readAllActive("kept", { broker: activemq, min: 1 });
      expect(messages.map((m) => m.body)).toEqual(["survives"]);
    } finally {
      await activemq.stop();
    }
  }, 90_000);
});
