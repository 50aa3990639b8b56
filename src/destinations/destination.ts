import { regionForArn } from "../aws/client-config.js";
import { DestinationError } from "./errors.js";
import type { FailureRecord } from "./failure-record.js";
import { s3Destination } from "./s3.js";
import { snsDestination } from "./sns.js";
import { sqsDestination } from "./sqs.js";

export interface DeliveryContext {
  /** The event source mapping's UUID. */
  uuid: string;
  /** The shard the batch came from (for Kafka, the topic-partition). */
  shardId: string;
  /** The function's event for the discarded batch; only an S3 destination receives it. */
  payload: unknown;
  signal?: AbortSignal;
}

/** Where a stream mapping sends the record of a discarded batch. */
export interface Destination {
  /**
   * Sends the record once (with the SDK's own retries). Throws a DestinationError naming the destination and the
   * reason; retrying and reporting are the caller's.
   */
  deliver(record: FailureRecord, context: DeliveryContext): Promise<void>;
}

/**
 * The destination behind an `OnFailure.Destination` ARN: a standard SQS queue, a standard SNS topic or an S3
 * bucket. For a FIFO queue or topic, or any other ARN, every delivery fails with the reason: AWS counts records
 * sent to a FIFO destination as delivery failures. `defaultRegion` is for ARNs without one (S3's).
 */
export function onFailureDestination(arn: string, defaultRegion: string): Destination {
  const [, , service, , , resource = ""] = arn.split(":");
  const region = regionForArn(arn, defaultRegion);
  switch (service) {
    case "sqs":
      return resource.endsWith(".fifo")
        ? refused(arn, "FIFO queues are not supported as on-failure destinations; use a standard queue.")
        : sqsDestination(arn, region);
    case "sns":
      return resource.endsWith(".fifo")
        ? refused(arn, "FIFO topics are not supported as on-failure destinations; use a standard topic.")
        : snsDestination(arn, region);
    case "s3":
      return s3Destination(resource, arn, region);
    default:
      return refused(
        arn,
        "Sluice delivers on-failure records only to SQS queues, SNS topics and S3 buckets.",
      );
  }
}

function refused(arn: string, reason: string): Destination {
  return {
    deliver: async () => {
      throw new DestinationError(arn, reason);
    },
  };
}
