import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { awsClientOptions, perRegion, withoutSdkLogging } from "../../aws/client-config.js";
import { withWireGetRecords } from "./wire-records.js";

/** No Kinesis call Sluice makes should take this long. */
const READ_TIMEOUT_MS = 30_000;

/**
 * One Kinesis client per region, answering GetRecords with the service's JSON as it is. HTTP/1.1 on purpose:
 * the SDK's HTTP/2 handler fails intermittently here.
 */
export const kinesisClient = perRegion((region) =>
  withWireGetRecords(
    withoutSdkLogging(
      new KinesisClient({
        ...awsClientOptions("KINESIS", region),
        // A shard's reads are one call at a time: one that hangs must not stall the shard.
        requestHandler: new NodeHttpHandler({ requestTimeout: READ_TIMEOUT_MS, throwOnRequestTimeout: true }),
      }),
    ),
  ),
);

/**
 * `arn:aws:kinesis:<region>:<account>:stream/<name>[/consumer/<consumer>:<epoch>]`: the stream's name and ARN,
 * and the consumer's ARN when the ARN names an enhanced fan-out consumer.
 */
export function parseStreamArn(arn: string): { streamName: string; streamArn: string; consumerArn?: string } {
  const resource = arn.split(":").slice(5).join(":");
  const [, streamName = "", consumerMarker] = resource.split("/");
  if (consumerMarker !== "consumer") return { streamName, streamArn: arn };
  return { streamName, streamArn: arn.slice(0, arn.indexOf("/consumer/")), consumerArn: arn };
}
