import { GetQueueUrlCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { parseQueueArn, sqsClient } from "../sources/sqs/client.js";
import type { Destination } from "./destination.js";
import { deliveryCall } from "./errors.js";

/** A standard queue: the record's JSON as the message body. */
export function sqsDestination(arn: string, region: string): Destination {
  const { account, name } = parseQueueArn(arn);
  const client = sqsClient(region);
  const lookUp = async (signal: AbortSignal | undefined): Promise<string> => {
    const { QueueUrl = "" } = await deliveryCall(arn, "SQS GetQueueUrl", signal, () =>
      client.send(
        new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }),
        { abortSignal: signal },
      ),
    );
    return QueueUrl;
  };
  // Looked up once, and again after any failed delivery, in case the queue was deleted and created anew.
  let queueUrl: Promise<string> | undefined;
  return {
    async deliver(record, { signal }) {
      queueUrl ??= lookUp(signal);
      const pending = queueUrl;
      try {
        const QueueUrl = await pending;
        await deliveryCall(arn, "SQS SendMessage", signal, () =>
          client.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(record) }), {
            abortSignal: signal,
          }),
        );
      } catch (err) {
        if (queueUrl === pending) queueUrl = undefined;
        throw err;
      }
    },
  };
}
