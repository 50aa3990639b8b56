/**
 * Amazon DynamoDB Streams as a StreamSource: lists the stream's shards with their parents and reads each with
 * GetRecords, shaping every record as Lambda's DynamoDB record. The reading itself is Kinesis's shard-iterator
 * protocol, which DynamoDB Streams shares (../kinesis/shard-iterator.ts).
 */
import {
  DescribeStreamCommand,
  type _Record as DynamodbStreamRecord,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
  TrimmedDataAccessException,
} from "@aws-sdk/client-dynamodb-streams";
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
import { dynamodbStreamsClient } from "./client.js";
import { itemKey, toDynamodbEvent } from "./event.js";

/** GetRecords returns at most 1,000 records; DescribeStream lists at most 100 shards a call. */
const MAX_RECORDS_PER_READ = 1_000;
const MAX_SHARDS_PER_DESCRIBE = 100;

/** AWS polls a DynamoDB stream's shards 4 times a second, idle or not. */
const IDLE_POLL_MS = { active: 250, idle: 250, idleAfter: 0 } as const;

export type DynamodbRecord = StreamRecord;

export interface DynamodbStreamSourceOptions {
  /** The table's stream ARN (DynamoDB Local's carry the region `ddblocal`). */
  arn: string;
  /** The region to use when the ARN names none that AWS has. */
  region: string;
}

export class DynamodbStreamSource implements StreamSource<DynamodbRecord> {
  readonly envelopeBytes = RECORDS_ENVELOPE_BYTES;
  readonly idlePollMs = IDLE_POLL_MS;
  private readonly client;
  private readonly region: string;
  private readonly streamArn: string;

  constructor({ arn, region }: DynamodbStreamSourceOptions) {
    this.streamArn = arn;
    this.region = regionForArn(arn, region);
    this.client = dynamodbStreamsClient(this.region);
  }

  async shards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let ExclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.client.send(
        new DescribeStreamCommand({
          StreamArn: this.streamArn,
          Limit: MAX_SHARDS_PER_DESCRIBE,
          ...(ExclusiveStartShardId ? { ExclusiveStartShardId } : {}),
        }),
      );
      for (const shard of StreamDescription?.Shards ?? [])
        shards.push({
          id: shard.ShardId as string,
          parentIds: shard.ParentShardId ? [shard.ParentShardId] : [],
        });
      ExclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (ExclusiveStartShardId);
    return shards;
  }

  /** DynamoDB Streams has no AT_TIMESTAMP iterator, and Lambda refuses that starting position for it. */
  openShard(shardId: string, from: ShardPosition): ShardReader<DynamodbRecord> {
    if (from.type === "AT_TIMESTAMP")
      throw new Error(
        `DynamoDB Streams cannot start reading at a timestamp, only TRIM_HORIZON or LATEST: ${this.streamArn}`,
      );
    const { client, streamArn } = this;
    return new IteratorShardReader<DynamodbStreamRecord, DynamodbRecord>(
      {
        iterator: async (position, abortSignal) => {
          const { ShardIterator } = await client.send(
            new GetShardIteratorCommand({
              StreamArn: streamArn,
              ShardId: shardId,
              // The reader only ever asks for the position given here or one after a sequence number.
              ShardIteratorType: position.type as ShardIteratorType,
              ...(position.type === "AFTER_SEQUENCE_NUMBER"
                ? { SequenceNumber: position.sequenceNumber }
                : {}),
            }),
            { abortSignal },
          );
          return ShardIterator as string;
        },
        records: async (ShardIterator, Limit, abortSignal) => {
          const out = await client.send(new GetRecordsCommand({ ShardIterator, Limit }), { abortSignal });
          return { records: out.Records ?? [], nextIterator: out.NextShardIterator ?? undefined };
        },
        expired: (err) => err instanceof ExpiredIteratorException,
        trimmed: (err) => err instanceof TrimmedDataAccessException,
      },
      from,
      MAX_RECORDS_PER_READ,
      (record) => this.toRecord(record),
    );
  }

  readonly batchEvent = recordsEvent;

  describeError(err: unknown): string {
    return describeServiceError("DynamoDB Streams", "GetRecords", err);
  }

  async close(): Promise<void> {
    // The DynamoDB Streams client is shared per region; nothing of this source's own to release.
  }

  private toRecord(record: DynamodbStreamRecord): DynamodbRecord {
    const change = record.dynamodb ?? {};
    const event = toDynamodbEvent(record, { streamArn: this.streamArn, region: this.region });
    return new TextStreamRecord(
      change.SequenceNumber as string,
      JSON.stringify(event),
      (change.ApproximateCreationDateTime as Date).getTime(),
      itemKey(change.Keys ?? {}),
      event,
    );
  }
}
