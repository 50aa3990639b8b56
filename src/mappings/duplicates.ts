/**
 * Lambda refuses a second mapping of the same source to the same function, naming the existing one. What
 * "the same source" means depends on the kind; the messages are AWS's, spaces inside the quotes included.
 */
import { nameOfFunctionArn } from "../functions/function-name.js";
import { ResourceConflictException } from "../runtime/errors.js";
import type { EventSourceMapping, MappingConfig, SourceKind } from "./types.js";

interface Candidate {
  kind: SourceKind;
  functionArn: string;
  config: MappingConfig;
}

const overlaps = (a: readonly string[] = [], b: readonly string[] = []) => a.some((x) => b.includes(x));
const bootstrapServers = (config: MappingConfig) =>
  config.SelfManagedEventSource?.Endpoints?.KAFKA_BOOTSTRAP_SERVERS;

/**
 * Two DocumentDB mappings see the same changes when they watch the same database and their collections overlap
 * (no CollectionName: all of them); one function may watch different collections of one cluster.
 */
function sameChanges(a: MappingConfig, b: MappingConfig): boolean {
  const [x, y] = [a.DocumentDBEventSourceConfig, b.DocumentDBEventSourceConfig];
  return (
    x?.DatabaseName === y?.DatabaseName &&
    (x?.CollectionName === undefined ||
      y?.CollectionName === undefined ||
      x.CollectionName === y.CollectionName)
  );
}

function sameSource(candidate: Candidate, existing: EventSourceMapping): boolean {
  if (existing.kind !== candidate.kind || existing.functionArn !== candidate.functionArn) return false;
  const a = candidate.config;
  const b = existing.config;
  switch (candidate.kind) {
    case "kafka":
      return overlaps(bootstrapServers(a), bootstrapServers(b)) && overlaps(a.Topics, b.Topics);
    case "msk":
      return a.EventSourceArn === b.EventSourceArn && overlaps(a.Topics, b.Topics);
    case "mq":
      return a.EventSourceArn === b.EventSourceArn && overlaps(a.Queues, b.Queues);
    case "documentdb":
      return a.EventSourceArn === b.EventSourceArn && sameChanges(a, b);
    default:
      return a.EventSourceArn === b.EventSourceArn;
  }
}

export function rejectDuplicate(candidate: Candidate, existing: readonly EventSourceMapping[]): void {
  const duplicate = existing.find((m) => sameSource(candidate, m));
  if (!duplicate) return;
  const { config, functionArn } = candidate;
  const tail = `already exists. Please update or delete the existing mapping with UUID ${duplicate.uuid}`;
  const name = nameOfFunctionArn(functionArn);
  switch (candidate.kind) {
    case "sqs":
      throw new ResourceConflictException(
        `An event source mapping with SQS arn (" ${config.EventSourceArn} ") and function (" ${name} ") ${tail}`,
      );
    case "kafka":
    case "msk": {
      const source =
        candidate.kind === "kafka" ? (bootstrapServers(config) ?? []).join(",") : config.EventSourceArn;
      throw new ResourceConflictException(
        `An event source mapping with event source ("${source}"), function ("${functionArn}"), topics ("${(config.Topics ?? []).join(",")}") ${tail}`,
      );
    }
    default:
      throw new ResourceConflictException(
        `The event source arn (" ${config.EventSourceArn} ") and function (" ${name} ") provided mapping ${tail}`,
      );
  }
}
