// Records every Amazon MQ batch it receives (one JSON line each) in RECORD_FILE. A message whose data decodes
// to "fail" makes the whole invocation throw.
import { appendFileSync } from "node:fs";

export async function handler(event, context) {
  appendFileSync(process.env.RECORD_FILE, `${JSON.stringify({ requestId: context.awsRequestId, event })}\n`);
  const messages = event.messages ?? Object.values(event.rmqMessagesByQueue).flat();
  if (messages.some((m) => Buffer.from(m.data, "base64").toString() === "fail"))
    throw new Error("the batch held a poison message");
  return {};
}
