import type { MessageProperties } from "amqplib";
import { describe, expect, it } from "vitest";
import { rabbitMqMessageJson } from "../../../src/sources/mq/rabbitmq-event.js";

const PROPERTY_ORDER = [
  "contentType",
  "contentEncoding",
  "headers",
  "deliveryMode",
  "priority",
  "correlationId",
  "replyTo",
  "expiration",
  "messageId",
  "timestamp",
  "type",
  "userId",
  "appId",
  "clusterId",
  "bodySize",
];

const none = Object.fromEntries(
  PROPERTY_ORDER.map((name) => [name, undefined]),
) as unknown as MessageProperties;

describe("rabbitMqMessageJson", () => {
  it("writes absent properties as null, in the Java client's order", () => {
    const text = rabbitMqMessageJson(none, Buffer.from([0xff, 0x00, 0x41]), true);
    const event = JSON.parse(text);
    expect(Object.keys(event)).toEqual(["basicProperties", "redelivered", "data"]);
    expect(Object.keys(event.basicProperties)).toEqual(PROPERTY_ORDER);
    expect(event).toEqual({
      basicProperties: { ...Object.fromEntries(PROPERTY_ORDER.map((name) => [name, null])), bodySize: 3 },
      redelivered: true,
      data: "/wBB",
    });
    // The text is the event's own serialisation: nothing a batch joins needs escaping again.
    expect(text).toBe(JSON.stringify(event));
  });

  it("writes every property a message can carry, escaping what JSON must", () => {
    // Strings and numbers as they are; headers and the timestamp as the Java client shows them.
    const plain = {
      contentType: 'text/plain; charset="utf-8"',
      contentEncoding: "gzip",
      deliveryMode: 2,
      priority: 3,
      correlationId: "c\\1",
      replyTo: "amq.rabbitmq.reply-to",
      expiration: "60000",
      messageId: "id-0",
      type: "order",
      userId: "guest",
      appId: "shop",
      clusterId: "c1",
    };
    const properties = {
      ...plain,
      headers: { "x-note": "café ✓", count: 10, flag: true, nested: { inner: "a" } },
      timestamp: 2021,
    } as unknown as MessageProperties;
    const text = rabbitMqMessageJson(properties, Buffer.from("m0"), false);
    const event = JSON.parse(text);
    expect(Object.keys(event.basicProperties)).toEqual(PROPERTY_ORDER);
    expect(event).toEqual({
      basicProperties: {
        ...plain,
        headers: {
          "x-note": { bytes: [...new Int8Array(Buffer.from("café ✓"))] },
          count: 10,
          flag: true,
          nested: { inner: { bytes: [97] } },
        },
        timestamp: "Jan 1, 1970, 12:33:41 AM",
        bodySize: 2,
      },
      redelivered: false,
      data: Buffer.from("m0").toString("base64"),
    });
    expect(text).toBe(JSON.stringify(event));
  });
});
