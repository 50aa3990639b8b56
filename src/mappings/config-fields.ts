/**
 * Turning a request body into configuration: which body members are configuration, and how a value given on
 * create or update lands in the stored configuration (empty values remove a setting, as AWS documents:
 * `FilterCriteria {}`, `ScalingConfig {}`, `DestinationConfig {"OnFailure":{"Destination":""}}`, ...).
 */
import type { ConfigField, SourceKindSpec } from "./source-kinds.js";
import type { MappingConfig } from "./types.js";
import type { ConfigInput } from "./validate.js";

const NOT_CONFIG = new Set(["FunctionName", "Enabled", "Tags", "UUID"]);

/** The configuration members of a request body (already checked against the API model). */
export function configInput(body: Record<string, unknown>): ConfigInput {
  const input: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!NOT_CONFIG.has(key) && value !== null && value !== undefined) input[key] = value;
  }
  return input as ConfigInput;
}

/** The configuration after applying `input` to `config`; `config` is not modified. */
export function applyConfig(spec: SourceKindSpec, config: MappingConfig, input: ConfigInput): MappingConfig {
  const next: MappingConfig = structuredClone(config);
  const target = next as unknown as Record<string, unknown>;
  const defaults = spec.defaults("") as unknown as Record<string, unknown>;
  const unset = (field: ConfigField) => {
    if (field in defaults) target[field] = structuredClone(defaults[field]);
    else delete target[field];
  };
  for (const [key, value] of Object.entries(input) as [ConfigField, unknown][]) {
    switch (key) {
      case "FilterCriteria": {
        const filters = input.FilterCriteria?.Filters;
        if (filters && filters.length > 0) next.FilterCriteria = { Filters: filters.map((f) => ({ ...f })) };
        else unset(key);
        break;
      }
      case "DestinationConfig": {
        const destination = input.DestinationConfig?.OnFailure?.Destination;
        if (destination) next.DestinationConfig = { OnFailure: { Destination: destination } };
        else unset(key);
        break;
      }
      case "ScalingConfig":
        if (input.ScalingConfig?.MaximumConcurrency !== undefined)
          next.ScalingConfig = { ...input.ScalingConfig };
        else unset(key);
        break;
      case "ProvisionedPollerConfig": {
        const pollers = input.ProvisionedPollerConfig ?? {};
        if (pollers.MinimumPollers !== undefined || pollers.MaximumPollers !== undefined)
          next.ProvisionedPollerConfig = { ...pollers };
        else unset(key);
        break;
      }
      case "MetricsConfig":
        if (input.MetricsConfig?.Metrics?.length)
          next.MetricsConfig = { Metrics: [...input.MetricsConfig.Metrics] };
        else unset(key);
        break;
      case "KMSKeyArn":
        if (input.KMSKeyArn) next.KMSKeyArn = input.KMSKeyArn;
        else unset(key);
        break;
      case "DocumentDBEventSourceConfig":
      case "AmazonManagedKafkaEventSourceConfig":
      case "SelfManagedKafkaEventSourceConfig":
        // Members left out keep their value (a generated ConsumerGroupId, the DatabaseName).
        target[key] = { ...(target[key] as object | undefined), ...(value as object) };
        break;
      default:
        target[key] = structuredClone(value);
    }
  }
  return next;
}
