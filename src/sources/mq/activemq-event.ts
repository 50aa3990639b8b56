/**
 * An ActiveMQ message as Lambda hands it to a function (reference/aws-esm-facts.md §6.1), built from the STOMP
 * frame ActiveMQ sends: a frame with `content-length` is a JMS BytesMessage, one without a TextMessage; JMS
 * headers come as STOMP headers, user properties as the other headers (strings). STOMP shows neither the
 * broker's in nor out time: the message's timestamp and the moment Sluice received it stand for them.
 */
import type { IMessage } from "@stomp/stompjs";

/** Headers that are STOMP's or JMS's own, not user properties. */
const STANDARD_HEADERS = new Set([
  "ack",
  "content-length",
  "content-type",
  "correlation-id",
  "destination",
  "expires",
  "message-id",
  "persistent",
  "priority",
  "redelivered",
  "reply-to",
  "subscription",
  "timestamp",
  "type",
]);

export function toActiveMqMessage(
  message: IMessage,
  { queue, redelivered, receivedAt }: { queue: string; redelivered: boolean; receivedAt: number },
): Record<string, unknown> {
  const h = message.headers;
  const timestamp = Number(h.timestamp ?? receivedAt);
  const properties = Object.fromEntries(Object.entries(h).filter(([name]) => !STANDARD_HEADERS.has(name)));
  return {
    messageID: h["message-id"],
    messageType: h["content-length"] === undefined ? "jms/text-message" : "jms/bytes-message",
    // JMS DeliveryMode: NON_PERSISTENT 1, PERSISTENT 2.
    deliveryMode: h.persistent === "true" ? 2 : 1,
    replyTo: h["reply-to"] ?? null,
    type: h.type ?? null,
    expiration: h.expires ?? "0",
    priority: Number(h.priority ?? 4),
    correlationId: h["correlation-id"] ?? null,
    redelivered: redelivered || h.redelivered === "true",
    destination: { physicalName: queue },
    data: Buffer.from(message.binaryBody).toString("base64"),
    timestamp,
    brokerInTime: timestamp,
    brokerOutTime: receivedAt,
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
  };
}
