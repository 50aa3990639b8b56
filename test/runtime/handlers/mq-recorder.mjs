// Records every Amazon MQ batch it receives (one JSON line each, with when it started and ended) in RECORD_FILE,
// after SLEEP_MS if set. A message whose data decodes to "fail" makes the whole invocation throw.
import { appendFileSync } from "node:fs";

export async function handler(event, context) {
  const start = Date.now();
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.SLEEP_MS ?? 0)));
  const line = { requestId: context.awsRequestId, start, end: Date.now(), event };
  appendFileSync(process.env.RECORD_FILE, `${JSON.stringify(line)}\n`);
  const messages = event.messages ?? Object.values(event.rmqMessagesByQueue).flat();
  if (messages.some((m) => Buffer.from(m.data, "base64").toString() === "fail"))
    throw new Error("the batch held a poison message");
  return {};
}
