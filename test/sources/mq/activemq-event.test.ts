import type { IMessage } from "@stomp/stompjs";
import { describe, expect, it } from "vitest";
import { activeMqMessageWriter, redeliveredJson } from "../../../src/sources/mq/activemq-event.js";
import { ACTIVEMQ_MESSAGE_KEYS } from "../../helpers/activemq-event.js";

const frame = (headers: Record<string, string>, body: Uint8Array) =>
  ({ headers, binaryBody: body }) as unknown as IMessage;

describe("activeMqMessageWriter", () => {
  it("writes a text message with its JMS headers, user properties last, in Lambda's key order", () => {
    const message = frame(
      {
        "message-id": "ID:broker-1:1:1:1",
        destination: "/queue/orders",
        subscription: "sub-0",
        persistent: "true",
        priority: "6",
        timestamp: "1700000000123",
        expires: "0",
        "correlation-id": 'c"1',
        type: "order",
        "reply-to": "/queue/replies",
        "my-prop": "café ✓",
        region: "eu",
      },
      new TextEncoder().encode("t0"),
    );
    const text = activeMqMessageWriter("orders")(message, 1700000000500);
    const event = JSON.parse(text);
    expect(Object.keys(event)).toEqual([...ACTIVEMQ_MESSAGE_KEYS, "properties"]);
    expect(event).toEqual({
      messageID: "ID:broker-1:1:1:1",
      messageType: "jms/text-message",
      deliveryMode: 2,
      replyTo: "/queue/replies",
      type: "order",
      expiration: "0",
      priority: 6,
      correlationId: 'c"1',
      redelivered: false,
      destination: { physicalName: "orders" },
      data: Buffer.from("t0").toString("base64"),
      timestamp: 1700000000123,
      brokerInTime: 1700000000123,
      brokerOutTime: 1700000000500,
      properties: { "my-prop": "café ✓", region: "eu" },
    });
    expect(text).toBe(JSON.stringify(event));
  });

  it("writes a bytes message with no properties, its defaults and a local redelivery", () => {
    const body = new Uint8Array([9, 0, 1, 2, 255]).subarray(1);
    const message = frame({ "message-id": "ID:2", "content-length": "4", redelivered: "false" }, body);
    const text = redeliveredJson(activeMqMessageWriter("q")(message, 42));
    const event = JSON.parse(text);
    expect(Object.keys(event)).toEqual(ACTIVEMQ_MESSAGE_KEYS);
    expect(event).toMatchObject({
      messageType: "jms/bytes-message",
      deliveryMode: 1,
      replyTo: null,
      type: null,
      expiration: "0",
      priority: 4,
      correlationId: null,
      redelivered: true,
      timestamp: 42,
      brokerInTime: 42,
      brokerOutTime: 42,
    });
    // The body's own bytes, not the buffer it was cut from.
    expect(Buffer.from(event.data, "base64")).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(text).toBe(JSON.stringify(event));
  });

  it("marks a message the broker redelivered", () => {
    const message = frame({ "message-id": "ID:3", redelivered: "true" }, new Uint8Array());
    const event = JSON.parse(activeMqMessageWriter("q")(message, 1));
    expect(event.redelivered).toBe(true);
    expect(event.data).toBe("");
  });

  it("turns an entry into its local redelivery's by its own flag, whatever its header values spell", () => {
    const spelled = ',"redelivered":false,';
    const message = frame(
      {
        "message-id": `ID:${spelled}`,
        "correlation-id": spelled,
        type: spelled,
        "reply-to": spelled,
        "my-prop": spelled,
      },
      new TextEncoder().encode(spelled),
    );
    const write = activeMqMessageWriter("q");
    const first = write(message, 7);
    const again = redeliveredJson(first);
    // Only the flag changed, in its place.
    expect(again).toBe(JSON.stringify({ ...JSON.parse(first), redelivered: true }));
    expect(JSON.parse(again)).toMatchObject({
      messageID: `ID:${spelled}`,
      correlationId: spelled,
      type: spelled,
      replyTo: spelled,
      redelivered: true,
      properties: { "my-prop": spelled },
    });
    // Already marked: unchanged.
    expect(redeliveredJson(again)).toBe(again);
  });
});
