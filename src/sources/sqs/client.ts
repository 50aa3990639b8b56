import { SQSClient } from "@aws-sdk/client-sqs";
import { awsClientOptions, perRegion } from "../../aws/client-config.js";

/** One SQS client per region, shared by everything that talks to SQS. */
export const sqsClient = perRegion((region) => new SQSClient(awsClientOptions("SQS", region)));

/** A queue ARN's name and owning account: `arn:aws:sqs:<region>:<account>:<name>`. */
export function parseQueueArn(arn: string): { region: string; account: string; name: string } {
  const [, , , region = "", account = "", name = ""] = arn.split(":");
  return { region, account, name };
}
