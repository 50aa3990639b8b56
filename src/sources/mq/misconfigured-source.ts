/**
 * The source of a mapping whose broker or secret Sluice cannot resolve: every receive fails with why, so the
 * queue worker reports it in the mapping's LastProcessingResult and StateTransitionReason (and keeps trying,
 * with backoff, as it does for any broker it cannot reach).
 */
import { RECORDS_ENVELOPE_BYTES } from "../../pipeline/payload-size.js";
import { BrokerConfigError } from "../broker-config-error.js";
import type { QueueSource, SourceRecord } from "../source.js";

export class MisconfiguredSource implements QueueSource<SourceRecord> {
  readonly maxPerReceive = 1;
  readonly cancellableReceive = true;
  readonly envelopeBytes = RECORDS_ENVELOPE_BYTES;

  constructor(private readonly error: unknown) {}

  async receive(): Promise<SourceRecord[]> {
    throw this.error;
  }

  batchEvent(): unknown {
    throw this.error;
  }

  async ack(): Promise<string[]> {
    return [];
  }

  async retry(): Promise<void> {}

  async deadLetter(): Promise<void> {}

  async release(): Promise<void> {}

  describeError(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
  }

  errorCode(err: unknown): string | undefined {
    return err instanceof BrokerConfigError ? err.code : undefined;
  }

  async close(): Promise<void> {}
}
