import { randomUUID } from "node:crypto";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { awsClientOptions, perRegion, withoutSdkLogging } from "../aws/client-config.js";
import type { Destination } from "./destination.js";
import { deliveryCall } from "./errors.js";

/**
 * Path-style addressing (`<endpoint>/<bucket>/<key>`) whenever an endpoint is configured: emulators and
 * S3-compatible stores answer on a single host, with no DNS for `<bucket>.<host>`. AWS itself keeps
 * virtual-hosted style. A bucket ARN names no region, so a bucket elsewhere is found by following S3's redirect.
 */
const s3Client = perRegion((region) =>
  withoutSdkLogging(
    new S3Client({
      ...awsClientOptions("S3", region),
      forcePathStyle:
        process.env.AWS_ENDPOINT_URL_S3 !== undefined || process.env.AWS_ENDPOINT_URL !== undefined,
      followRegionRedirects: true,
    }),
  ),
);

/**
 * A bucket: one object per record, which here also carries the invocation event as an escaped JSON string,
 * under `aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random uuid>` (UTC, the record's time).
 */
export function s3Destination(bucket: string, arn: string, region: string): Destination {
  const client = s3Client(region);
  return {
    async deliver(record, { uuid, shardId, payload, signal }) {
      const time = record.timestamp; // ISO-8601 UTC: 2019-11-14T00:38:06.021Z
      const day = time.slice(0, 10).replaceAll("-", "/");
      const key = `aws/lambda/${uuid}/${shardId}/${day}/${time.slice(0, 19).replaceAll(":", ".")}-${randomUUID()}`;
      await deliveryCall(arn, "S3 PutObject", signal, () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify({ ...record, payload: JSON.stringify(payload) }),
            ContentType: "application/json",
          }),
          { abortSignal: signal },
        ),
      );
    },
  };
}
