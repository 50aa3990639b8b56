/** A mapping as the Lambda API returns it: the kind's keys only, timestamps in epoch seconds, keys sorted. */
import { SOURCE_KINDS } from "./source-kinds.js";
import type { EventSourceMapping } from "./types.js";

export const NO_RECORDS_PROCESSED = "No records processed";

export function mappingArn(region: string, account: string, uuid: string): string {
  return `arn:aws:lambda:${region}:${account}:event-source-mapping:${uuid}`;
}

export interface ResponseOptions {
  region: string;
  account: string;
  /** ListEventSourceMappings hides filter criteria encrypted with a customer key, as AWS does. */
  hideEncryptedFilters?: boolean;
}

export function toResponse(mapping: EventSourceMapping, options: ResponseOptions): Record<string, unknown> {
  const spec = SOURCE_KINDS[mapping.kind];
  const lastProcessingResult =
    mapping.lastProcessingResult ?? (spec.reportsInitialProcessingResult ? NO_RECORDS_PROCESSED : undefined);
  const body: Record<string, unknown> = {
    ...spec.shownWhenAbsent,
    ...mapping.config,
    UUID: mapping.uuid,
    EventSourceMappingArn: mappingArn(options.region, options.account, mapping.uuid),
    FunctionArn: mapping.functionArn,
    LastModified: mapping.lastModified / 1000,
    State: mapping.state,
    StateTransitionReason: mapping.stateTransitionReason,
    ...(lastProcessingResult !== undefined ? { LastProcessingResult: lastProcessingResult } : {}),
  };
  if (options.hideEncryptedFilters && mapping.config.KMSKeyArn && mapping.config.FilterCriteria)
    body.FilterCriteria = null;
  return Object.fromEntries(Object.entries(body).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
