// Takes DELAY_MS per batch, then records the batch's Kinesis data, with the process that saw it, as one JSON
// line in RECORD_FILE: the crash test tells a redelivery after a restart from a reordering within one process.
import { appendFileSync } from "node:fs";

export async function handler(event) {
  await new Promise((done) => setTimeout(done, Number(process.env.DELAY_MS ?? 0)));
  const data = event.Records.map((r) => Buffer.from(r.kinesis.data, "base64").toString());
  appendFileSync(process.env.RECORD_FILE, `${JSON.stringify({ pid: process.pid, data })}\n`);
}
