// Records every batch it receives (one JSON line each) in RECORD_FILE. A record whose body is "fail" makes the
// whole invocation throw; bodies starting with "retry" are reported as batch item failures.
import { appendFileSync } from "node:fs";

export async function handler(event, context) {
  const line = { functionName: context.functionName, requestId: context.awsRequestId, event };
  appendFileSync(process.env.RECORD_FILE, `${JSON.stringify(line)}\n`);
  if (event.Records.some((r) => r.body === "fail")) throw new Error("the batch held a poison message");
  return {
    batchItemFailures: event.Records.filter((r) => r.body.startsWith("retry")).map((r) => ({
      itemIdentifier: r.messageId,
    })),
  };
}
