// A Lambda-style handler: receives a batch of records, reports nothing failed.
export async function handler(event, context) {
  const records = event.Records ?? [];
  console.log(`${context.functionName}: ${records.length} record(s)`);
  return { batchItemFailures: [] };
}
