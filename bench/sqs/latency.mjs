// bench/sqs: records, per record, the milliseconds from SendMessage (SentTimestamp) to this function seeing it,
// one number a line, in the file LATENCY_FILE names.
import { appendFileSync } from "node:fs";

export async function handler(event) {
  const now = Date.now();
  const lines = event.Records.map((r) => `${now - Number(r.attributes.SentTimestamp)}\n`).join("");
  appendFileSync(process.env.LATENCY_FILE, lines);
  return {};
}
