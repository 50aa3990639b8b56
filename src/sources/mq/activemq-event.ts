/**
 * An ActiveMQ message as Lambda hands it to a function (reference/aws-esm-facts.md §6.1), built from the STOMP
 * frame ActiveMQ sends: a frame with `content-length` is a JMS BytesMessage, one without a TextMessage; JMS
 * headers come as STOMP headers, user properties as the other headers (strings). STOMP shows neither the
 * broker's in nor out time: the message's timestamp and the moment Sluice received it stand for them.
 */
import type { IMessage } from "@stomp/stompjs";
import { jsonOrNull } from "../json-text.js";

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

/** The message as its entry's JSON text, written directly: a queue can bring tens of thousands a second. */
export function activeMqMessageJson(
  message: IMessage,
  { queue, redelivered, receivedAt }: { queue: string; redelivered: boolean; receivedAt: number },
): string {
  const h = message.headers;
  const timestamp = JSON.stringify(Number(h.timestamp ?? receivedAt));
  let properties = "";
  for (const [name, value] of Object.entries(h)) {
    if (STANDARD_HEADERS.has(name)) continue;
    properties += `${properties === "" ? "" : ","}${JSON.stringify(name)}:${JSON.stringify(value)}`;
  }
  const id = h["message-id"];
  const body = message.binaryBody;
  // JMS DeliveryMode: NON_PERSISTENT 1, PERSISTENT 2.
  return (
    `{${id === undefined ? "" : `"messageID":${JSON.stringify(id)},`}` +
    `"messageType":"${h["content-length"] === undefined ? "jms/text-message" : "jms/bytes-message"}",` +
    `"deliveryMode":${h.persistent === "true" ? 2 : 1},"replyTo":${jsonOrNull(h["reply-to"])},` +
    `"type":${jsonOrNull(h.type)},"expiration":${JSON.stringify(h.expires ?? "0")},` +
    `"priority":${JSON.stringify(Number(h.priority ?? 4))},"correlationId":${jsonOrNull(h["correlation-id"])},` +
    `"redelivered":${redelivered || h.redelivered === "true"},` +
    `"destination":{"physicalName":${JSON.stringify(queue)}},` +
    `"data":"${Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64")}",` +
    `"timestamp":${timestamp},"brokerInTime":${timestamp},"brokerOutTime":${receivedAt}` +
    `${properties === "" ? "" : `,"properties":{${properties}}`}}`
  );
}
