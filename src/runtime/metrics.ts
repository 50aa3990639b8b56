/**
 * Prometheus metrics at /metrics, named as AWS names its event source mapping metrics
 * (reference/aws-esm-facts.md §11) and labelled by mapping UUID and function, so a CloudWatch dashboard's
 * queries translate one to one.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

const LABELS = ["uuid", "function"] as const;
type Labels = { uuid: string; function: string };

export class Metrics {
  readonly registry = new Registry();

  private readonly counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: LABELS, registers: [this.registry] });

  readonly polled = this.counter("PolledEventCount", "Events read from the source.");
  readonly filteredOut = this.counter("FilteredOutEventCount", "Events dropped by the filter criteria.");
  readonly invoked = this.counter("InvokedEventCount", "Events sent to the function; retries count again.");
  readonly failedInvoke = this.counter(
    "FailedInvokeEventCount",
    "Events whose invocation failed, or that a partial batch response named.",
  );
  readonly deleted = this.counter("DeletedEventCount", "Events deleted from the queue after processing.");
  readonly dropped = this.counter(
    "DroppedEventCount",
    "Stream events given up (retries or record age exhausted) and not sent to an on-failure destination.",
  );
  readonly destinationDelivered = this.counter(
    "OnFailureDestinationDeliveredEventCount",
    "Stream events given up and sent to the on-failure destination.",
  );
  readonly destinationFailures = this.counter(
    "DestinationDeliveryFailures",
    "On-failure records that could not be delivered to the destination.",
  );
  readonly committed = this.counter(
    "CommittedEventCount",
    "Kafka: offsets committed, summed over partitions.",
  );
  readonly commitErrors = this.counter("CommitErrorCount", "Kafka: offset commits that failed.");
  readonly pollingErrors = this.counter("PollingErrorCount", "Kafka: failures to reach or read the cluster.");
  readonly invokeErrors = this.counter("InvokeErrorCount", "Kafka: batches whose invocation failed.");
  readonly oversized = this.counter(
    "OversizedRecordCount",
    "Records dropped because no invocation can carry them (over 6 MB).",
  );
  private readonly gauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: LABELS, registers: [this.registry] });
  /** Kafka's lag at topic level: records written to the partitions this node reads and not yet committed. */
  readonly offsetLag = this.gauge(
    "OffsetLag",
    "Kafka: records written and not yet processed, over the topic.",
  );
  readonly maxOffsetLag = this.gauge("MaxOffsetLag", "Kafka: the largest lag of one partition.");
  readonly sumOffsetLag = this.gauge("SumOffsetLag", "Kafka: the lag summed over partitions.");
  /** AWS's IteratorAge: how old the last record of a stream batch was when the batch finished. */
  readonly iteratorAge = new Gauge({
    name: "IteratorAge",
    help: "Milliseconds between a stream receiving the last record of a batch and the batch finishing.",
    labelNames: LABELS,
    registers: [this.registry],
  });
  /** Not an AWS metric: how far the automatic scaling has got, next to the MaximumConcurrency it stops at. */
  readonly pollers = new Gauge({
    name: "ConcurrentPollers",
    help: "Pollers running for the mapping, each with at most one batch in flight.",
    labelNames: LABELS,
    registers: [this.registry],
  });
  readonly invocationDuration = new Histogram({
    name: "InvocationDurationSeconds",
    help: "How long each invocation of the function took.",
    labelNames: LABELS,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 900],
    registers: [this.registry],
  });

  /** The label values of one mapping, to pass to `.inc(labels, n)`. */
  static labels(uuid: string, functionArn: string): Labels {
    return { uuid, function: functionArn };
  }

  /** Drops a deleted mapping's series. */
  forget(labels: Labels): void {
    for (const metric of [
      this.polled,
      this.filteredOut,
      this.invoked,
      this.failedInvoke,
      this.deleted,
      this.dropped,
      this.destinationDelivered,
      this.destinationFailures,
      this.committed,
      this.commitErrors,
      this.pollingErrors,
      this.invokeErrors,
      this.oversized,
      this.offsetLag,
      this.maxOffsetLag,
      this.sumOffsetLag,
    ]) {
      metric.remove(labels);
    }
    this.pollers.remove(labels);
    this.iteratorAge.remove(labels);
    this.invocationDuration.remove(labels);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
