import { GetQueueUrlCommand, QueueDoesNotExist } from "@aws-sdk/client-sqs";
import { regionForArn } from "../../aws/client-config.js";
import { InvalidParameterValueException } from "../../runtime/errors.js";
import { probeCallOptions, unreachableSource } from "../probe-errors.js";
import { parseQueueArn, sqsClient } from "./client.js";

/** Lambda checks that the queue exists when a mapping is created, and words the failure as below. */
export async function probeQueue(arn: string, defaultRegion: string): Promise<void> {
  const { account, name } = parseQueueArn(arn);
  try {
    await sqsClient(regionForArn(arn, defaultRegion)).send(
      new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }),
      probeCallOptions(),
    );
  } catch (err) {
    if (err instanceof QueueDoesNotExist)
      throw new InvalidParameterValueException(
        "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.",
        { cause: err },
      );
    throw unreachableSource(arn, "SQS", err);
  }
}
