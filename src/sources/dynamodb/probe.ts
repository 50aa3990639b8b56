import { DescribeStreamCommand, ResourceNotFoundException } from "@aws-sdk/client-dynamodb-streams";
import { regionForArn } from "../../aws/client-config.js";
import { probeCallOptions, streamNotFound, unreachableSource } from "../probe-errors.js";
import { dynamodbStreamsClient } from "./client.js";

/** Lambda checks that the table's stream exists when a mapping is created. */
export async function probeStream(arn: string, defaultRegion: string): Promise<void> {
  try {
    await dynamodbStreamsClient(regionForArn(arn, defaultRegion)).send(
      new DescribeStreamCommand({ StreamArn: arn, Limit: 1 }),
      probeCallOptions(),
    );
  } catch (err) {
    if (err instanceof ResourceNotFoundException) throw streamNotFound(arn, err);
    throw unreachableSource(arn, "DYNAMODB_STREAMS", err);
  }
}
