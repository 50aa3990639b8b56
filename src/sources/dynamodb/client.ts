import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { awsClientOptions, perRegion } from "../../aws/client-config.js";

/** One DynamoDB Streams client per region. */
export const dynamodbStreamsClient = perRegion(
  (region) => new DynamoDBStreamsClient(awsClientOptions("DYNAMODB_STREAMS", region)),
);
