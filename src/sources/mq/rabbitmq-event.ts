/**
 * A RabbitMQ message as Lambda hands it to a function (reference/aws-esm-facts.md §6.2), inside
 * `rmqMessagesByQueue["<queue>::<virtual host>"]`. Lambda reads with the RabbitMQ Java client and serialises
 * its view of the message: properties absent from the message are null, string headers are the client's
 * LongString (`{"bytes": [...]}`, the UTF-8 bytes as Java's signed bytes), numbers and booleans are themselves, and the timestamp is
 * Java's medium date-time format.
 */
import type { MessageProperties } from "amqplib";
import { jsonOrNull } from "../json-text.js";

/**
 * The message as its entry's JSON text, written directly (a queue can bring tens of thousands a second); a
 * property absent from the message is null, as the Java client shows it.
 */
export function rabbitMqMessageJson(
  properties: MessageProperties,
  content: Buffer,
  redelivered: boolean,
): string {
  const p = properties;
  const headers = p.headers === undefined ? "null" : JSON.stringify(headerValue(p.headers));
  const timestamp =
    typeof p.timestamp === "number" ? JSON.stringify(javaMediumDateTime(p.timestamp)) : "null";
  return (
    `{"basicProperties":{"contentType":${jsonOrNull(p.contentType)},"contentEncoding":${jsonOrNull(p.contentEncoding)},` +
    `"headers":${headers},"deliveryMode":${jsonOrNull(p.deliveryMode)},"priority":${jsonOrNull(p.priority)},` +
    `"correlationId":${jsonOrNull(p.correlationId)},"replyTo":${jsonOrNull(p.replyTo)},` +
    `"expiration":${jsonOrNull(p.expiration)},"messageId":${jsonOrNull(p.messageId)},"timestamp":${timestamp},` +
    `"type":${jsonOrNull(p.type)},"userId":${jsonOrNull(p.userId)},"appId":${jsonOrNull(p.appId)},` +
    `"clusterId":${jsonOrNull(p.clusterId)},"bodySize":${content.length}},` +
    `"redelivered":${redelivered},"data":"${content.toString("base64")}"}`
  );
}

/**
 * A header value as the Java client's types serialise: LongString as its bytes, tables and arrays walked. Java
 * bytes are signed, so bytes over 127 show as negative numbers.
 */
function headerValue(value: unknown): unknown {
  if (typeof value === "string") return { bytes: javaBytes(Buffer.from(value, "utf8")) };
  if (Buffer.isBuffer(value)) return javaBytes(value);
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(headerValue);
  if (typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, headerValue(v)]));
  return value;
}

const javaBytes = (b: Buffer) => [...new Int8Array(b.buffer, b.byteOffset, b.length)];

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** AMQP timestamps are epoch seconds; Java's medium US format in UTC: `Jan 1, 1970, 12:33:41 AM`. */
export function javaMediumDateTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const hours = d.getUTCHours();
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ` +
    `${hours % 12 === 0 ? 12 : hours % 12}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ` +
    (hours < 12 ? "AM" : "PM")
  );
}
