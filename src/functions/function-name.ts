/**
 * Lambda accepts a function as a name, a partial ARN (`123456789012:function:name`) or a full ARN, each with
 * an optional qualifier (`$LATEST`, a version or an alias).
 */

export interface FunctionRef {
  name: string;
  qualifier?: string;
  region?: string;
  account?: string;
}

const FUNCTION_NAME =
  /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:-gov)?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/;

/** Lambda limits a bare function name to 64 characters; the model's 140 applies to the whole ARN. */
export const MAX_FUNCTION_NAME_LENGTH = 64;

export function parseFunctionName(input: string): FunctionRef | undefined {
  const match = FUNCTION_NAME.exec(input);
  if (!match) return undefined;
  const [, region, account, name = "", qualifier] = match;
  return {
    name,
    ...(qualifier !== undefined ? { qualifier } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(account !== undefined ? { account } : {}),
  };
}

export function functionArn(region: string, account: string, name: string, qualifier?: string): string {
  const base = `arn:aws:lambda:${region}:${account}:function:${name}`;
  return qualifier === undefined ? base : `${base}:${qualifier}`;
}

/** The function name inside a function ARN (qualified or not). */
export function nameOfFunctionArn(arn: string): string {
  return arn.split(":")[6] ?? arn;
}
