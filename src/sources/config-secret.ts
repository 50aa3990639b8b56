/**
 * A SourceAccessConfiguration's secret, from the config file's `secrets:` (stand-ins for Secrets Manager): the
 * secret a mapping names for `type`, with the fields the source needs, or a configuration error saying what is
 * missing. Undefined when the mapping names no secret of that type.
 */
import type { SluiceConfig } from "../config/config.js";
import type { MappingConfig } from "../mappings/types.js";
import { BrokerConfigError } from "./broker-config-error.js";

export function configSecret(
  config: Pick<MappingConfig, "SourceAccessConfigurations">,
  secrets: SluiceConfig["secrets"],
  type: string,
  fields: readonly string[],
): Record<string, string> | undefined {
  const arn = config.SourceAccessConfigurations?.find((c) => c.Type === type)?.URI;
  if (arn === undefined) return undefined;
  const found = secrets[arn];
  if (!found || fields.some((f) => found[f] === undefined))
    throw new BrokerConfigError(
      `The ${type} secret ${arn} is not in the config file's secrets with ${fields.join(" and ")}. ` +
        `Reading secrets from AWS Secrets Manager is not built yet.`,
    );
  return found;
}
