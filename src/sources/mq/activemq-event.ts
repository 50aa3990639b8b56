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

/**
 * Writes a queue's messages, as delivered at `receivedAt`, as their entries' JSON text, directly: a queue can
 * bring tens of thousands a second. The queue's name is written as JSON once, not once a message. A local
 * redelivery's entry is derived from the first one (redeliveredJson).
 */
export function activeMqMessageWriter(queue: string): (message: IMessage, receivedAt: number) => string {
  const destination = `"destination":{"physicalName":${JSON.stringify(queue)}},`;
  return (message, receivedAt) => {
    const h = message.headers;
    const timestamp = JSON.stringify(h.timestamp === undefined ? receivedAt : Number(h.timestamp));
    let properties = "";
    // for...in, not Object.entries: no array per header, a third of this function's time.
    for (const name in h) {
      if (STANDARD_HEADERS.has(name)) continue;
      properties += `${properties === "" ? "" : ","}${JSON.stringify(name)}:${JSON.stringify(h[name])}`;
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
      `"redelivered":${h.redelivered === "true"},` +
      destination +
      `"data":"${Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("base64")}",` +
      `"timestamp":${timestamp},"brokerInTime":${timestamp},"brokerOutTime":${receivedAt}` +
      `${properties === "" ? "" : `,"properties":{${properties}}`}}`
    );
  };
}

/**
 * The entry of a message delivered again (a local redelivery): only its `redelivered` flag changes. The first
 * `,"redelivered":false,` is the entry's own: every value before it is a JSON number, null or string, and a
 * quote inside a JSON string is always escaped.
 */
export const redeliveredJson = (json: string) =>
  json.replace(',"redelivered":false,', ',"redelivered":true,');
