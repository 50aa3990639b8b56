/**
 * The `sluice dev` gateway against small local servers standing in for the emulators: it routes each request by
 * the service its signature names and passes method, path, headers and bodies through untouched.
 */
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import http, { type IncomingHttpHeaders } from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBStreamsClient,
  ListStreamsCommand as ListDdbStreamsCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { KinesisClient, ListStreamsCommand } from "@aws-sdk/client-kinesis";
import { LambdaClient, ListEventSourceMappingsCommand } from "@aws-sdk/client-lambda";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsServiceOf } from "../../src/dev/aws-service.js";
import { type Gateway, startGateway } from "../../src/dev/gateway.js";
import { eventually } from "../helpers/sluice.js";

const SERVICES = ["sqs", "sns", "s3", "kinesis", "dynamodb", "dynamodbstreams", "lambda"] as const;
const MB = 1024 * 1024;

/** An Authorization header as SigV4 writes it, scoped to `service`. */
const sigv4 = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/${service}/aws4_request, ` +
  `SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${"a1".repeat(32)}`;

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Pairs of a raw header list, without the hop-by-hop Connection each side sets for itself. */
function headerPairs(rawHeaders: readonly string[]): string[][] {
  const pairs: string[][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() !== "connection")
      pairs.push([rawHeaders[i] ?? "", rawHeaders[i + 1] ?? ""]);
  }
  return pairs;
}

describe("awsServiceOf", () => {
  const of = (headers: IncomingHttpHeaders, url = "/") => awsServiceOf({ method: "POST", url, headers });

  it("names the service of a SigV4 Authorization header's credential scope", () => {
    for (const service of ["sqs", "sns", "s3", "kinesis", "dynamodb", "lambda", "ec2"]) {
      expect(of({ authorization: sigv4(service) })).toBe(service);
    }
    expect(of({ authorization: sigv4("SQS") })).toBe("sqs");
  });

  it("reads a SigV4a scope, which has no region", () => {
    const authorization =
      "AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20240101/s3/aws4_request, SignedHeaders=host, Signature=3045";
    expect(of({ authorization })).toBe("s3");
  });

  it("reads a presigned URL's X-Amz-Credential", () => {
    const url =
      "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request" +
      "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=abc";
    expect(of({}, url)).toBe("s3");
  });

  it("tells DynamoDB Streams, signed as dynamodb, by its target", () => {
    const authorization = sigv4("dynamodb");
    expect(of({ authorization, "x-amz-target": "DynamoDBStreams_20120810.GetRecords" })).toBe(
      "dynamodbstreams",
    );
    expect(of({ authorization, "x-amz-target": "DynamoDB_20120810.PutItem" })).toBe("dynamodb");
  });

  it("prefers the signature to the target", () => {
    expect(of({ authorization: sigv4("sqs"), "x-amz-target": "Kinesis_20131202.PutRecord" })).toBe("sqs");
  });

  it("routes unsigned requests by X-Amz-Target", () => {
    expect(of({ "x-amz-target": "AmazonSQS.SendMessage" })).toBe("sqs");
    expect(of({ "x-amz-target": "Kinesis_20131202.GetRecords" })).toBe("kinesis");
    expect(of({ "x-amz-target": "DynamoDB_20120810.Query" })).toBe("dynamodb");
    expect(of({ "x-amz-target": "DynamoDBStreams_20120810.DescribeStream" })).toBe("dynamodbstreams");
  });

  it("routes unsigned requests on Lambda's REST paths to lambda", () => {
    expect(of({}, "/2015-03-31/event-source-mappings/?MaxItems=1")).toBe("lambda");
    expect(of({}, "/2015-03-31/functions/f/invocations")).toBe("lambda");
    expect(of({}, "/2017-03-31/tags/arn%3Aaws%3Alambda")).toBe("lambda");
    expect(of({}, "/2014-11-13/functions/")).toBe("lambda");
  });

  it("is undefined when nothing tells", () => {
    expect(of({})).toBeUndefined();
    expect(of({ "x-amz-target": "AWSCognitoIdentityService.GetId" }, "/")).toBeUndefined();
    expect(of({ authorization: "Bearer token" }, "/2015-03-31x/")).toBeUndefined();
    expect(of({ authorization: "AWS4-HMAC-SHA256 Credential=garbage, Signature=x" })).toBeUndefined();
  });
});

interface Recorded {
  upstream: string;
  method: string;
  url: string;
  rawHeaders: string[];
  length: number;
  sha256: string;
}

/** A stand-in emulator: records each request and answers as its path asks. */
async function startUpstream(
  name: string,
  recorded: Recorded[],
): Promise<{ origin: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    const hash = createHash("sha256");
    let length = 0;
    req.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on("end", () => {
      const record = {
        upstream: name,
        method: req.method ?? "",
        url: req.url ?? "",
        rawHeaders: req.rawHeaders,
        length,
        sha256: hash.digest("hex"),
      };
      recorded.push(record);
      answer(req.url ?? "", res, record);
    });
  });
  // Like S3 on a too large upload, answer before asking for the body.
  server.on("checkContinue", (req, res) => {
    if (req.url === "/too-large") res.writeHead(413, { "content-length": "0" }).end();
    else {
      res.writeContinue();
      server.emit("request", req, res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const BIG_RESPONSE = randomBytes(20 * MB);

function answer(url: string, res: http.ServerResponse, record: Recorded): void {
  if (url === "/big-response") {
    // Chunked, in pieces, to stream through rather than arrive whole.
    res.writeHead(200, { "content-type": "application/octet-stream" });
    Readable.from(Array.from({ length: 20 }, (_, i) => BIG_RESPONSE.subarray(i * MB, (i + 1) * MB))).pipe(
      res,
    );
  } else if (url === "/repeated-headers") {
    res.writeHead(200, "Fine Thanks", [
      "Set-Cookie",
      "a=1; Path=/",
      "Set-Cookie",
      "b=2; Path=/",
      "X-Amz-Meta-Tag",
      "one",
      "x-amz-meta-tag",
      "two",
      "Content-Length",
      "0",
    ]);
    res.end();
  } else if (url === "/head") {
    res.writeHead(200, { "content-length": "1234", etag: '"abc"' });
    res.end();
  } else if (url === "/no-content") {
    res.writeHead(204, { "x-amzn-requestid": "r1" });
    res.end();
  } else if (url === "/not-modified") {
    res.writeHead(304, { etag: '"abc"' });
    res.end();
  } else if (url === "/hang") {
    // Never answers: only closing the connection ends the request.
  } else if (url === "/cut") {
    res.writeHead(200, { "content-length": String(MB) });
    res.write(Buffer.alloc(1024), () => res.socket?.destroy());
  } else {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(record));
  }
}

interface Reply {
  status: number;
  statusMessage: string;
  rawHeaders: string[];
  body: Buffer;
}

/** One request to the gateway with headers sent exactly as listed. */
function send(
  origin: string,
  init: { method?: string; path?: string; headers?: string[]; body?: Buffer | Readable; agent?: http.Agent },
): Promise<Reply> {
  const headers = init.headers ?? [];
  // HTTP/1.1 requires a Host; a listed one is sent as is.
  if (!headers.some((name) => name.toLowerCase() === "host")) headers.unshift("Host", new URL(origin).host);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${origin}${init.path ?? "/"}`,
      { method: init.method ?? "POST", headers, agent: init.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? "",
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on("error", reject);
    if (init.body instanceof Readable) init.body.pipe(req);
    else req.end(init.body);
  });
}

