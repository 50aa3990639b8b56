import { Readable } from "node:stream";
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  KinesisClient,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import { describe, expect, it } from "vitest";
import { wireGetRecords, withWireGetRecords } from "../../../src/sources/kinesis/wire-records.js";

/** A Kinesis client whose every call is answered with `status` and `body`, as Node's HTTP handler would. */
function answering(status: number, body: unknown, { wire = true } = {}) {
  const seen: string[] = [];
  const client = new KinesisClient({
    region: "us-east-1",
    endpoint: "http://kinesis.invalid",
    credentials: { accessKeyId: "a", secretAccessKey: "b" },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { headers: Record<string, string> }) => {
        seen.push(request.headers["x-amz-target"] ?? "");
        return {
          response: {
            statusCode: status,
            headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "req-1" },
            body: Readable.from([Buffer.from(JSON.stringify(body))]),
          },
        };
      },
    },
  });
  return { client: wire ? withWireGetRecords(client) : client, seen };
}

const WIRE = {
  Records: [
    {
      SequenceNumber: "49590338271490256608559692538361571095921575989136588898",
      ApproximateArrivalTimestamp: 1.545084650987e9,
      Data: "eyJuIjoxfQ==",
      PartitionKey: "key-1",
    },
  ],
  NextShardIterator: "next",
  MillisBehindLatest: 0,
};

describe("withWireGetRecords", () => {
  it("answers GetRecords with the service's JSON as it is, and the SDK's metadata", async () => {
    const { client, seen } = answering(200, WIRE);
    const out = await client.send(new GetRecordsCommand({ ShardIterator: "it" }));
    expect(seen).toEqual(["Kinesis_20131202.GetRecords"]);
    const { $metadata, ...rest } = wireGetRecords(out) as unknown as Record<string, unknown> & {
      $metadata: { httpStatusCode: number; requestId: string; attempts: number };
    };
    // Base64 text and epoch seconds, not the bytes and the Date the SDK would make of them.
    expect(rest).toEqual(WIRE);
    expect($metadata).toMatchObject({ httpStatusCode: 200, requestId: "req-1", attempts: 1 });
  });

  it("refuses an answer the SDK decoded, rather than write bytes and dates into events", async () => {
    const { client } = answering(200, WIRE, { wire: false });
    const out = await client.send(new GetRecordsCommand({ ShardIterator: "it" }));
    expect(() => wireGetRecords(out)).toThrow(/answered decoded/);
  });

  it("leaves errors to the SDK, which throws its exception classes", async () => {
    const { client } = answering(400, {
      __type: "ExpiredIteratorException",
      message: "Iterator expired",
    });
    const thrown = await client.send(new GetRecordsCommand({ ShardIterator: "it" })).catch((err) => err);
    expect(thrown).toBeInstanceOf(ExpiredIteratorException);
    expect(thrown.message).toBe("Iterator expired");
  });

  it("leaves other operations to the SDK's deserialisation", async () => {
    const { client } = answering(200, {
      Shards: [
        {
          ShardId: "shardId-000000000000",
          HashKeyRange: { StartingHashKey: "0", EndingHashKey: "1" },
          SequenceNumberRange: { StartingSequenceNumber: "1" },
        },
      ],
    });
    const out = await client.send(new ListShardsCommand({ StreamName: "s" }));
    expect(out.Shards?.[0]?.ShardId).toBe("shardId-000000000000");
    expect(out.$metadata.httpStatusCode).toBe(200);
  });
});
