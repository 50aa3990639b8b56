// bench/streams: the no-op function Sluice invokes in the throughput run.
export const handler = async () => ({});
