/**
 * Amazon Kinesis Data Streams as a StreamSource: lists the stream's shards with their parents and reads each
 * with GetRecords, shaping every record as Lambda's Kinesis record.
 *
 * An enhanced fan-out consumer ARN is read with GetRecords on its stream: AWS pushes such a consumer's records
 * over HTTP/2 (SubscribeToShard), which the emulators lack; the records and their order are the same.
 */
import {
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type GetShardIteratorInput,
  ListShardsCommand,
} from "@aws-sdk/client-kinesis";
import { regionForArn } from "../../aws/client-config.js";
import { describeServiceError } from "../../aws/service-error.js";
import { RECORDS_ENVELOPE_BYTES } from "../../pipeline/payload-size.js";
import { IteratorShardReader } from "../shard-iterator.js";
import {
  recordsEvent,
  type Shard,
  type ShardPosition,
  type ShardReader,
  type StreamRecord,
  type StreamSource,
  TextStreamRecord,
} from "../source.js";
import { kinesisClient, parseStreamArn } from "./client.js";
import { kinesisEventWriter } from "./event.js";
import { type WireKinesisRecord, wireGetRecords } from "./wire-records.js";

/** GetRecords returns at most 10,000 records. */
const MAX_RECORDS_PER_READ = 10_000;

/**
 * AWS polls a shard once a second; GetRecords allows 5 calls a second per shard, shared by all its consumers.
 * 3.3 calls a second while records trickle in picks them up sooner than AWS and still leaves room for others;
 * a shard that has stayed empty for 3 s (a trickle of a record a second rarely leaves such a gap) is polled
 * once a second, as AWS does.
 */
const IDLE_POLL_MS = { active: 300, idle: 1_000, idleAfter: 3_000 } as const;

export type KinesisRecord = StreamRecord;

export interface KinesisSourceOptions {
  /** The stream's ARN, or an enhanced fan-out consumer's. */
  arn: string;
  /** The region to use when the ARN names none. */
  region: string;
  /** The function's execution role: records carry it as `invokeIdentityArn`. */
  roleArn: string;
}

export class KinesisSource implements StreamSource<KinesisRecord> {
  readonly envelopeBytes = RECORDS_ENVELOPE_BYTES;
  readonly idlePollMs = IDLE_POLL_MS;
  private readonly client;
  private readonly region: string;
  private readonly streamArn: string;
  private readonly roleArn: string;

  constructor({ arn, region, roleArn }: KinesisSourceOptions) {
    this.region = regionForArn(arn, region);
    this.client = kinesisClient(this.region);
    this.streamArn = parseStreamArn(arn).streamArn;
    this.roleArn = roleArn;
  }

  async shards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let NextToken: string | undefined;
    do {
      // A page token stands for the stream: ListShards refuses both together.
      const page = await this.client.send(
        new ListShardsCommand(NextToken ? { NextToken } : { StreamARN: this.streamArn }),
      );
      for (const shard of page.Shards ?? [])
        shards.push({
          id: shard.ShardId as string,
          parentIds: [shard.ParentShardId, shard.AdjacentParentShardId].filter((id) => id !== undefined),
        });
      NextToken = page.NextToken;
    } while (NextToken);
    return shards;
  }

  openShard(shardId: string, from: ShardPosition): ShardReader<KinesisRecord> {
    const { client, streamArn, region, roleArn } = this;
    const eventJson = kinesisEventWriter({ shardId, streamArn, region, roleArn });
    return new IteratorShardReader<WireKinesisRecord, KinesisRecord>(
      {
        iterator: async (position, abortSignal) => {
          const { ShardIterator } = await client.send(
            new GetShardIteratorCommand({
              StreamARN: streamArn,
              ShardId: shardId,
              ...iteratorStart(position),
            }),
            { abortSignal },
          );
          return ShardIterator as string;
        },
        records: async (ShardIterator, Limit, abortSignal) => {
          const out = wireGetRecords(
            await client.send(new GetRecordsCommand({ StreamARN: streamArn, ShardIterator, Limit }), {
              abortSignal,
            }),
          );
          return {
            records: out.Records ?? [],
            nextIterator: out.NextShardIterator ?? undefined,
            behindMs: out.MillisBehindLatest,
          };
        },
        expired: (err) => err instanceof ExpiredIteratorException,
      },
      from,
      MAX_RECORDS_PER_READ,
      (record) =>
        new TextStreamRecord(
          record.SequenceNumber,
          eventJson(record),
          Math.round(record.ApproximateArrivalTimestamp * 1000),
          record.PartitionKey,
        ),
    );
  }

  readonly batchEvent = recordsEvent;

  describeError(err: unknown): string {
    return describeServiceError("Kinesis", "GetRecords", err);
  }

  async close(): Promise<void> {
    // The Kinesis client is shared per region; nothing of this source's own to release.
  }
}

function iteratorStart(position: ShardPosition): Omit<GetShardIteratorInput, "ShardId"> {
  switch (position.type) {
    case "AT_TIMESTAMP":
      return { ShardIteratorType: "AT_TIMESTAMP", Timestamp: new Date(position.timestampMs) };
    case "AFTER_SEQUENCE_NUMBER":
      return { ShardIteratorType: "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber: position.sequenceNumber };
    default:
      return { ShardIteratorType: position.type };
  }
}
