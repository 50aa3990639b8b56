/**
 * Amazon SQS as a QueueSource: long-polls the queue, shapes each message as Lambda's SQS record, deletes what
 * the pipeline is done with and hands back (visibility 0) what it gives up on shutdown. A failed batch is simply
 * not deleted: its messages reappear after the queue's visibility timeout, as with AWS.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { regionForArn } from "../../aws/client-config.js";
import { RECORDS_ENVELOPE_BYTES, sizedJson } from "../../pipeline/payload-size.js";
import { type QueueSource, recordsEvent, type SourceRecord } from "../source.js";
import { parseQueueArn, sqsClient } from "./client.js";
import { describeSqsError } from "./errors.js";
import { toSqsRecord } from "./event.js";

/** SQS limits: 10 messages per receive and per batch call, 20 s of long polling. */
const MAX_MESSAGES_PER_RECEIVE = 10;
const MAX_ENTRIES_PER_BATCH_CALL = 10;
const MAX_WAIT_SECONDS = 20;

export interface SqsRecord extends SourceRecord {
  receiptHandle: string;
}

export class SqsSource implements QueueSource<SqsRecord> {
  readonly envelopeBytes = RECORDS_ENVELOPE_BYTES;
  readonly maxPerReceive = MAX_MESSAGES_PER_RECEIVE;
  readonly cancellableReceive = false;
  private readonly client;
  private readonly region: string;
  private queueUrl: Promise<string> | undefined;

  constructor(
    private readonly queueArn: string,
    defaultRegion: string,
  ) {
    this.region = regionForArn(queueArn, defaultRegion);
    this.client = sqsClient(this.region);
  }

  /** Up to 10 messages (SQS's limit per call); the pipeline gathers bigger batches over several calls. */
  async receive(max: number, waitMs: number, signal: AbortSignal): Promise<SqsRecord[]> {
    const QueueUrl = await this.url();
    try {
      const { Messages = [] } = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: Math.max(1, Math.min(max, MAX_MESSAGES_PER_RECEIVE)),
          WaitTimeSeconds: Math.min(MAX_WAIT_SECONDS, Math.ceil(waitMs / 1000)),
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
        { abortSignal: signal },
      );
      return Messages.map((message) => {
        const event = toSqsRecord(message, { queueArn: this.queueArn, region: this.region });
        const groupId = message.Attributes?.MessageGroupId;
        return {
          id: message.MessageId as string,
          receiptHandle: message.ReceiptHandle as string,
          event,
          ...sizedJson(event),
          arrivedAt: Number(message.Attributes?.SentTimestamp ?? Date.now()),
          ...(groupId !== undefined ? { orderKey: groupId } : {}),
        };
      });
    } catch (err) {
      if (signal.aborted) return [];
      throw err;
    }
  }

  readonly batchEvent = recordsEvent;

  async ack(records: readonly SqsRecord[]): Promise<string[]> {
    const QueueUrl = await this.url();
    const deleted: string[] = [];
    for (const chunk of chunks(records, MAX_ENTRIES_PER_BATCH_CALL)) {
      const { Successful = [] } = await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl,
          Entries: chunk.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
      for (const { Id } of Successful) deleted.push((chunk[Number(Id)] as SqsRecord).id);
    }
    return deleted;
  }

  async release(records: readonly SqsRecord[]): Promise<void> {
    const QueueUrl = await this.url();
    for (const chunk of chunks(records, MAX_ENTRIES_PER_BATCH_CALL)) {
      await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl,
          Entries: chunk.map((r, i) => ({
            Id: String(i),
            ReceiptHandle: r.receiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  async retry(): Promise<void> {
    // Not deleted: the messages reappear after the queue's visibility timeout.
  }

  async deadLetter(): Promise<void> {
    // Not deleted: the queue's redrive policy moves them once maxReceiveCount is reached.
  }

  describeError(err: unknown): string {
    return describeSqsError("ReceiveMessage", err);
  }

  async close(): Promise<void> {
    // The SQS client is shared per region; nothing of this source's own to release.
  }

  /** The queue URL, asked once: URLs differ between SQS and emulators, ARNs do not. */
  private url(): Promise<string> {
    this.queueUrl ??= (async () => {
      const { account, name } = parseQueueArn(this.queueArn);
      const { QueueUrl } = await this.client.send(
        new GetQueueUrlCommand({ QueueName: name, ...(account ? { QueueOwnerAWSAccountId: account } : {}) }),
      );
      return QueueUrl as string;
    })().catch((err: unknown) => {
      this.queueUrl = undefined;
      throw err;
    });
    return this.queueUrl;
  }
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
