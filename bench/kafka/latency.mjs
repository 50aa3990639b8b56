// bench/kafka: not used by the Kafka runs (the harness registers a `latency` function for every bench).
export const handler = async () => ({});
