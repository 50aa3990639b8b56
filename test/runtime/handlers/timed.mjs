// Records when each batch started and ended, and its records' bodies and message groups (RECORD_FILE).
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export async function handler(event) {
  const started = Date.now();
  // Long enough that two overlapping batches of one group would show.
  await sleep(5);
  const records = event.Records.map((r) => ({ body: r.body, group: r.attributes.MessageGroupId ?? null }));
  appendFileSync(process.env.RECORD_FILE, `${JSON.stringify({ started, ended: Date.now(), records })}\n`);
  return {};
}
