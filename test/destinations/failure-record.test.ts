import { describe, expect, it } from "vitest";
import {
  type FailureRecordInput,
  failureRecord,
  type StreamBatch,
  streamBatchInfo,
} from "../../src/destinations/failure-record.js";
import { recordedPayloads } from "../helpers/conformance.js";

const recorded = recordedPayloads.failure_destination_records as Record<string, { value: unknown }>;

/** Keys in order, recursively, with each leaf's JSON type: what must match AWS whatever the values. */
function shape(value: unknown): unknown {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return Object.entries(value).map(([key, child]) => [key, shape(child)]);
}

const batch: StreamBatch = {
  shardId: "shardId-000000000000",
  startSequenceNumber: "49601189658422359378836298521827638475320189012309704722",
  endSequenceNumber: "49601189658422359378836298522902373528957594348623495186",
  firstArrivalMs: Date.UTC(2019, 10, 14, 0, 38, 4, 835),
  lastArrivalMs: Date.UTC(2019, 10, 14, 0, 38, 5, 580),
  batchSize: 2,
  streamArn: "arn:aws:kinesis:us-east-1:000000000000:stream/orders",
};

const base: Omit<FailureRecordInput, "batchInfoKey" | "batchInfo"> = {
  requestId: "c9b8fa9f-5a7f-4a5c-af9c-0c604cde93a5",
  functionArn: "arn:aws:lambda:us-east-1:000000000000:function:orders",
  condition: "RetryAttemptsExhausted",
  approximateInvokeCount: 2,
  response: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
  timestamp: new Date(Date.UTC(2019, 10, 14, 0, 38, 6, 21)),
};

describe("failureRecord", () => {
  it("builds Kinesis's record: keys, order and types as AWS's", () => {
    const record = failureRecord({ ...base, ...streamBatchInfo("kinesis", batch) });
    expect(shape(record)).toEqual(shape(recorded.kinesis_sqs_retry_exhausted_function_error?.value));
    expect(record).toEqual({
      requestContext: {
        requestId: base.requestId,
        functionArn: base.functionArn,
        condition: "RetryAttemptsExhausted",
        approximateInvokeCount: 2,
      },
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      version: "1.0",
      timestamp: "2019-11-14T00:38:06.021Z",
      KinesisBatchInfo: {
        shardId: batch.shardId,
        startSequenceNumber: batch.startSequenceNumber,
        endSequenceNumber: batch.endSequenceNumber,
        approximateArrivalOfFirstRecord: "2019-11-14T00:38:04.835Z",
        approximateArrivalOfLastRecord: "2019-11-14T00:38:05.580Z",
        batchSize: 2,
        streamArn: batch.streamArn,
      },
    });
  });

  it("builds DynamoDB's record, its arrival times to the second", () => {
    const record = failureRecord({
      ...base,
      ...streamBatchInfo("dynamodb", {
        ...batch,
        shardId: "shardId-00000001573689847184-864758bb",
        streamArn: "arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/2019-11-14T00:04:06.388",
      }),
    });
    expect(shape(record)).toEqual(shape(recorded.dynamodb_sqs_retry_exhausted_function_error?.value));
    expect(record.DDBStreamBatchInfo).toMatchObject({
      approximateArrivalOfFirstRecord: "2019-11-14T00:38:04Z",
      approximateArrivalOfLastRecord: "2019-11-14T00:38:05Z",
    });
    expect(record.timestamp).toBe("2019-11-14T00:38:06.021Z");
  });

  it("writes functionError null when the function returned normally (partial batch failure)", () => {
    const record = failureRecord({
      ...base,
      approximateInvokeCount: 4,
      response: { statusCode: 200, executedVersion: "$LATEST" },
      ...streamBatchInfo("kinesis", batch),
    });
    expect(shape(record)).toEqual(shape(recorded.kinesis_partial_batch_failure_exhausted?.value));
    expect(record.responseContext).toEqual({
      statusCode: 200,
      executedVersion: "$LATEST",
      functionError: null,
    });
    const ddb = failureRecord({
      ...base,
      response: { statusCode: 200, executedVersion: "$LATEST" },
      ...streamBatchInfo("dynamodb", batch),
    });
    expect(shape(ddb)).toEqual(shape(recorded.dynamodb_partial_batch_failure_exhausted?.value));
  });

  it("leaves responseContext out for RecordAgeExceeded, invoked or not", () => {
    const expected = shape(recorded.kinesis_record_age_exceeded_while_retrying?.value);
    const invoked = failureRecord({
      ...base,
      condition: "RecordAgeExceeded",
      approximateInvokeCount: 8,
      ...streamBatchInfo("kinesis", batch),
    });
    expect(shape(invoked)).toEqual(expected);
    const { response: _, ...neverReached } = base;
    const notInvoked = failureRecord({
      ...neverReached,
      condition: "RecordAgeExceeded",
      approximateInvokeCount: 0,
      ...streamBatchInfo("kinesis", batch),
    });
    expect(shape(notInvoked)).toEqual(expected);
    expect(notInvoked.requestContext).toMatchObject({
      condition: "RecordAgeExceeded",
      approximateInvokeCount: 0,
    });
  });

  it("leaves responseContext out when the function was never reached", () => {
    const { response: _, ...neverReached } = base;
    const record = failureRecord({ ...neverReached, ...streamBatchInfo("kinesis", batch) });
    expect(Object.keys(record)).toEqual(["requestContext", "version", "timestamp", "KinesisBatchInfo"]);
  });

  it("takes any batch info key, for Kafka's KafkaBatchInfo", () => {
    const kafkaBatchInfo = {
      batchSize: 1,
      eventSourceArn: "arn:aws:kafka:us-east-1:000000000000:cluster/c/1",
    };
    const record = failureRecord({ ...base, batchInfoKey: "KafkaBatchInfo", batchInfo: kafkaBatchInfo });
    expect(Object.keys(record).at(-1)).toBe("KafkaBatchInfo");
    expect(record.KafkaBatchInfo).toBe(kafkaBatchInfo);
  });
});
