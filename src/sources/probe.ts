/**
 * Checks, when a mapping is created, that its source exists, as Lambda does for the AWS services it reads.
 * Brokers (Amazon MQ, Kafka, DocumentDB) are reached only when the mapping runs; problems show in its state.
 */
import type { SourceKind } from "../mappings/types.js";
import { probeStream as probeDynamodbStream } from "./dynamodb/probe.js";
import { probeStream as probeKinesisStream } from "./kinesis/probe.js";
import { probeQueue } from "./sqs/probe.js";

export type SourceProbe = (kind: SourceKind, eventSourceArn: string) => Promise<void>;

export function awsSourceProbe(defaultRegion: string): SourceProbe {
  return async (kind, arn) => {
    switch (kind) {
      case "sqs":
        return probeQueue(arn, defaultRegion);
      case "kinesis":
        return probeKinesisStream(arn, defaultRegion);
      case "dynamodb":
        return probeDynamodbStream(arn, defaultRegion);
      default:
        return;
    }
  };
}
