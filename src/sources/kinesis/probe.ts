import {
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-kinesis";
import { regionForArn } from "../../aws/client-config.js";
import { probeCallOptions, streamNotFound, unreachableSource } from "../probe-errors.js";
import { kinesisClient, parseStreamArn } from "./client.js";

/** Lambda checks that the stream (or stream consumer) exists when a mapping is created. */
export async function probeStream(arn: string, defaultRegion: string): Promise<void> {
  const { streamName, consumerArn } = parseStreamArn(arn);
  const client = kinesisClient(regionForArn(arn, defaultRegion));
  try {
    if (consumerArn)
      await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }), probeCallOptions());
    else await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }), probeCallOptions());
  } catch (err) {
    if (err instanceof ResourceNotFoundException) throw streamNotFound(arn, err);
    throw unreachableSource(arn, "KINESIS", err);
  }
}
