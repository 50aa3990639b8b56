// bench/kafka: the no-op function Sluice invokes in the throughput runs.
export const handler = async () => ({});
