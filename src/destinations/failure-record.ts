/**
 * The invocation record Lambda sends to a stream mapping's on-failure destination when it discards a batch
 * (reference/aws-esm-facts.md §3.5, §4.3). Key order and presence follow AWS's recorded records exactly.
 */

/** Why the batch was discarded. AWS documents no name for age expiry; `RecordAgeExceeded` is what its records show. */
export type FailureCondition = "RetryAttemptsExhausted" | "RecordAgeExceeded" | (string & {});

export interface FailureRecordInput {
  /** The last invocation's request id, or a fresh uuid when the function was never invoked. */
  requestId: string;
  functionArn: string;
  condition: FailureCondition;
  approximateInvokeCount: number;
  /**
   * The last invocation's response, when the function was reached. `functionError` is absent when the function
   * returned normally (a partial batch failure), which AWS writes as `null`.
   */
  response?: { statusCode: number; executedVersion: string; functionError?: string };
  /** "KinesisBatchInfo" | "DDBStreamBatchInfo" (| "KafkaBatchInfo"): see streamBatchInfo(). */
  batchInfoKey: string;
  batchInfo: Record<string, unknown>;
  timestamp: Date;
}

/** A failure record: JSON-ready, `timestamp` as ISO-8601 with milliseconds. */
export interface FailureRecord {
  timestamp: string;
  [key: string]: unknown;
}

export function failureRecord(input: FailureRecordInput): FailureRecord {
  const { response } = input;
  return {
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    // AWS's age-expiry records carry no responseContext, even after the function was invoked several times.
    ...(response && input.condition !== "RecordAgeExceeded"
      ? {
          responseContext: {
            statusCode: response.statusCode,
            executedVersion: response.executedVersion,
            functionError: response.functionError ?? null,
          },
        }
      : {}),
    version: "1.0",
    timestamp: input.timestamp.toISOString(),
    [input.batchInfoKey]: input.batchInfo,
  };
}

/** The discarded records of one shard. */
export interface StreamBatch {
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  /** Epoch milliseconds: the first and last records' approximate arrival (DynamoDB: creation) times. */
  firstArrivalMs: number;
  lastArrivalMs: number;
  batchSize: number;
  streamArn: string;
}

/**
 * `KinesisBatchInfo` or `DDBStreamBatchInfo`, ready to spread into a FailureRecordInput. Both have the same seven
 * fields; DynamoDB's arrival times have second precision ("2019-11-14T00:13:19Z"), Kinesis's milliseconds.
 */
export function streamBatchInfo(
  source: "kinesis" | "dynamodb",
  batch: StreamBatch,
): Pick<FailureRecordInput, "batchInfoKey" | "batchInfo"> {
  const time = source === "kinesis" ? isoMillis : isoSeconds;
  return {
    batchInfoKey: source === "kinesis" ? "KinesisBatchInfo" : "DDBStreamBatchInfo",
    batchInfo: {
      shardId: batch.shardId,
      startSequenceNumber: batch.startSequenceNumber,
      endSequenceNumber: batch.endSequenceNumber,
      approximateArrivalOfFirstRecord: time(batch.firstArrivalMs),
      approximateArrivalOfLastRecord: time(batch.lastArrivalMs),
      batchSize: batch.batchSize,
      streamArn: batch.streamArn,
    },
  };
}

function isoMillis(ms: number): string {
  return new Date(ms).toISOString();
}

function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
