import { eventText } from "../pipeline/payload-size.js";
import type { Destination } from "./destination.js";
import { DestinationError } from "./errors.js";

/** Sends one message to a topic of the mapping's own cluster. */
export type TopicSend = (topic: string, message: { key: Buffer | null; value: string }) => Promise<void>;

/**
 * `kafka://<topic>`: the failure record with the discarded batch as `payload`, produced to a topic of the source
 * cluster under the first record's key (keyless records are spread by the producer), as AWS does
 * (reference/aws-esm-facts.md §5.4).
 */
export function kafkaTopicDestination(destination: string, send: TopicSend): Destination {
  const topic = destination.slice("kafka://".length);
  return {
    async deliver(record, { payload }) {
      const event = JSON.parse(eventText(payload)) as { records?: Record<string, { key?: string }[]> };
      const first = Object.values(event.records ?? {})[0]?.[0];
      try {
        await send(topic, {
          key: first?.key === undefined ? null : Buffer.from(first.key, "base64"),
          value: JSON.stringify({ ...record, payload: event }),
        });
      } catch (err) {
        throw new DestinationError(destination, `producing to ${topic} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
  };
}
