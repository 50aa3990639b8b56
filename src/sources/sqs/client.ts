import { SQSClient } from "@aws-sdk/client-sqs";
import { awsClientOptions } from "../../aws/client-config.js";

const clients = new Map<string, SQSClient>();

/** One SQS client per region, shared by everything that talks to SQS. */
export function sqsClient(region: string): SQSClient {
  let client = clients.get(region);
  if (!client) {
    client = new SQSClient(awsClientOptions("SQS", region));
    clients.set(region, client);
  }
  return client;
}

/** A queue ARN's name and owning account: `arn:aws:sqs:<region>:<account>:<name>`. */
export function parseQueueArn(arn: string): { region: string; account: string; name: string } {
  const [, , , region = "", account = "", name = ""] = arn.split(":");
  return { region, account, name };
}
