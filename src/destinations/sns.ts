import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { awsClientOptions, perRegion, withoutSdkLogging } from "../aws/client-config.js";
import type { Destination } from "./destination.js";
import { deliveryCall } from "./errors.js";

const snsClient = perRegion((region) => withoutSdkLogging(new SNSClient(awsClientOptions("SNS", region))));

/** A standard topic: the record's JSON as the message. */
export function snsDestination(topicArn: string, region: string): Destination {
  const client = snsClient(region);
  return {
    async deliver(record, { signal }) {
      await deliveryCall(topicArn, "SNS Publish", signal, () =>
        client.send(new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify(record) }), {
          abortSignal: signal,
        }),
      );
    },
  };
}
