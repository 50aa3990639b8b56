/**
 * Mapping states with AWS's names, and every transition in one place. An API call moves a mapping into a
 * transitional state; the runtime settles it once the mapping's worker has started or stopped.
 */
export const MAPPING_STATES = [
  "Creating",
  "Enabling",
  "Enabled",
  "Disabling",
  "Disabled",
  "Updating",
  "Deleting",
] as const;

export type MappingState = (typeof MAPPING_STATES)[number];

export type SettledState = "Enabled" | "Disabled";

export function isTransitional(state: MappingState): boolean {
  return state !== "Enabled" && state !== "Disabled";
}

/** The state a create answers with: Lambda shows a mapping created disabled as Disabled at once. */
export function stateOnCreate(enabled: boolean): MappingState {
  return enabled ? "Creating" : "Disabled";
}

/** The state an update answers with: toggling passes through Enabling/Disabling, anything else Updating. */
export function stateOnUpdate(wasEnabled: boolean, enabled: boolean): MappingState {
  if (wasEnabled === enabled) return "Updating";
  return enabled ? "Enabling" : "Disabling";
}

export function settledState(enabled: boolean): SettledState {
  return enabled ? "Enabled" : "Disabled";
}
