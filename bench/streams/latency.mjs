// bench/streams: records, per record, the milliseconds from PutRecord (the put time the bench wrote into the
// data) to this function seeing it, one number a line, in the file LATENCY_FILE names.
import { appendFileSync } from "node:fs";

export async function handler(event) {
  const now = Date.now();
  const lines = event.Records.map((r) => {
    const { at } = JSON.parse(Buffer.from(r.kinesis.data, "base64").toString());
    return `${now - at}\n`;
  }).join("");
  appendFileSync(process.env.LATENCY_FILE, lines);
  return {};
}
