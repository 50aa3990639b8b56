// Takes DELAY_MS per batch, then records the batch's data (Kinesis `data`, Kafka `value`, a DocumentDB change's
// `fullDocument.data`), with the process that saw it, as one JSON line in RECORD_FILE: the crash tests tell a
// redelivery after a restart from a reordering within one process.
import { appendFileSync } from "node:fs";

export async function handler(event) {
  await new Promise((done) => setTimeout(done, Number(process.env.DELAY_MS ?? 0)));
  if (event.events) return record(event.events.map((e) => e.event.fullDocument.data));
  const encoded = event.records
    ? Object.values(event.records).flatMap((list) => list.map((r) => r.value))
    : event.Records.map((r) => r.kinesis.data);
  record(encoded.map((d) => Buffer.from(d, "base64").toString()));
}

function record(data) {
  appendFileSync(process.env.RECORD_FILE, `${JSON.stringify({ pid: process.pid, data })}\n`);
}
