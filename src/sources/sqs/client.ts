import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { SQSClient } from "@aws-sdk/client-sqs";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { awsClientOptions, perRegion, withoutSdkLogging } from "../../aws/client-config.js";

/**
 * Sockets per SQS client. Every poller holds one for a 20 s long poll, and a mapping may run 1,250 pollers; the
 * SDK's default of 50 would leave other calls (deletes, the API's queue checks) waiting behind long polls.
 */
const MAX_SOCKETS = 4096;

/** One SQS client per region, shared by everything that talks to SQS. */
export const sqsClient = perRegion((region) =>
  withoutSdkLogging(
    new SQSClient({
      ...awsClientOptions("SQS", region),
      requestHandler: new NodeHttpHandler({
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      }),
    }),
  ),
);

/** A queue ARN's name and owning account: `arn:aws:sqs:<region>:<account>:<name>`. */
export function parseQueueArn(arn: string): { region: string; account: string; name: string } {
  const [, , , region = "", account = "", name = ""] = arn.split(":");
  return { region, account, name };
}
