// A DynamoDB Streams handler: each record is one item change, with its keys and, here, its new image.
export async function handler(event, context) {
  for (const { eventName, dynamodb } of event.Records) {
    console.log(`${context.functionName}: ${eventName} ${JSON.stringify(dynamodb.Keys)}`);
  }
}
