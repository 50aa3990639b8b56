/**
 * A broker, cluster or secret a mapping names that Sluice cannot resolve from its config file: the mapping reports
 * it with AWS's StateTransitionReason for a bad configuration.
 */
export class BrokerConfigError extends Error {
  override name = "BrokerConfigError";
  readonly code = "ESM_CONFIG_NOT_VALID";
}
