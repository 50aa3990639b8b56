/**
 * Settings for the AWS SDK clients Sluice uses to reach event sources and destinations. Endpoints, region and
 * credentials come from the SDK's own configuration (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>, AWS_REGION,
 * the credentials chain); Sluice adds two conveniences for local emulators.
 */
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** The region to sign for: the ARN's when it is a real region, else Sluice's (DynamoDB Local says `ddblocal`). */
export function regionForArn(arn: string, fallback: string): string {
  const region = arn.split(":")[3] ?? "";
  return REGION.test(region) ? region : fallback;
}

/**
 * Emulators accept any credentials, so when the endpoint points at one and no credentials are configured,
 * Sluice signs with placeholder credentials instead of failing.
 */
export function emulatorCredentials(
  serviceEnvSuffix: string,
  env: NodeJS.ProcessEnv = process.env,
): { accessKeyId: string; secretAccessKey: string } | undefined {
  const endpointSet =
    env.AWS_ENDPOINT_URL !== undefined || env[`AWS_ENDPOINT_URL_${serviceEnvSuffix}`] !== undefined;
  const credentialsSet =
    env.AWS_ACCESS_KEY_ID !== undefined ||
    env.AWS_PROFILE !== undefined ||
    env.AWS_WEB_IDENTITY_TOKEN_FILE !== undefined;
  return endpointSet && !credentialsSet ? { accessKeyId: "sluice", secretAccessKey: "sluice" } : undefined;
}

/** Client options shared by every AWS SDK client Sluice makes. */
export function awsClientOptions(serviceEnvSuffix: string, region: string) {
  const credentials = emulatorCredentials(serviceEnvSuffix);
  return { region, maxAttempts: 3, ...(credentials ? { credentials } : {}) };
}

/**
 * Drops the SDK's logger middleware. It passes every request and response through the SDK's sensitive-data
 * filter before handing them to the logger, even to the no-op logger Sluice leaves in place: on a
 * 10,000-record GetRecords answer that walk costs nearly as much as parsing the answer. Sluice logs its calls'
 * outcomes itself.
 */
export function withoutSdkLogging<T extends { middlewareStack: { remove(name: string): boolean } }>(
  client: T,
): T {
  client.middlewareStack.remove("loggerMiddleware");
  return client;
}

/** Memoises one client per region: SDK clients hold connection pools and are meant to be shared. */
export function perRegion<T>(make: (region: string) => T): (region: string) => T {
  const clients = new Map<string, T>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = make(region);
      clients.set(region, client);
    }
    return client;
  };
}
