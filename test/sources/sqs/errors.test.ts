/**
 * How a failed SQS call reads in a mapping's LastProcessingResult. The errors are the SDK's own, deserialised
 * from answers SQS gives (fauxqs for a deleted queue, a stand-in for what fauxqs cannot refuse), or from a call
 * that reached nothing.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { describeSqsError } from "../../../src/sources/sqs/errors.js";
import { createQueue, deleteQueue, queueUrl } from "../../helpers/sources.js";
import { awsClientConfig, credentials, region } from "../../services/endpoints.js";

async function receiveError(client: SQSClient, QueueUrl: string): Promise<unknown> {
  try {
    await client.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 0 }));
  } catch (err) {
    return err;
  }
  throw new Error("the receive succeeded");
}

describe("SQS errors in LastProcessingResult", () => {
  it("words a deleted queue as Lambda does", async () => {
    const queue = await createQueue();
    const url = await queueUrl(queue);
    await deleteQueue(queue);
    const client = new SQSClient({ ...awsClientConfig("sqs"), maxAttempts: 1 });
    expect(describeSqsError("ReceiveMessage", await receiveError(client, url))).toBe(
      "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. " +
        "SQS Error Message: The specified queue does not exist.",
    );
  });

  it("names access denied with SQS's error code and message", async () => {
    const denial =
      "User: arn:aws:sts::000000000000:assumed-role/esm/sluice is not authorized to perform: sqs:receivemessage";
    const server = createServer((_request, response) => {
      response.writeHead(400, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-query-error": "AccessDenied;Sender",
      });
      response.end(
        JSON.stringify({ __type: "com.amazon.coral.service#AccessDeniedException", message: denial }),
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new SQSClient({ endpoint, region, credentials, maxAttempts: 1 });
    try {
      expect(
        describeSqsError("ReceiveMessage", await receiveError(client, `${endpoint}/000000000000/q`)),
      ).toBe(
        `Error occurred while ReceiveMessage. SQS Error Code: AccessDenied. SQS Error Message: ${denial}`,
      );
    } finally {
      client.destroy();
      server.close();
    }
  });

  it("says SQS could not be reached when nothing answered", async () => {
    const client = new SQSClient({ endpoint: "http://127.0.0.1:9", region, credentials, maxAttempts: 1 });
    const reason = describeSqsError("ReceiveMessage", await receiveError(client, "http://127.0.0.1:9/0/q"));
    expect(reason).toMatch(/^Connection error\. Could not reach SQS for ReceiveMessage: .*ECONNREFUSED/);
    client.destroy();
  });
});
