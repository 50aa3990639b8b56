// A Kinesis handler: each record's data is base64. Naming no failed item reports the whole batch processed.
export async function handler(event, context) {
  for (const record of event.Records) {
    const click = Buffer.from(record.kinesis.data, "base64").toString();
    console.log(`${context.functionName}: ${click} (partition key ${record.kinesis.partitionKey})`);
  }
  return { batchItemFailures: [] };
}
