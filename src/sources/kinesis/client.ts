import { KinesisClient } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { awsClientOptions, perRegion } from "../../aws/client-config.js";

/** One Kinesis client per region. HTTP/1.1 on purpose: the SDK's HTTP/2 handler fails intermittently here. */
export const kinesisClient = perRegion(
  (region) =>
    new KinesisClient({ ...awsClientOptions("KINESIS", region), requestHandler: new NodeHttpHandler() }),
);

/** `arn:aws:kinesis:<region>:<account>:stream/<name>[/consumer/<consumer>:<epoch>]` */
export function parseStreamArn(arn: string): { streamName: string; consumerArn?: string } {
  const resource = arn.split(":").slice(5).join(":");
  const [, streamName = "", consumerMarker] = resource.split("/");
  return consumerMarker === "consumer" ? { streamName, consumerArn: arn } : { streamName };
}
