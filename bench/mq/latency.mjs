// bench/mq: records, per message, its queue and the milliseconds from its publish (the send time the bench wrote
// into the body) to this function seeing it, `<queue> <ms>` a line, in the file LATENCY_FILE names. ActiveMQ
// events carry `messages`, RabbitMQ events `rmqMessagesByQueue` keyed `<queue>::<virtual host>`.
import { appendFileSync } from "node:fs";

const latency = (now, message) => now - JSON.parse(Buffer.from(message.data, "base64").toString()).at;

export async function handler(event) {
  const now = Date.now();
  const lines = event.messages
    ? event.messages.map((m) => `${m.destination.physicalName} ${latency(now, m)}\n`)
    : Object.entries(event.rmqMessagesByQueue).flatMap(([key, messages]) =>
        messages.map((m) => `${key.split("::")[0]} ${latency(now, m)}\n`),
      );
  appendFileSync(process.env.LATENCY_FILE, lines.join(""));
  return {};
}