/** One HTTP/2 request on `session`, body and all. */
function send2(
  session: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer,
): Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers);
    const chunks: Buffer[] = [];
    let responseHeaders: http2.IncomingHttpHeaders = {};
    stream.on("response", (received) => {
      responseHeaders = received;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("end", () => resolve({ headers: responseHeaders, body: Buffer.concat(chunks) }));
    stream.end(body);
  });
}

/** A request with Expect: 100-continue, whose body goes only on the go-ahead. */
function sendOnContinue(
  origin: string,
  path: string,
  body: Buffer,
): Promise<{ continued: boolean; status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    let continued = false;
    const headers = ["Host", new URL(origin).host, "Authorization", sigv4("s3"), "Expect", "100-continue"];
    const req = http.request(
      `${origin}${path}`,
      { method: "PUT", headers: [...headers, "Content-Length", String(body.length)], agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          // Answered without a go-ahead, the body is not sent: the connection is done.
          if (!continued) req.destroy();
          resolve({ continued, status: res.statusCode ?? 0, body: Buffer.concat(chunks) });
        });
      },
    );
    req.on("continue", () => {
      continued = true;
      req.end(body);
    });
    req.on("error", reject);
    req.flushHeaders();
  });
}

const json = (reply: { body: Buffer }) => JSON.parse(reply.body.toString()) as Record<string, unknown>;

