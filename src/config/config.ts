/**
 * Sluice's own config file (YAML or JSON): region and account for the ARNs it makes, the functions it can
 * invoke, how to reach brokers AWS names by ARN, and stand-ins for Secrets Manager secrets. `${NAME}` in any
 * string is replaced by the environment variable NAME. Unknown keys and bad values are rejected with the path
 * of the offending key.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { MQ_ENDPOINT_SCHEMES } from "../sources/mq/broker-access.js";

const FUNCTION_NAME = /^[a-zA-Z0-9-_]{1,64}$/;

const functionSchema = z
  .strictObject({
    handler: z
      .string()
      .regex(
        /^.+\.[A-Za-z_$][\w$]*$/,
        'must be "<module path>.<export name>", e.g. ./functions/orders.handler',
      )
      .optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
    arn: z
      .string()
      .regex(
        /^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_]+(:[a-zA-Z0-9-_$]+)?$/,
        "must be a Lambda function ARN",
      )
      .optional(),
    timeout: z.number().int().min(1).max(900).default(3),
    memorySize: z.number().int().min(128).max(10240).default(128),
    reservedConcurrency: z.number().int().min(1).optional(),
    environment: z.record(z.string(), z.string()).default({}),
    /** The execution role stream events name as `invokeIdentityArn`; default `arn:aws:iam::<account>:role/<name>`. */
    role: z
      .string()
      .regex(/^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "must be an IAM role ARN")
      .optional(),
  })
  .refine((f) => [f.handler, f.url, f.arn].filter((t) => t !== undefined).length === 1, {
    message: "set exactly one of handler, url or arn",
  });

const brokerSchema = z
  .strictObject({
    endpoints: z
      .array(
        z.string().refine((e) => MQ_ENDPOINT_SCHEMES.some((scheme) => e.startsWith(scheme)), {
          message: `Amazon MQ endpoints start with ${MQ_ENDPOINT_SCHEMES.join(", ")}`,
        }),
      )
      .min(1)
      .optional(),
    /**
     * Amazon MQ: concurrent batches per mapping, in place of AWS's 5 (ActiveMQ) or 1 (RabbitMQ), which AWS
     * Support raises per mapping on request.
     */
    concurrency: z.number().int().min(1).max(100).optional(),
    bootstrapServers: z.array(z.string().min(1)).min(1).optional(),
    uri: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, "a DocumentDB uri is a MongoDB connection string (mongodb://...)")
      .optional(),
    /**
     * DocumentDB: how long the cluster keeps change stream events (its change_stream_log_retention_duration,
     * 3 hours by default): TRIM_HORIZON starts this far back, as AWS starts it.
     */
    changeStreamRetentionSeconds: z.number().int().min(1).optional(),
  })
  .refine((b) => b.endpoints ?? b.bootstrapServers ?? b.uri, {
    message: "set endpoints (Amazon MQ), bootstrapServers (MSK) or uri (DocumentDB)",
  });

const configSchema = z.strictObject({
  region: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "must be an AWS region such as us-east-1")
    .default("us-east-1"),
  accountId: z
    .string()
    .regex(/^\d{12}$/, 'must be a quoted 12-digit string, e.g. "000000000000"')
    .default("000000000000"),
  functions: z
    .record(
      z.string().regex(FUNCTION_NAME, "function names are 1-64 characters of a-z, A-Z, 0-9, - and _"),
      functionSchema,
    )
    .default({}),
  brokers: z.record(z.string().startsWith("arn:", "broker keys are ARNs"), brokerSchema).default({}),
  secrets: z
    .record(z.string().startsWith("arn:", "secret keys are ARNs"), z.record(z.string(), z.string()))
    .default({}),
});

export type SluiceConfig = z.infer<typeof configSchema> & {
  /** Directory handler paths are resolved against: the config file's own. */
  baseDir: string;
};
export type FunctionConfig = z.infer<typeof functionSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Loads and checks a config file; with no file, the defaults (no functions) apply. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): SluiceConfig {
  if (file === undefined) return parseConfig({}, process.cwd(), env);
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError(`${file}: config file not found`);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return parseConfig(raw ?? {}, dirname(path), env);
  } catch (err) {
    throw err instanceof ConfigError ? new ConfigError(`${file}: ${err.message}`) : err;
  }
}

export function parseConfig(
  raw: unknown,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): SluiceConfig {
  const result = configSchema.safeParse(substituteEnv(raw, [], env));
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue?.path.length ? issue.path.join(".") : "(top level)";
    // A bad record key carries the key's own issue inside; that one says what is wrong.
    const detail = issue && "issues" in issue ? (issue.issues as { message: string }[])[0] : undefined;
    throw new ConfigError(`${path}: ${detail?.message ?? issue?.message ?? "invalid"}`);
  }
  return { ...result.data, baseDir };
}

function substituteEnv(value: unknown, path: string[], env: NodeJS.ProcessEnv): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const replacement = env[name];
      if (replacement === undefined)
        throw new ConfigError(`${path.join(".") || "(top level)"}: environment variable ${name} is not set`);
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...path, String(i)], env));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, [...path, k], env)]),
    );
  }
  return value;
}
