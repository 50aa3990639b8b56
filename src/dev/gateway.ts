/**
 * The one endpoint `sluice dev` gives the AWS CLI and SDKs: a reverse proxy that sends each request to the
 * emulator serving its service. Requests are signed, so everything the signature covers passes through as sent:
 * method, path and query, headers (Host too, names' case and order kept) and the body, streamed.
 */
import http from "node:http";
import http2, { Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import net from "node:net";
import { pipeline } from "node:stream";
import { awsServiceOf } from "./aws-service.js";

export interface GatewayOptions {
  host: string;
  /** 0 for a random port. */
  port: number;
  /** Service name (as awsServiceOf names it) -> upstream origin, e.g. { sqs: "http://127.0.0.1:40001" }. */
  upstreams: Readonly<Record<string, string>>;
}

export interface Gateway {
  readonly origin: string;
  close(): Promise<void>;
}

type Request = http.IncomingMessage | Http2ServerRequest;
type Response = http.ServerResponse | Http2ServerResponse;

/**
 * Headers about one connection rather than the message, and HTTP/2's pseudo-headers. A request keeps its
 * Transfer-Encoding: it is what tells Node to send the body on chunked; a response's is Node's to set (HTTP/2
 * refuses it).
 */
const REQUEST_HOP_BY_HOP = /^(connection|keep-alive|proxy-.*|te|trailer|upgrade|:.*)$/i;
const RESPONSE_HOP_BY_HOP = /^(connection|keep-alive|proxy-.*|te|trailer|upgrade|transfer-encoding)$/i;

/** Raw headers (name, value, name, value, ...) minus the dropped ones, with repeats, order and case kept. */
function endToEnd(rawHeaders: readonly string[], drop: RegExp): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (!drop.test(name)) kept.push(name, rawHeaders[i + 1] as string);
  }
  return kept;
}

/** Raw headers as an object, repeated fields as arrays (HTTP/2 sends each value as its own field). */
function headerFields(rawHeaders: readonly string[]): http.OutgoingHttpHeaders {
  const fields: http.OutgoingHttpHeaders = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    const seen = fields[name];
    fields[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [String(seen)]), value];
  }
  return fields;
}

/** An AWS JSON-protocol error: SDKs read the type from `__type` or `x-amzn-errortype`. */
function replyError(res: Response, status: number, type: string, message: string): void {
  // The client is gone.
  if (res.destroyed) return;
  const body = JSON.stringify({ __type: type, message });
  res.statusCode = status;
  res.setHeader("content-type", "application/x-amz-json-1.1");
  res.setHeader("content-length", Buffer.byteLength(body));
  res.setHeader("x-amzn-errortype", type);
  res.end(body);
}

function forward(req: Request, res: Response, service: string, upstream: URL, agent: http.Agent): void {
  const headers = endToEnd(req.rawHeaders, REQUEST_HOP_BY_HOP);
  // HTTP/2 names the host in :authority; the upstreams speak HTTP/1.1.
  if (req instanceof Http2ServerRequest && req.headers.host === undefined)
    headers.unshift("Host", req.authority);
  const proxyReq = http.request({
    host: upstream.hostname,
    port: upstream.port,
    method: req.method,
    path: req.url,
    // An array is sent as is: Node adds no Host and changes no name.
    headers,
    agent,
  });
  proxyReq.on("response", (proxyRes) => {
    const status = proxyRes.statusCode ?? 502;
    const resHeaders = endToEnd(proxyRes.rawHeaders, RESPONSE_HOP_BY_HOP);
    if (res instanceof http.ServerResponse) res.writeHead(status, proxyRes.statusMessage, resHeaders);
    // HTTP/2 has no reason phrase.
    else res.writeHead(status, headerFields(resHeaders));
    // On either side's failure pipeline destroys both, so a cut upstream cuts the client's response.
    pipeline(proxyRes, res, () => {});
  });
  // The client waits for the upstream's go-ahead to send its body (Expect: 100-continue).
  proxyReq.on("continue", () => res.writeContinue());
  proxyReq.on("error", (error) => {
    req.unpipe(proxyReq);
    // Drain what the client still sends, so its connection stays usable after the reply.
    req.resume();
    // An upstream may answer before reading the whole body (S3's 413) and close: that answer stands, and its
    // pipeline ends or cuts the client's response.
    if (res.headersSent) return;
    replyError(
      res,
      502,
      "ServiceUnavailableException",
      `Sluice dev: the ${service} emulator at ${upstream.origin} failed: ${error.message}`,
    );
  });
  // The client went away, or was answered before it sent all its body: the upstream call has no one to serve.
  res.on("close", () => {
    if (!res.writableFinished || !req.complete) proxyReq.destroy();
  });
  req.pipe(proxyReq);
}

function upstreamUrls(upstreams: Readonly<Record<string, string>>): Map<string, URL> {
  const urls = new Map<string, URL>();
  for (const [service, origin] of Object.entries(upstreams)) {
    const url = new URL(origin);
    if (url.protocol !== "http:")
      throw new Error(`Sluice dev: the ${service} upstream ${origin} is not http://`);
    urls.set(service, url);
  }
  return urls;
}

/** HTTP/2's connection preface opens with a method no HTTP/1 client sends (RFC 9113 §3.4). */
const HTTP2_PREFACE = "PRI ";

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const upstreams = upstreamUrls(options.upstreams);
  const agent = new http.Agent({ keepAlive: true });
  const handle = (req: Request, res: Response) => {
    const service = awsServiceOf(req);
    const upstream = service === undefined ? undefined : upstreams.get(service);
    if (service === undefined || upstream === undefined) {
      req.resume();
      replyError(
        res,
        400,
        "UnrecognizedClientException",
        `Sluice dev: no emulator serves this request (service ${service ?? "unknown"})`,
      );
      return;
    }
    forward(req, res, service, upstream, agent);
  };
  // Handling checkContinue keeps the servers from answering 100 Continue before the upstream does.
  const http1 = http.createServer(handle).on("checkContinue", handle);
  const h2c = http2.createServer(handle).on("checkContinue", handle);
  const sockets = new Set<net.Socket>();
  // The Kinesis SDK speaks HTTP/2 over plain TCP (prior knowledge), the rest HTTP/1.1: the first bytes tell which.
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // A client that resets before its first bytes must not crash the gateway; after them, the servers handle it.
    socket.on("error", () => {});
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      if (chunk.toString("latin1", 0, HTTP2_PREFACE.length) === HTTP2_PREFACE) h2c.emit("connection", socket);
      else {
        http1.emit("connection", socket);
        socket.resume();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    origin: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive and in-flight connections would otherwise hold close() open.
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      }),
  };
}
