/**
 * The functions Sluice can invoke, as the config file declares them, and the resolution of an API
 * FunctionName to one of them.
 */
import type { FunctionConfig, SluiceConfig } from "../config/config.js";
import { functionArn, MAX_FUNCTION_NAME_LENGTH, parseFunctionName } from "./function-name.js";

export interface ResolvedFunction {
  name: string;
  qualifier?: string;
  /** The ARN responses carry: Sluice's region and account, with the qualifier when one was given. */
  arn: string;
  config: FunctionConfig;
}

export class FunctionRegistry {
  constructor(
    private readonly functions: Readonly<Record<string, FunctionConfig>>,
    private readonly region: string,
    private readonly account: string,
  ) {}

  static fromConfig(config: SluiceConfig): FunctionRegistry {
    return new FunctionRegistry(config.functions, config.region, config.accountId);
  }

  /** The function a FunctionName names, or undefined when Lambda would answer "Function does not exist". */
  resolve(functionName: string): ResolvedFunction | undefined {
    const ref = parseFunctionName(functionName);
    if (!ref || ref.name.length > MAX_FUNCTION_NAME_LENGTH) return undefined;
    if (ref.region !== undefined && ref.region !== this.region) return undefined;
    if (ref.account !== undefined && ref.account !== this.account) return undefined;
    const config = Object.hasOwn(this.functions, ref.name) ? this.functions[ref.name] : undefined;
    if (!config) return undefined;
    return {
      name: ref.name,
      ...(ref.qualifier !== undefined ? { qualifier: ref.qualifier } : {}),
      arn: functionArn(this.region, this.account, ref.name, ref.qualifier),
      config,
    };
  }
}
