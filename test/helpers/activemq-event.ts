/** The keys of Lambda's ActiveMQ message entry, in AWS's order (reference/aws-esm-facts.md §6.1). */
export const ACTIVEMQ_MESSAGE_KEYS = [
  "messageID",
  "messageType",
  "deliveryMode",
  "replyTo",
  "type",
  "expiration",
  "priority",
  "correlationId",
  "redelivered",
  "destination",
  "data",
  "timestamp",
  "brokerInTime",
  "brokerOutTime",
] as const;