describe("gateway", () => {
  const recorded: Recorded[] = [];
  const upstreams: Record<string, string> = {};
  const servers: http.Server[] = [];
  let gateway: Gateway;

  beforeAll(async () => {
    for (const service of SERVICES) {
      const upstream = await startUpstream(service, recorded);
      upstreams[service] = upstream.origin;
      servers.push(upstream.server);
    }
    gateway = await startGateway({ host: "127.0.0.1", port: 0, upstreams });
  });

  afterAll(async () => {
    await gateway.close();
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it("routes by the signature's scope", async () => {
    for (const service of SERVICES.filter((s) => s !== "dynamodbstreams")) {
      const reply = await send(gateway.origin, { headers: ["Authorization", sigv4(service)] });
      expect(json(reply).upstream).toBe(service);
    }
  });

  it("passes method, path, query, Host and every other header through unchanged", async () => {
    const headers = [
      "Host",
      "bucket.example.com:4566",
      "X-Amz-Date",
      "20240101T000000Z",
      "x-amz-content-sha256",
      "UNSIGNED-PAYLOAD",
      "Authorization",
      sigv4("s3"),
      "X-Amz-Meta-Odd",
      "  spaced  value",
      "x-amz-meta-rep",
      "1",
      "X-AMZ-META-REP",
      "2",
      "Content-Length",
      "2",
    ];
    const path = "/bucket/a%2Fb%20c?x-id=PutObject&x=1&x=2&empty=";
    const reply = await send(gateway.origin, { method: "PUT", path, headers, body: Buffer.from("hi") });
    const got = json(reply) as unknown as Recorded;
    expect(got).toMatchObject({ upstream: "s3", method: "PUT", url: path, length: 2 });
    // Node's parser trims a value's surrounding spaces, as HTTP says; nothing else changes on the way.
    expect(headerPairs(got.rawHeaders)).toEqual(
      headerPairs(headers).map(([name, value]) => [name, value?.trim()]),
    );
  });

  it("streams a 20 MB chunked request body intact", async () => {
    const body = randomBytes(20 * MB);
    const pieces = Array.from({ length: 80 }, (_, i) => body.subarray(i * 256 * 1024, (i + 1) * 256 * 1024));
    const reply = await send(gateway.origin, {
      method: "PUT",
      path: "/bucket/big",
      headers: ["Authorization", sigv4("s3"), "Transfer-Encoding", "chunked"],
      body: Readable.from(pieces),
    });
    expect(json(reply)).toMatchObject({ upstream: "s3", length: body.length, sha256: sha256(body) });
  });

  it("streams a 20 MB response body intact", async () => {
    const reply = await send(gateway.origin, {
      method: "GET",
      path: "/big-response",
      headers: ["Authorization", sigv4("s3")],
    });
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(BIG_RESPONSE.length);
    expect(sha256(reply.body)).toBe(sha256(BIG_RESPONSE));
  });

  it("passes the status line and repeated response headers back unchanged", async () => {
    const reply = await send(gateway.origin, {
      path: "/repeated-headers",
      headers: ["Authorization", sigv4("sns")],
    });
    expect(reply.status).toBe(200);
    expect(reply.statusMessage).toBe("Fine Thanks");
    expect(
      headerPairs(reply.rawHeaders).filter(([name]) => name !== "Date" && name !== "Keep-Alive"),
    ).toEqual([
      ["Set-Cookie", "a=1; Path=/"],
      ["Set-Cookie", "b=2; Path=/"],
      ["X-Amz-Meta-Tag", "one"],
      ["x-amz-meta-tag", "two"],
      ["Content-Length", "0"],
    ]);
  });

  it("answers HEAD, 204 and 304 without a body, and the connection goes on", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const authorization = ["Authorization", sigv4("s3")];
    // Every request on the one kept-alive connection.
    const request = (path: string, method?: string) =>
      send(gateway.origin, { method, path, headers: authorization, agent });
    try {
      const head = await request("/head", "HEAD");
      expect(head.status).toBe(200);
      expect(head.rawHeaders).toContain("1234");
      expect(head.body.length).toBe(0);
      const noContent = await request("/no-content");
      expect(noContent.status).toBe(204);
      expect(noContent.rawHeaders).toContain("r1");
      const notModified = await request("/not-modified", "GET");
      expect(notModified.status).toBe(304);
      const after = await send(gateway.origin, { headers: authorization, agent });
      expect(json(after).upstream).toBe("s3");
    } finally {
      agent.destroy();
    }
  });

  it("passes Expect: 100-continue on: the go-ahead, or an answer without one, comes from the upstream", async () => {
    const body = randomBytes(64 * 1024);
    const accepted = await sendOnContinue(gateway.origin, "/bucket/key", body);
    expect(accepted.continued).toBe(true);
    expect(json(accepted)).toMatchObject({ upstream: "s3", length: body.length, sha256: sha256(body) });

    const rejected = await sendOnContinue(gateway.origin, "/too-large", body);
    expect(rejected).toMatchObject({ continued: false, status: 413 });
  });

  it("answers 400 with an AWS-shaped error when no emulator serves the request", async () => {
    const unknown = await send(gateway.origin, { body: Buffer.from("Action=Describe") });
    expect(unknown.status).toBe(400);
    expect(unknown.rawHeaders).toContain("UnrecognizedClientException");
    expect(json(unknown)).toEqual({
      __type: "UnrecognizedClientException",
      message: "Sluice dev: no emulator serves this request (service unknown)",
    });
    const ec2 = await send(gateway.origin, { headers: ["Authorization", sigv4("ec2")] });
    expect(ec2.status).toBe(400);
    expect(json(ec2).message).toBe("Sluice dev: no emulator serves this request (service ec2)");
  });

  it("answers 502 naming the service and upstream when the emulator is down", async () => {
    const dead = await startUpstream("dead", []);
    await new Promise((resolve) => dead.server.close(resolve));
    const down = await startGateway({ host: "127.0.0.1", port: 0, upstreams: { kinesis: dead.origin } });
    try {
      const reply = await send(down.origin, {
        headers: ["Authorization", sigv4("kinesis"), "Content-Length", String(MB)],
        body: randomBytes(MB),
      });
      expect(reply.status).toBe(502);
      expect(reply.rawHeaders).toContain("x-amzn-errortype");
      expect(json(reply).message).toContain(`the kinesis emulator at ${dead.origin} failed`);
    } finally {
      await down.close();
    }
  });

  it("cuts the client's response when the upstream cuts its own, and keeps serving", async () => {
    await expect(
      send(gateway.origin, { method: "GET", path: "/cut", headers: ["Authorization", sigv4("s3")] }),
    ).rejects.toThrow(/aborted|socket hang up|ECONNRESET/);
    const after = await send(gateway.origin, { headers: ["Authorization", sigv4("s3")] });
    expect(json(after).upstream).toBe("s3");
  });

  it("serves HTTP/2 without TLS, as the Kinesis SDK speaks it, to HTTP/1.1 upstreams", async () => {
    const session = http2.connect(gateway.origin);
    try {
      const body = randomBytes(20 * MB);
      const upload = await send2(
        session,
        { ":method": "PUT", ":path": "/bucket/big", authorization: sigv4("s3") },
        body,
      );
      expect(upload.headers[":status"]).toBe(200);
      const got = JSON.parse(upload.body.toString()) as Recorded;
      expect(got).toMatchObject({ upstream: "s3", method: "PUT", length: body.length, sha256: sha256(body) });
      expect(got.rawHeaders.slice(0, 2)).toEqual(["Host", new URL(gateway.origin).host]);

      const download = await send2(session, { ":path": "/big-response", authorization: sigv4("s3") });
      expect(sha256(download.body)).toBe(sha256(BIG_RESPONSE));

      const repeated = await send2(session, { ":path": "/repeated-headers", authorization: sigv4("sns") });
      expect(repeated.headers["set-cookie"]).toEqual(["a=1; Path=/", "b=2; Path=/"]);
      expect(repeated.headers["x-amz-meta-tag"]).toBe("one, two");
    } finally {
      session.close();
    }
  });

  it("closes the connections it holds: an idle keep-alive one, and a request still waiting on its upstream", async () => {
    const own = await startGateway({ host: "127.0.0.1", port: 0, upstreams });
    const agent = new http.Agent({ keepAlive: true });
    try {
      await send(own.origin, { headers: ["Authorization", sigv4("sqs")], agent });
      const idle = Object.values(agent.freeSockets).flat()[0];
      const idleClosed = idle ? once(idle, "close") : Promise.reject(new Error("no idle keep-alive socket"));
      const waiting = send(own.origin, { path: "/hang", headers: ["Authorization", sigv4("sqs")] });
      waiting.catch(() => {});
      await eventually(async () => (recorded.some((r) => r.url === "/hang") ? true : undefined));
      // A server that waited for its connections would never get past this: the upstream never answers.
      await own.close();
      await idleClosed;
      await expect(waiting).rejects.toThrow(/socket hang up|ECONNRESET/);
      await expect(send(own.origin, { headers: ["Authorization", sigv4("sqs")] })).rejects.toThrow(
        /ECONNREFUSED/,
      );
    } finally {
      agent.destroy();
    }
  });

  it("routes real AWS SDK v3 requests and forwards what they signed unchanged", async () => {
    const config = {
      endpoint: gateway.origin,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      maxAttempts: 1,
    };
    const calls = [
      ["sqs", new SQSClient(config), new ListQueuesCommand({})],
      ["sns", new SNSClient(config), new ListTopicsCommand({})],
      ["s3", new S3Client({ ...config, forcePathStyle: true }), new ListBucketsCommand({})],
      ["kinesis", new KinesisClient(config), new ListStreamsCommand({})],
      ["dynamodb", new DynamoDBClient(config), new ListTablesCommand({})],
      ["dynamodbstreams", new DynamoDBStreamsClient(config), new ListDdbStreamsCommand({})],
      ["lambda", new LambdaClient(config), new ListEventSourceMappingsCommand({})],
    ] as const;
    for (const [service, client, command] of calls) {
      let signed: Record<string, string> = {};
      // The deserialize step runs after signing: it sees the request as it goes on the wire.
      // Every client's stack takes the same middleware; the union of their types does not say so.
      (client.middlewareStack as SQSClient["middlewareStack"]).add(
        (next) => async (args) => {
          signed = (args.request as { headers: Record<string, string> }).headers;
          return next(args);
        },
        { step: "deserialize" },
      );
      recorded.length = 0;
      // The stand-in's answer is no valid AWS response; only the request matters here.
      await (client.send as (command: unknown) => Promise<unknown>)(command).catch(() => undefined);
      client.destroy();

      expect(recorded.map((request) => request.upstream)).toEqual([service]);
      const received = new Map(
        headerPairs(recorded[0]?.rawHeaders ?? []).map(([n, v]) => [n?.toLowerCase(), v]),
      );
      const authorization = signed.authorization ?? "";
      expect(authorization).toMatch(
        new RegExp(`/${service === "dynamodbstreams" ? "dynamodb" : service}/aws4_request`),
      );
      expect(received.get("authorization")).toBe(authorization);
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(";") ?? [];
      for (const name of signedHeaders) {
        const sent = Object.entries(signed).find(([key]) => key.toLowerCase() === name)?.[1];
        // The Kinesis client speaks HTTP/2, which signs :authority; its HTTP/1.1 upstream gets it as Host.
        expect(received.get(name === ":authority" ? "host" : name), name).toBe(sent);
      }
    }
  });
});
