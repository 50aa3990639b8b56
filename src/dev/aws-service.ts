import type { IncomingHttpHeaders } from "node:http";

/** Services of JSON-protocol requests, by their X-Amz-Target prefix. */
const TARGET_PREFIXES: ReadonlyArray<readonly [prefix: string, service: string]> = [
  ["AmazonSQS.", "sqs"],
  ["Kinesis_20131202.", "kinesis"],
  ["DynamoDB_20120810.", "dynamodb"],
  ["DynamoDBStreams_20120810.", "dynamodbstreams"],
];

/** The API versions that start Lambda's REST paths (functions, event source mappings, tags). */
const LAMBDA_PATH = /^\/(2015-03-31|2014-11-13|2017-03-31)\//;

/** A SigV4 (or SigV4a) credential's scope: `AKID/date[/region]/service/aws4_request`. */
function scopedService(credential: string | null | undefined): string | undefined {
  const parts = credential?.split("/") ?? [];
  return parts.length >= 4 && parts.at(-1) === "aws4_request" ? parts.at(-2)?.toLowerCase() : undefined;
}

function signedService(url: string, authorization: string | undefined): string | undefined {
  const header = /\bCredential=([^,\s]+)/.exec(authorization ?? "")?.[1];
  if (header !== undefined) return scopedService(header);
  // A presigned URL carries the credential in its query instead.
  const query = url.indexOf("?");
  return query < 0
    ? undefined
    : scopedService(new URLSearchParams(url.slice(query + 1)).get("X-Amz-Credential"));
}

/**
 * The AWS service a request is for, as its SigV4 credential scope names it ("sqs", "sns", "s3", "kinesis",
 * "dynamodb", "lambda", ...), or, for unsigned requests, as X-Amz-Target or the path says; undefined when nothing
 * tells.
 */
export function awsServiceOf(request: {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
}): string | undefined {
  const url = request.url ?? "/";
  const rawTarget = request.headers["x-amz-target"];
  const target = typeof rawTarget === "string" ? rawTarget : undefined;
  const targeted = TARGET_PREFIXES.find(([prefix]) => target?.startsWith(prefix))?.[1];
  // DynamoDB Streams signs as "dynamodb"; only its target tells the two apart.
  if (targeted === "dynamodbstreams") return targeted;
  return (
    signedService(url, request.headers.authorization) ??
    targeted ??
    (LAMBDA_PATH.test(url) ? "lambda" : undefined)
  );
}
