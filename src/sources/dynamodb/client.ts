import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { awsClientOptions } from "../../aws/client-config.js";

const clients = new Map<string, DynamoDBStreamsClient>();

/** One DynamoDB Streams client per region. */
export function dynamodbStreamsClient(region: string): DynamoDBStreamsClient {
  let client = clients.get(region);
  if (!client) {
    client = new DynamoDBStreamsClient(awsClientOptions("DYNAMODB_STREAMS", region));
    clients.set(region, client);
  }
  return client;
}
