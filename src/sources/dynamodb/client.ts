import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { awsClientOptions, perRegion, withoutSdkLogging } from "../../aws/client-config.js";

/** No DynamoDB Streams call Sluice makes should take this long: one that hangs must not stall its shard. */
const READ_TIMEOUT_MS = 30_000;

/** One DynamoDB Streams client per region. */
export const dynamodbStreamsClient = perRegion((region) =>
  withoutSdkLogging(
    new DynamoDBStreamsClient({
      ...awsClientOptions("DYNAMODB_STREAMS", region),
      requestHandler: new NodeHttpHandler({ requestTimeout: READ_TIMEOUT_MS, throwOnRequestTimeout: true }),
    }),
  ),
);
