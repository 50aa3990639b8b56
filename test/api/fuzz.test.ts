/**
 * Fuzzes the HTTP API with a few thousand seeded requests and checks, for every response: never a 5xx; every
 * error is AWS-shaped (4xx, `x-amzn-ErrorType`, a JSON body with a `message`/`Message` string); the server
 * keeps answering; and the store changes only through requests that were answered 2xx (creates are recorded
 * and deleted at the end, successful updates/tag writes are only allowed on designated targets).
 *
 * Reproduce a failure with the seed printed in its message:
 *   FUZZ_SEED=<seed> npx vitest run test/api/fuzz.test.ts -t "<family>"
 * Every family draws from its own PRNG (the seed mixed with the family's name), so one family runs alone with
 * the same inputs as in a full run. FUZZ_LOG=1 keeps the server's log (stack traces of 5xx) on; FUZZ_EXAMPLES=<n>
 * shows more example inputs per distinct problem (default 4).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createShape, SOURCE_ACCESS_TYPES, updateShape } from "../../src/api/shapes.js";
import { call, tagsPath } from "../helpers/http.js";
import { type InProcessSluice, startInProcess } from "../helpers/sluice.js";
import { ARNS, createKinesisStream, createQueue } from "../helpers/sources.js";

const SEED = process.env.FUZZ_SEED === undefined ? 0x5eed_c0de : Number(process.env.FUZZ_SEED) >>> 0;
if (!process.env.FUZZ_LOG) process.env.SLUICE_LOG_LEVEL = "silent";

const CONCURRENCY = 8;
/** How many example inputs a failure report shows per distinct problem. */
const EXAMPLES_PER_REASON = Number(process.env.FUZZ_EXAMPLES ?? 4);
const REQUEST_TIMEOUT_MS = 15_000;
const FAMILY_TIMEOUT_MS = 90_000;
const MB = 1024 * 1024;
const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const COLLECTION = "/2015-03-31/event-source-mappings";
const esmArn = (uuid: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:${uuid}`;
const DEEP = 10_000;

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
const URL_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:@!$&'()*+,;=";
const UNICODE_RANGES: readonly [number, number][] = [
  [0x00, 0x1f],
  [0x20, 0x7e],
  [0x7f, 0x9f],
  [0xa0, 0x7ff],
  [0x800, 0xd7ff],
  [0xd800, 0xdfff], // lone surrogates
  [0xe000, 0xfffd],
  [0x10000, 0x10ffff],
];
const SPECIAL_CODE_POINTS = [
  0xfeff, 0x202e, 0x200b, 0xfffd, 0x2028, 0x2029, 0x00, 0x22, 0x5c, 0x1f600, 0x301,
];

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  static for(family: string): Rng {
    return new Rng((SEED ^ fnv1a(family)) >>> 0);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** Picks one of the thunks by weight and runs it. */
  weighted<T>(options: readonly (readonly [number, () => T])[]): T {
    const total = options.reduce((sum, [w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [w, make] of options) {
      x -= w;
      if (x < 0) return make();
    }
    return (options.at(-1) as readonly [number, () => T])[1]();
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
  ascii(n: number, alphabet = PRINTABLE): string {
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }
  unicode(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) {
      if (this.chance(0.15)) s += String.fromCodePoint(this.pick(SPECIAL_CODE_POINTS));
      else {
        const [lo, hi] = this.pick(UNICODE_RANGES);
        s += String.fromCodePoint(this.int(lo, hi));
      }
    }
    return s;
  }
  /** Mostly short, sometimes long. */
  size(): number {
    return this.weighted([
      [45, () => this.int(1, 16)],
      [35, () => this.int(17, 512)],
      [15, () => this.int(513, 8192)],
      [5, () => this.int(8193, 100_000)],
    ]);
  }
}

// ---------------------------------------------------------------------------------------------------------
// JSON documents that can say what JSON.stringify cannot: duplicate keys, own `__proto__` members, -0, 1e400.

type JNode = null | boolean | number | string | JRaw | JArr | JObj;
interface JRaw {
  kind: "raw";
  text: string;
}
interface JArr {
  kind: "arr";
  items: JNode[];
}
interface JObj {
  kind: "obj";
  entries: [string, JNode][];
}

const raw = (text: string): JRaw => ({ kind: "raw", text });
const jarr = (items: JNode[]): JArr => ({ kind: "arr", items });
const jobj = (entries: [string, JNode][]): JObj => ({ kind: "obj", entries });

function fromJs(value: unknown): JNode {
  if (value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string")
    return value;
  if (Array.isArray(value)) return jarr(value.map(fromJs));
  if (typeof value === "object")
    return jobj(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fromJs(v)]));
  throw new Error(`cannot represent ${typeof value} as JSON`);
}

function toText(node: JNode): string {
  if (node === null || typeof node !== "object") return JSON.stringify(node);
  switch (node.kind) {
    case "raw":
      return node.text;
    case "arr":
      return `[${node.items.map(toText).join(",")}]`;
    case "obj":
      return `{${node.entries.map(([k, v]) => `${JSON.stringify(k)}:${toText(v)}`).join(",")}}`;
  }
}

const isJObj = (node: JNode): node is JObj =>
  typeof node === "object" && node !== null && node.kind === "obj";
const isJArr = (node: JNode): node is JArr =>
  typeof node === "object" && node !== null && node.kind === "arr";

function setEntry(target: JObj, key: string, value: JNode): void {
  const index = target.entries.findIndex(([k]) => k === key);
  if (index >= 0) target.entries[index] = [key, value];
  else target.entries.push([key, value]);
}

/** What a string becomes through UTF-8: lone surrogates turn into U+FFFD. */
const wellFormed = (value: string) => Buffer.from(value, "utf8").toString("utf8");
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** What the SQLite store gives back for a string it was given. */
const storedForm = (value: string) => value.replace(LONE_SURROGATE, "\ufffd\ufffd\ufffd");
/** encodeURIComponent throws on lone surrogates; encode what UTF-8 would carry instead. */
const encode = (value: string) => encodeURIComponent(wellFormed(value));

function short(value: string, max = 80): string {
  return value.length > max ? `${value.slice(0, max)}…(${value.length} chars)` : value;
}

/** A UUID from the seeded PRNG (never one of the mappings', which come from crypto.randomUUID). */
const randomUuid = (rng: Rng) => {
  const hex = Buffer.from(rng.bytes(16)).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

const deepObject = (depth: number, leaf = "1") => `${'{"a":'.repeat(depth)}${leaf}${"}".repeat(depth)}`;
const deepArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const deepMixed = (depth: number) => `${'[{"a":'.repeat(depth / 2)}1${"}]".repeat(depth / 2)}`;

// ---------------------------------------------------------------------------------------------------------
// Requests, responses and the properties every response must have

interface Req {
  /** Which generator made it, and how: enough to rebuild the input by hand. */
  label: string;
  method: string;
  path: string;
  body?: string | Uint8Array;
  /** undefined: application/json when there is a body; null: no content-type header at all. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Send the body with Transfer-Encoding: chunked (no content-length). */
  chunked?: boolean;
  /** A 2xx answer would change a mapping that must stay as it is. */
  mustReject?: boolean;
  /** A 2xx answer is allowed to update this mapping (recorded for the store check). */
  updateOf?: string;
  /** A 2xx answer is allowed to change this mapping's tags (recorded for the store check). */
  tagOf?: string;
  expectStatus?: number;
  expectErrorType?: string;
  /** The status must not be this one (e.g. 413 for a body exactly at the limit). */
  forbidStatus?: number;
}

interface Res {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

interface Failure {
  reason: string;
  req: Req;
  res?: Res;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const bodyBytes = (body: string | Uint8Array): Uint8Array =>
  typeof body === "string" ? Buffer.from(body, "utf8") : body;

/** What the server's parser makes of a body: Fastify decodes UTF-8, Sluice trims and JSON.parses. */
function parsedBody(body: string | Uint8Array | undefined): unknown {
  if (body === undefined) return {};
  const text = Buffer.from(bodyBytes(body)).toString("utf8").trim();
  if (text === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Whether a body would reach the handler as a JSON object (an empty body counts as `{}`). */
const parsesAsObject = (body: string | Uint8Array | undefined) => isRecord(parsedBody(body));

async function send(endpoint: string, req: Req): Promise<Res> {
  const headers: Record<string, string> = { ...req.headers };
  const contentType =
    req.contentType === undefined ? (req.body === undefined ? null : "application/json") : req.contentType;
  if (contentType !== null) headers["content-type"] = contentType;
  const init: RequestInit = { method: req.method, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (req.body !== undefined) {
    const bytes = bodyBytes(req.body);
    if (req.chunked) {
      init.body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < bytes.length; i += 64 * 1024)
            controller.enqueue(bytes.subarray(i, i + 64 * 1024));
          controller.close();
        },
      });
      init.duplex = "half";
    } else init.body = bytes;
  }
  const response = await fetch(endpoint + req.path, init);
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** What 2xx responses did, so the store check can tell accepted changes from leaks of rejected requests. */
const ledger = {
  created: new Set<string>(),
  /** 2xx UpdateEventSourceMapping responses per mapping. */
  updates: new Map<string, Record<string, unknown>[]>(),
  /** Tags of 2xx TagResource requests per mapping. */
  tagWrites: new Map<string, Record<string, unknown>[]>(),
};

const pushTo = <T>(map: Map<string, T[]>, key: string, value: T) => {
  const list = map.get(key) ?? [];
  list.push(value);
  map.set(key, list);
};

/** Checks one response; returns what is wrong with it, and records what a 2xx changed. */
function observe(req: Req, res: Res): string[] {
  const out: string[] = [];
  const type = res.headers.get("x-amzn-errortype");
  if (res.status >= 500) out.push(`5xx: ${res.status} ${type ?? "(no x-amzn-ErrorType)"}`);
  else if (res.status >= 400) {
    if (!type) out.push(`${res.status} without x-amzn-ErrorType`);
    if (req.method !== "HEAD") {
      if (!isRecord(res.json)) out.push(`${res.status} ${type ?? ""} with a body that is not a JSON object`);
      else {
        if (typeof res.json.message !== "string" && typeof res.json.Message !== "string")
          out.push(`${res.status} ${type ?? ""} body without a message/Message string`);
        if (type && res.json.__type !== type)
          out.push(`${res.status} body __type differs from x-amzn-ErrorType`);
      }
    }
  } else if (res.status < 200 || res.status >= 300) out.push(`unexpected status ${res.status}`);

  if (req.expectStatus !== undefined && res.status !== req.expectStatus)
    out.push(`expected ${req.expectStatus}, got ${res.status} ${type ?? ""}`);
  if (req.expectErrorType !== undefined && type !== req.expectErrorType)
    out.push(`expected x-amzn-ErrorType ${req.expectErrorType}, got ${type ?? "(none)"}`);
  if (req.forbidStatus !== undefined && res.status === req.forbidStatus)
    out.push(`must not be ${res.status}`);

  if (res.status < 200 || res.status >= 300) return out;
  if (req.mustReject) out.push(`accepted (${res.status}) a request that must be rejected`);
  const sent = parsedBody(req.body);
  if (req.method === "POST" && isRecord(res.json) && typeof res.json.UUID === "string") {
    ledger.created.add(res.json.UUID);
    out.push(...checkCreated(sent, res.json));
  } else if (req.method === "PUT") {
    if (req.updateOf !== undefined && isRecord(res.json)) pushTo(ledger.updates, req.updateOf, res.json);
    else out.push("unexpected successful UpdateEventSourceMapping");
  } else if (req.method === "POST" && req.path.startsWith("/2017-03-31/tags")) {
    // Tags go through SQLite as (WTF-)8 bytes: a lone surrogate in a key or value comes back as three U+FFFD
    // (reported as a finding; modelled here so that the check stays about rejected requests).
    if (req.tagOf !== undefined && isRecord(sent) && isRecord(sent.Tags))
      pushTo(
        ledger.tagWrites,
        req.tagOf,
        Object.fromEntries(
          Object.entries(sent.Tags).map(([k, v]) => [
            storedForm(k),
            typeof v === "string" ? storedForm(v) : v,
          ]),
        ),
      );
    else out.push("unexpected successful TagResource");
  } else if (req.method === "DELETE" && req.path.startsWith(COLLECTION))
    out.push("unexpected successful DeleteEventSourceMapping");
  return out;
}

/** A 2xx create must have made the mapping the body asked for. */
function checkCreated(sent: unknown, created: Record<string, unknown>): string[] {
  if (!isRecord(sent)) return ["created a mapping from a body that is not a JSON object"];
  const out: string[] = [];
  if (typeof sent.EventSourceArn === "string") {
    if (created.EventSourceArn !== sent.EventSourceArn)
      out.push("created mapping's EventSourceArn differs from the request's");
  } else if (!isRecord(sent.SelfManagedEventSource))
    out.push(
      "created a mapping although the body names no event source (EventSourceArn/SelfManagedEventSource)",
    );
  if (typeof sent.BatchSize === "number" && created.BatchSize !== sent.BatchSize)
    out.push("created mapping's BatchSize differs from the request's");
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Running a family

const stats = { requests: 0, byFamily: new Map<string, Map<string, number>>() };
const startedAt = Date.now();

function describeBody(body: string | Uint8Array | undefined): string {
  if (body === undefined) return "(no body)";
  const bytes = bodyBytes(body);
  if (typeof body === "string") return `${bytes.length} B ${JSON.stringify(short(body, 300))}`;
  return `${bytes.length} B hex ${Buffer.from(bytes.subarray(0, 48)).toString("hex")}${bytes.length > 48 ? "…" : ""}`;
}

function describeReq(req: Req): string {
  const ct =
    req.contentType === undefined
      ? req.body === undefined
        ? "(none)"
        : "application/json"
      : req.contentType;
  return `${req.method} ${short(req.path, 200)} content-type=${JSON.stringify(ct ?? "(none)")}${req.chunked ? " chunked" : ""} body=${describeBody(req.body)}`;
}

function report(title: string, total: number, failures: Failure[]): string {
  const groups = new Map<string, Failure[]>();
  for (const f of failures) pushTo(groups, f.reason, f);
  const lines = [
    `${failures.length} problem(s) in ${total} "${title}" requests. FUZZ_SEED=${SEED}`,
    `Reproduce: FUZZ_SEED=${SEED} npx vitest run test/api/fuzz.test.ts -t "${title}"`,
  ];
  for (const [reason, list] of groups) {
    lines.push(`• ${reason} ×${list.length}`);
    const seen = new Set<string>();
    for (const f of list) {
      const labelKind = f.req.label.replace(/#\d+/, "");
      if (seen.has(labelKind) || seen.size >= EXAMPLES_PER_REASON) continue;
      seen.add(labelKind);
      lines.push(`    [${f.req.label}] ${describeReq(f.req)}`);
      if (f.res) lines.push(`      → ${f.res.status} ${short(f.res.text, 240)}`);
    }
  }
  return lines.join("\n");
}

let sut: InProcessSluice;

async function runFamily(
  title: string,
  reqs: readonly Req[],
  options: { concurrency?: number; afterEach?: (req: Req, res: Res) => Promise<void> } = {},
): Promise<void> {
  const failures: Failure[] = [];
  const histogram = stats.byFamily.get(title) ?? new Map<string, number>();
  stats.byFamily.set(title, histogram);
  let next = 0;
  const worker = async () => {
    while (next < reqs.length) {
      const req = reqs[next++] as Req;
      stats.requests++;
      let res: Res;
      try {
        res = await send(sut.endpoint, req);
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const reason = `no response (crash or hang?): ${(err as Error).name} ${cause?.code ?? cause?.message ?? (err as Error).message}`;
        histogram.set("no response", (histogram.get("no response") ?? 0) + 1);
        failures.push({ reason, req });
        continue;
      }
      const key = `${res.status} ${res.headers.get("x-amzn-errortype") ?? ""}`.trim();
      histogram.set(key, (histogram.get(key) ?? 0) + 1);
      for (const reason of observe(req, res)) failures.push({ reason, req, res });
      await options.afterEach?.(req, res);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? CONCURRENCY }, worker));
  if (failures.length > 0) throw new Error(report(title, reqs.length, failures));
}

/** Sequential families wait for the runtime to settle after each accepted change (no ResourceInUse noise). */
const settleAfter2xx = async (_req: Req, res: Res) => {
  if (res.status >= 200 && res.status < 300) await sut.sluice.supervisor.idle();
};

// ---------------------------------------------------------------------------------------------------------
// The world: real sources, and mappings created before the fuzzing

interface World {
  queueA: string;
  queueB: string;
  queueC: string;
  streamA: string;
  /** Only ever sent bodies that must be rejected: must come out byte-for-byte unchanged. */
  sentinels: { sqs: string; kinesis: string; kafka: string };
  /** Structured update fuzzing may legitimately change these (2xx responses are recorded). */
  targets: { sqs: string; kinesis: string };
  sentinelTagKeys: readonly string[];
}

let world: World;

async function createMapping(body: Record<string, unknown>): Promise<string> {
  const response = await call(sut.endpoint, "POST", `${COLLECTION}/`, body);
  expect(response.status, response.text).toBe(202);
  return String(response.body?.UUID);
}

interface Snapshot {
  mappings: Map<string, Record<string, unknown>>;
  tags: Map<string, Record<string, unknown>>;
}

async function snapshot(): Promise<Snapshot> {
  await sut.sluice.supervisor.idle();
  const list = await call(sut.endpoint, "GET", `${COLLECTION}/?MaxItems=10000`);
  expect(list.status, list.text).toBe(200);
  expect(list.body?.NextMarker).toBeUndefined();
  const mappings = new Map<string, Record<string, unknown>>();
  const tags = new Map<string, Record<string, unknown>>();
  for (const listed of (list.body?.EventSourceMappings ?? []) as Record<string, unknown>[]) {
    const uuid = String(listed.UUID);
    const got = await call(sut.endpoint, "GET", `${COLLECTION}/${uuid}`);
    expect(got.status, got.text).toBe(200);
    mappings.set(uuid, got.body as Record<string, unknown>);
    const tagged = await call(sut.endpoint, "GET", tagsPath(esmArn(uuid)));
    expect(tagged.status, tagged.text).toBe(200);
    tags.set(uuid, tagged.body?.Tags as Record<string, unknown>);
  }
  return { mappings, tags };
}

let before: Snapshot;
let prototypeKeysBefore: string[];

beforeAll(async () => {
  sut = await startInProcess();
  prototypeKeysBefore = Object.getOwnPropertyNames(Object.prototype);
  const [queueA, queueB, queueC, streamA] = await Promise.all([
    createQueue(),
    createQueue(),
    createQueue(),
    createKinesisStream(),
  ]);
  const sentinelTags = { "fuzz-sentinel": "yes", "fuzz-owner": "ünïcødé ✓ 𝄞" };
  const sentinels = {
    sqs: await createMapping({ FunctionName: "orders", EventSourceArn: queueA, Tags: sentinelTags }),
    kinesis: await createMapping({
      FunctionName: "orders",
      EventSourceArn: streamA,
      StartingPosition: "LATEST",
      Tags: sentinelTags,
    }),
    kafka: await createMapping({
      FunctionName: "orders",
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["broker-1:9092"] } },
      Topics: ["orders-topic"],
      SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ARNS.secret }],
      Tags: sentinelTags,
    }),
  };
  const targets = {
    sqs: await createMapping({
      FunctionName: "audit",
      EventSourceArn: queueB,
      Tags: { "fuzz-target": "sqs" },
    }),
    kinesis: await createMapping({
      FunctionName: "audit",
      EventSourceArn: streamA,
      StartingPosition: "LATEST",
    }),
  };
  world = {
    queueA,
    queueB,
    queueC,
    streamA,
    sentinels,
    targets,
    sentinelTagKeys: Object.keys(sentinelTags),
  };
  before = await snapshot();
}, 120_000);

afterAll(async () => {
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  const lines = [`fuzz: ${stats.requests} requests in ${seconds} s, FUZZ_SEED=${SEED}`];
  for (const [family, histogram] of stats.byFamily) {
    const parts = [...histogram].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
    lines.push(`  ${family}: ${parts.join(", ")}`);
  }
  console.log(lines.join("\n"));
  await sut?.close();
});

// ---------------------------------------------------------------------------------------------------------
// Generators of values

const CONTENT_TYPES: readonly (string | null)[] = [
  null,
  "application/json",
  "application/x-amz-json-1.1",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "application/json; charset=utf-16",
  "text/plain",
  "application/octet-stream",
  "multipart/form-data; boundary=----fuzz",
  "application/x-www-form-urlencoded",
  "*/*",
  "",
  ";",
  "application/json;;;",
  'a/b; c="d',
];

function contentType(rng: Rng): string | null {
  return rng.chance(0.15) ? rng.ascii(rng.int(1, 40)).trim() : rng.pick(CONTENT_TYPES);
}

const JSONISH_TOKENS = [
  "{",
  "}",
  "[",
  "]",
  '"',
  ":",
  ",",
  "null",
  "true",
  "false",
  "1e5",
  "-",
  "0",
  ".",
  " ",
  "\n",
  "\\",
  "\\u00",
  '"a"',
  '"FunctionName"',
  '"EventSourceArn"',
  '"Tags"',
  '"BatchSize"',
  '"__proto__"',
  '"orders"',
];

function garbage(rng: Rng): { kind: string; body: string | Uint8Array } {
  return rng.weighted<{ kind: string; body: string | Uint8Array }>([
    [30, () => ({ kind: "random bytes", body: rng.bytes(rng.size()) })],
    [30, () => ({ kind: "random unicode", body: rng.unicode(rng.int(1, 2000)) })],
    [
      25,
      () => ({
        kind: "json-ish tokens",
        body: Array.from({ length: rng.int(1, 60) }, () => rng.pick(JSONISH_TOKENS)).join(""),
      }),
    ],
    [
      15,
      () => ({
        kind: "JSON that is not an object",
        body: rng.pick(["1", "-0", "1e400", '"x"', "[]", "[{}]", "true", "null", " 42 ", '"{}"', "[null]"]),
      }),
    ],
  ]);
}

/** Garbage that the server cannot read as a JSON object (nor as an empty body, which counts as `{}`). */
function rejectableGarbage(rng: Rng): { kind: string; body: string | Uint8Array } {
  for (;;) {
    const candidate = garbage(rng);
    if (!parsesAsObject(candidate.body)) return candidate;
  }
}

const NUMBERS: readonly (() => JNode)[] = [
  () => 0,
  () => -1,
  () => 1,
  () => 1.5,
  () => -0.5,
  () => 2 ** 31,
  () => -(2 ** 31) - 1,
  () => 2 ** 53 + 2,
  () => 1e308,
  () => -1e308,
  () => raw("-0"),
  () => raw("1e400"),
  () => raw("-1e400"),
  () => raw("0.0"),
  () => raw("1E2"),
  () => raw("5e-324"),
  () => raw("123456789012345678901234567890"),
  () => raw("1.0"),
];

function longString(rng: Rng): string {
  const unit = rng.pick(["a", "é", "𝄞", "a:", "-", "arn:aws:", "\\", '"', "%", rng.ascii(3)]);
  return unit.repeat(Math.ceil(100_000 / unit.length));
}

function junkString(rng: Rng): string {
  return rng.weighted<string>([
    [
      30,
      () =>
        rng.pick([
          "",
          " ",
          "NaN",
          "Infinity",
          "-Infinity",
          "null",
          "true",
          "1",
          "-0",
          "0x1F",
          "1e3",
          "LATEST",
          "AT_TIMESTAMP",
          "BASIC_AUTH",
          "ReportBatchItemFailures",
          "orders",
          "kafka://",
          "kafka://dlq",
          "arn:aws:sqs:us-east-1:000000000000:",
          "arn:aws:lambda:us-east-1:000000000000:function:orders",
          "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:00000000-0000-0000-0000-000000000000",
          "arn:aws:kinesis:us-east-1:000000000000:stream/",
          "\u0000",
          "a\nb",
          "\ud800",
          "'; DROP TABLE mappings; --",
          "\u0024{jndi:ldap://x/a}", // log4shell-style
          "%s%n%x",
          "../../../etc/passwd",
          "<script>alert(1)</script>",
          '{"a":1}',
          "__proto__",
          "constructor",
        ]),
    ],
    [25, () => rng.unicode(rng.int(1, 40))],
    [20, () => rng.ascii(rng.int(1, 300))],
    [4, () => longString(rng)],
  ]);
}

const PROTO_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"];
const UNKNOWN_KEYS = [
  "Junk",
  "UUID",
  "uuid",
  "functionName",
  "batchSize",
  "eventSourceArn",
  "",
  " ",
  "Ünknown",
];

function junk(rng: Rng, depth = 0): JNode {
  const leaf = depth >= 3;
  return rng.weighted<JNode>([
    [6, () => null],
    [4, () => rng.chance(0.5)],
    [14, () => rng.pick(NUMBERS)()],
    [4, () => rng.int(-1_000_000, 1_000_000)],
    [22, () => junkString(rng)],
    [
      leaf ? 0 : 10,
      () => jarr(Array.from({ length: rng.pick([0, 1, 2, 3, 30]) }, () => junk(rng, depth + 1))),
    ],
    [leaf ? 0 : 10, () => junkObject(rng, depth + 1)],
  ]);
}

function junkObject(rng: Rng, depth: number): JObj {
  const keys = [...Object.keys(createShape.members), ...PROTO_KEYS, ...UNKNOWN_KEYS, "a", "Pattern", "Type"];
  return jobj(
    Array.from({ length: rng.int(0, 4) }, () => [
      rng.chance(0.2) ? rng.unicode(rng.int(0, 6)) : rng.pick(keys),
      junk(rng, depth + 1),
    ]),
  );
}

const VALID_PATTERNS = [
  '{"body":{"kind":["order"]}}',
  '{"body":{"n":[{"numeric":[">",5]}]}}',
  '{"a":{"b":[{"prefix":"x"}]}}',
  '{"body":{"x":[{"exists":true}]}}',
  '{"dynamodb":{"Keys":{"pk":{"S":["a"]}}}}',
  "{}",
];

function pattern(rng: Rng): JNode {
  return rng.weighted<JNode>([
    [30, () => rng.pick(VALID_PATTERNS)],
    [
      30,
      () =>
        rng.pick([
          "",
          "{",
          "[]",
          '"x"',
          "null",
          '{"a":"x"}',
          '{"a":[]}',
          '{"a":1}',
          '{"a":["x"],"a":[]}',
          '{"__proto__":["x"]}',
          '{"constructor":{"prototype":["x"]}}',
          `{"a":["${"x".repeat(4085)}"]}`,
          `{"a":["${"x".repeat(4086)}"]}`,
          deepObject(800, '["x"]'),
          deepObject(DEEP),
          deepArray(2000),
        ]),
    ],
    [15, () => rng.unicode(rng.int(1, 50))],
    [10, () => toText(junk(rng))],
    [15, () => junk(rng)],
  ]);
}

function filterCriteria(rng: Rng): JNode {
  return rng.weighted<JNode>([
    [
      60,
      () =>
        jobj([
          [
            "Filters",
            jarr(
              Array.from({ length: rng.pick([0, 1, 1, 2, 5, 6]) }, () =>
                rng.weighted<JNode>([
                  [80, () => jobj([["Pattern", pattern(rng)]])],
                  [10, () => null],
                  [10, () => junk(rng, 1)],
                ]),
              ),
            ),
          ],
        ]),
    ],
    [10, () => jobj([])],
    [10, () => jobj([["Filters", null]])],
    [20, () => jobj([["Filters", junk(rng, 1)]])],
  ]);
}

function sourceAccessConfigurations(rng: Rng): JNode {
  const item = () =>
    rng.weighted<JNode>([
      [
        70,
        () =>
          jobj([
            ["Type", rng.chance(0.8) ? rng.pick(SOURCE_ACCESS_TYPES) : junk(rng, 2)],
            ["URI", rng.chance(0.7) ? rng.pick([ARNS.secret, "subnet-1", "/vhost", "x"]) : junk(rng, 2)],
          ]),
      ],
      [12, () => null],
      [8, () => jobj([])],
      [10, () => junk(rng, 2)],
    ]);
  return rng.chance(0.85) ? jarr(Array.from({ length: rng.pick([0, 1, 2, 3, 23]) }, item)) : junk(rng, 1);
}

function tagsValue(rng: Rng, sentinelKeys: readonly string[] = []): JNode {
  if (rng.chance(0.1)) return junk(rng, 1);
  const key = () => {
    for (;;) {
      const k = rng.weighted<string>([
        [40, () => rng.pick(["env", "team", "fuzz", "Ünï", "k1", "k2"])],
        [10, () => rng.pick(["aws:x", "AWS:Y", "aws:"])],
        [10, () => rng.pick(["", " ", "__proto__", "constructor", "toString"])],
        [10, () => rng.pick(["k".repeat(128), "k".repeat(129)])],
        [30, () => rng.unicode(rng.int(1, 10))],
      ]);
      if (!sentinelKeys.includes(k)) return k;
    }
  };
  const value = () =>
    rng.weighted<JNode>([
      [60, () => rng.pick(["v", "", "✓ 𝄞", "v".repeat(256), "v".repeat(257)])],
      [20, () => rng.unicode(rng.int(0, 20))],
      [20, () => junk(rng, 2)],
    ]);
  return jobj(Array.from({ length: rng.pick([0, 1, 2, 3, 51]) }, () => [key(), value()]));
}

function protoPayload(rng: Rng): JNode {
  if (rng.chance(0.2)) return junk(rng, 1);
  const members: [string, () => JNode][] = [
    ["EventSourceArn", () => rng.pick([world.queueA, world.queueC, world.streamA, ARNS.mq])],
    ["DestinationConfig", () => fromJs({ OnSuccess: { Destination: world.queueB } })],
    ["BatchSize", () => junk(rng, 2)],
    ["StartingPosition", () => "AT_TIMESTAMP"],
    ["Enabled", () => "no"],
    ["FunctionName", () => "audit"],
    ["polluted", () => "yes"],
    ["SelfManagedEventSource", () => fromJs({ Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["b:9092"] } })],
  ];
  return jobj(
    Array.from({ length: rng.int(1, 3) }, () => {
      const [k, make] = rng.pick(members);
      return [k, make()] as [string, JNode];
    }),
  );
}

const FUNCTION_NAMES = [
  "orders",
  "audit",
  "billing",
  "orders:$LATEST",
  "audit:live",
  "arn:aws:lambda:us-east-1:000000000000:function:billing",
  "000000000000:function:audit",
  "arn:aws:lambda:eu-west-1:000000000000:function:orders",
  "arn:aws:lambda:us-east-1:111111111111:function:orders",
  "ghost",
  "a".repeat(64),
  "a".repeat(65),
];

/** Valid-looking values per field: they carry requests past the model into the service's own rules. */
function validValue(rng: Rng, field: string): JNode {
  const now = Math.floor(Date.now() / 1000);
  const make: Record<string, () => unknown> = {
    FunctionName: () => rng.pick(FUNCTION_NAMES),
    Enabled: () => rng.chance(0.5),
    BatchSize: () => rng.pick([1, 5, 10, 11, 100, 1000, 10000]),
    MaximumBatchingWindowInSeconds: () => rng.pick([0, 1, 5, 300]),
    MaximumRecordAgeInSeconds: () => rng.pick([-1, 0, 59, 60, 3600, 604800]),
    BisectBatchOnFunctionError: () => rng.chance(0.5),
    MaximumRetryAttempts: () => rng.pick([-1, 0, 5, 10000]),
    ParallelizationFactor: () => rng.pick([1, 2, 10]),
    TumblingWindowInSeconds: () => rng.pick([0, 60, 900]),
    FunctionResponseTypes: () => rng.pick([[], ["ReportBatchItemFailures"]]),
    ScalingConfig: () => rng.pick([{}, { MaximumConcurrency: 2 }, { MaximumConcurrency: 1000 }]),
    DestinationConfig: () =>
      rng.pick([
        { OnFailure: { Destination: world.queueB } },
        { OnFailure: { Destination: "arn:aws:sns:us-east-1:000000000000:topic" } },
        { OnFailure: { Destination: "arn:aws:s3:::bucket" } },
        { OnFailure: { Destination: "kafka://dlq" } },
        { OnFailure: { Destination: "" } },
        { OnFailure: {} },
        { OnSuccess: { Destination: world.queueB } },
        { OnFailure: { Destination: "arn:aws:lambda:us-east-1:000000000000:function:audit" } },
      ]),
    DocumentDBEventSourceConfig: () =>
      rng.pick([
        { DatabaseName: "db", CollectionName: "c", FullDocument: "UpdateLookup" },
        { DatabaseName: "db" },
        {},
      ]),
    KMSKeyArn: () => rng.pick(["arn:aws:kms:us-east-1:000000000000:key/1234", ""]),
    MetricsConfig: () =>
      rng.pick([{ Metrics: ["EventCount"] }, { Metrics: [] }, { Metrics: ["KafkaMetrics"] }]),
    ProvisionedPollerConfig: () =>
      rng.pick([{ MinimumPollers: 1, MaximumPollers: 3 }, { MinimumPollers: 2, MaximumPollers: 200 }, {}]),
    EventSourceArn: () =>
      rng.pick([
        world.queueA,
        world.queueB,
        world.queueC,
        world.streamA,
        "arn:aws:sqs:us-east-1:000000000000:missing-queue",
        "arn:aws:sqs:us-east-1:000000000000:missing.fifo",
        "arn:aws:kinesis:us-east-1:000000000000:stream/missing",
        "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1",
        "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-01-01T00:00:00.000",
        ARNS.mq,
        ARNS.msk,
        ARNS.documentdb,
        "arn:aws:sqs:zz-9:000000000000:q",
      ]),
    StartingPosition: () => rng.pick(["LATEST", "TRIM_HORIZON", "AT_TIMESTAMP"]),
    StartingPositionTimestamp: () => rng.pick([now - 3600, now + 3600, 0, -1]),
    Topics: () => rng.pick([["orders-topic"], ["other-topic"], ["dlq"]]),
    Queues: () => rng.pick([["orders"], ["other"]]),
    SelfManagedEventSource: () =>
      rng.pick([
        { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["broker-1:9092"] } },
        { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["c:9092", "d:9093"] } },
        {},
      ]),
    AmazonManagedKafkaEventSourceConfig: () => ({ ConsumerGroupId: rng.pick(["g1", "group-2"]) }),
    SelfManagedKafkaEventSourceConfig: () => ({ ConsumerGroupId: rng.pick(["g1", "group-2"]) }),
  };
  if (field === "FilterCriteria") return filterCriteria(rng);
  if (field === "SourceAccessConfigurations") return sourceAccessConfigurations(rng);
  if (field === "Tags") return tagsValue(rng);
  const maker = make[field];
  return maker ? fromJs(maker()) : junk(rng);
}

/** Applies 1–3 random mutations to `body`; returns their descriptions. */
function mutate(rng: Rng, body: JObj, fields: readonly string[]): string[] {
  const steps: string[] = [];
  const count = rng.int(1, 3);
  for (let i = 0; i < count; i++) {
    steps.push(
      rng.weighted<string>([
        [
          34,
          () => {
            const field = rng.pick(fields);
            const value = junk(rng);
            setEntry(body, field, value);
            return `${field}=${short(toText(value), 60)}`;
          },
        ],
        [
          24,
          () => {
            const field = rng.pick(fields);
            const value = validValue(rng, field);
            setEntry(body, field, value);
            return `${field}=${short(toText(value), 60)}`;
          },
        ],
        [
          6,
          () => {
            const key = rng.chance(0.7) ? rng.pick(UNKNOWN_KEYS) : rng.unicode(rng.int(1, 8));
            setEntry(body, key, junk(rng));
            return `unknown member ${JSON.stringify(key)}`;
          },
        ],
        [
          5,
          () => {
            const key = rng.pick(PROTO_KEYS);
            const value = protoPayload(rng);
            setEntry(body, key, value);
            return `${key}=${short(toText(value), 60)}`;
          },
        ],
        [
          4,
          () => {
            // Moves a member into a `__proto__` member: a server that copies members into a plain object
            // would let it reach the service unchecked through the prototype chain.
            const entry = rng.pick(body.entries);
            if (!entry) return "smuggle (nothing to move)";
            body.entries = body.entries.filter((e) => e !== entry);
            setEntry(body, "__proto__", jobj([entry]));
            return `moved ${entry[0]} into __proto__`;
          },
        ],
        [
          7,
          () => {
            const entry = rng.pick(body.entries);
            if (!entry) return "delete (nothing to delete)";
            body.entries = body.entries.filter((e) => e !== entry);
            return `deleted ${entry[0]}`;
          },
        ],
        [
          4,
          () => {
            const field = rng.pick(fields);
            const value = rng.chance(0.5) ? junk(rng) : validValue(rng, field);
            body.entries.push([field, value]);
            return `duplicate key ${field}=${short(toText(value), 60)}`;
          },
        ],
        [10, () => mutateNested(rng, body)],
        [
          6,
          () => {
            const field = rng.pick(["FilterCriteria", "SourceAccessConfigurations", "Tags"]);
            if (!fields.includes(field)) return "no-op";
            const value = validValue(rng, field);
            setEntry(body, field, value);
            return `${field}=${short(toText(value), 60)}`;
          },
        ],
      ]),
    );
  }
  return steps;
}

/** Mutates inside a structure-valued member. */
function mutateNested(rng: Rng, body: JObj): string {
  const containers = body.entries.filter(([, v]) => isJObj(v) || isJArr(v));
  const entry = rng.pick(containers);
  if (!entry) return "nested (no container)";
  const [name, node] = entry;
  if (isJArr(node)) {
    const value = rng.chance(0.3) ? null : junk(rng, 2);
    if (rng.chance(0.5) || node.items.length === 0) node.items.push(value);
    else node.items[rng.int(0, node.items.length - 1)] = value;
    return `${name}[…]=${short(toText(value), 60)}`;
  }
  if (isJObj(node)) {
    const inner = node.entries.filter(([, v]) => isJObj(v) || isJArr(v));
    const target = rng.chance(0.5) ? rng.pick(inner) : undefined;
    if (target && isJObj(target[1])) {
      const key = rng.pick([...target[1].entries.map(([k]) => k), "Destination", "x", "__proto__"]);
      const value = junk(rng, 2);
      setEntry(target[1], key, value);
      return `${name}.${target[0]}.${key}=${short(toText(value), 60)}`;
    }
    if (target && isJArr(target[1])) {
      const value = rng.chance(0.4) ? null : junk(rng, 2);
      target[1].items.push(value);
      return `${name}.${target[0]}[+]=${short(toText(value), 60)}`;
    }
    const key = rng.pick([...node.entries.map(([k]) => k), "x", "__proto__", "constructor"]);
    const value = rng.chance(0.5) ? junk(rng, 2) : protoPayload(rng);
    setEntry(node, key, value);
    return `${name}.${key}=${short(toText(value), 60)}`;
  }
  return "nested (none)";
}

// ---------------------------------------------------------------------------------------------------------
// Bases that are valid (or nearly so) for each kind of source

function createBases(): Record<string, Record<string, unknown>> {
  return {
    sqs: {
      FunctionName: "orders",
      EventSourceArn: world.queueA,
      BatchSize: 10,
      Enabled: true,
      FilterCriteria: { Filters: [{ Pattern: VALID_PATTERNS[0] }] },
      ScalingConfig: { MaximumConcurrency: 5 },
      Tags: { fuzz: "ünïcødé ✓ 𝄞" },
    },
    kinesis: {
      FunctionName: "orders",
      EventSourceArn: world.streamA,
      StartingPosition: "LATEST",
      BatchSize: 100,
      ParallelizationFactor: 2,
      DestinationConfig: { OnFailure: { Destination: world.queueB } },
      MaximumRetryAttempts: 3,
      Tags: { fuzz: "kinesis" },
    },
    kafka: {
      FunctionName: "orders",
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["broker-1:9092"] } },
      Topics: ["orders-topic"],
      SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ARNS.secret }],
      StartingPosition: "TRIM_HORIZON",
    },
    msk: {
      FunctionName: "orders",
      EventSourceArn: ARNS.msk,
      Topics: ["orders-topic"],
      StartingPosition: "LATEST",
    },
    mq: {
      FunctionName: "orders",
      EventSourceArn: ARNS.mq,
      Queues: ["orders"],
      SourceAccessConfigurations: [{ Type: "BASIC_AUTH", URI: ARNS.secret }],
    },
    documentdb: {
      FunctionName: "orders",
      EventSourceArn: ARNS.documentdb,
      StartingPosition: "LATEST",
      DocumentDBEventSourceConfig: { DatabaseName: "db", CollectionName: "orders", FullDocument: "Default" },
    },
  };
}

function updateBases(): Record<"sqs" | "kinesis", Record<string, unknown>> {
  return {
    sqs: {
      BatchSize: 5,
      Enabled: true,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 10 },
      FilterCriteria: { Filters: [{ Pattern: VALID_PATTERNS[1] }] },
    },
    kinesis: {
      BatchSize: 50,
      ParallelizationFactor: 3,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      DestinationConfig: { OnFailure: { Destination: world.queueB } },
      TumblingWindowInSeconds: 30,
    },
  };
}

const CREATE_FIELDS = Object.keys(createShape.members);
// Update reads Create-only members too (to refuse changing them); Tags and UUID are not body members of it.
const UPDATE_FIELDS = [...Object.keys(updateShape.members), "Tags", "UUID"];

const createPath = (rng: Rng) => (rng.chance(0.5) ? `${COLLECTION}/` : COLLECTION);
const itemPath = (uuid: string) => `${COLLECTION}/${uuid}`;
const tagPath = (uuid: string) => tagsPath(esmArn(uuid));

// ---------------------------------------------------------------------------------------------------------
// The families

describe(`API fuzzing (FUZZ_SEED=${SEED})`, () => {
  it(
    "random bytes and unicode bodies",
    async () => {
      const rng = Rng.for("random bodies");
      const reqs: Req[] = [];
      for (let i = 0; i < 600; i++) {
        const target = i % 3;
        const { kind, body } = target === 0 ? garbage(rng) : rejectableGarbage(rng);
        const common = { body, contentType: contentType(rng) };
        if (target === 0)
          reqs.push({ label: `create ${kind}#${i}`, method: "POST", path: createPath(rng), ...common });
        else if (target === 1)
          reqs.push({
            label: `update ${kind}#${i}`,
            method: "PUT",
            path: itemPath(rng.pick([world.sentinels.sqs, world.sentinels.kinesis, world.sentinels.kafka])),
            mustReject: true,
            ...common,
          });
        else
          reqs.push({
            label: `tag ${kind}#${i}`,
            method: "POST",
            path: tagPath(rng.pick([world.sentinels.sqs, world.sentinels.kinesis])),
            mustReject: true,
            ...common,
          });
      }
      await runFamily("random bytes and unicode bodies", reqs);
    },
    FAMILY_TIMEOUT_MS,
  );

  it(
    "valid bodies truncated at byte offsets",
    async () => {
      const rng = Rng.for("truncated bodies");
      const reqs: Req[] = [];
      const truncations = (
        name: string,
        text: string,
        offsets: "every" | number,
        make: (prefix: Uint8Array) => Omit<Req, "label" | "body">,
      ) => {
        const bytes = Buffer.from(text, "utf8");
        const cuts =
          offsets === "every"
            ? Array.from({ length: bytes.length }, (_, k) => k)
            : Array.from({ length: offsets }, () => rng.int(0, bytes.length - 1));
        for (const k of cuts) {
          const prefix = bytes.subarray(0, k);
          const req = make(prefix);
          if (req.mustReject && parsesAsObject(prefix)) continue;
          reqs.push({ label: `${name} cut at byte ${k} of ${bytes.length}`, body: prefix, ...req });
        }
      };
      const bases = createBases();
      truncations("create sqs", JSON.stringify(bases.sqs), "every", () => ({
        method: "POST",
        path: `${COLLECTION}/`,
      }));
      truncations("create kinesis", JSON.stringify(bases.kinesis), 120, () => ({
        method: "POST",
        path: COLLECTION,
      }));
      truncations("create kafka", JSON.stringify(bases.kafka), 60, () => ({
        method: "POST",
        path: COLLECTION,
      }));
      const updates = updateBases();
      truncations("update sqs sentinel", JSON.stringify(updates.sqs), "every", () => ({
        method: "PUT",
        path: itemPath(world.sentinels.sqs),
        mustReject: true,
      }));
      truncations("update kinesis sentinel", JSON.stringify(updates.kinesis), 60, () => ({
        method: "PUT",
        path: itemPath(world.sentinels.kinesis),
        mustReject: true,
      }));
      truncations("tag sentinel", JSON.stringify({ Tags: { ünï: "cødé 𝄞", team: "x" } }), "every", () => ({
        method: "POST",
        path: tagPath(world.sentinels.sqs),
        mustReject: true,
      }));
      await runFamily("valid bodies truncated at byte offsets", reqs);
    },
    FAMILY_TIMEOUT_MS,
  );

  it(
    "mutated CreateEventSourceMapping bodies",
    async () => {
      const rng = Rng.for("create mutations");
      const bases = createBases();
      const kinds: readonly (readonly [number, () => string])[] = [
        [30, () => "sqs"],
        [25, () => "kinesis"],
        [15, () => "kafka"],
        [10, () => "msk"],
        [10, () => "mq"],
        [10, () => "documentdb"],
      ];
      const reqs: Req[] = [];
      for (let i = 0; i < 900; i++) {
        const kind = rng.weighted(kinds);
        const body = fromJs(bases[kind]) as JObj;
        const steps = mutate(rng, body, CREATE_FIELDS);
        reqs.push({
          label: `${kind}#${i}: ${steps.join("; ")}`,
          method: "POST",
          path: createPath(rng),
          body: toText(body),
        });
      }
      await runFamily("mutated CreateEventSourceMapping bodies", reqs);
    },
    FAMILY_TIMEOUT_MS,
  );

  it(
    "mutated UpdateEventSourceMapping bodies",
    async () => {
      const rng = Rng.for("update mutations");
      const bases = updateBases();
      const reqs: Req[] = [];
      for (let i = 0; i < 320; i++) {
        const kind = rng.chance(0.5) ? "sqs" : "kinesis";
        const body = rng.chance(0.2) ? jobj([]) : (fromJs(bases[kind]) as JObj);
        const steps = mutate(rng, body, UPDATE_FIELDS);
        const uuid = world.targets[kind];
        reqs.push({
          label: `${kind} target#${i}: ${steps.join("; ")}`,
          method: "PUT",
          path: itemPath(uuid),
          body: toText(body),
          updateOf: uuid,
        });
      }
      // One at a time, waiting for the runtime after each accepted update: otherwise most requests would only
      // meet ResourceInUseException and never reach the update rules.
      await runFamily("mutated UpdateEventSourceMapping bodies", reqs, {
        concurrency: 1,
        afterEach: settleAfter2xx,
      });
    },
    FAMILY_TIMEOUT_MS,
  );

  it(
    "mutated TagResource bodies",
    async () => {
      const rng = Rng.for("tag mutations");
      const target = world.targets.sqs;
      const reqs: Req[] = [];
      for (let i = 0; i < 220; i++) {
        const body = jobj([["Tags", tagsValue(rng)]]);
        const steps = rng.chance(0.3) ? mutate(rng, body, ["Tags", "Resource", "TagKeys"]) : [];
        // Mostly the target; sometimes an ARN that names no mapping (must be a 4xx whatever the body).
        const arn = rng.weighted<string | undefined>([
          [85, () => undefined],
          [5, () => esmArn("00000000-0000-0000-0000-000000000000")],
          [5, () => `arn:aws:lambda:eu-west-1:${ACCOUNT}:event-source-mapping:${target}`],
          [5, () => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`],
        ]);
        reqs.push({
          label: `tags#${i}${arn ? ` on ${arn}` : ""}: ${short(toText(body), 100)} ${steps.join("; ")}`,
          method: "POST",
          path: arn ? tagsPath(arn) : tagPath(target),
          body: toText(body),
          ...(arn ? { mustReject: true } : { tagOf: target }),
        });
      }
      await runFamily("mutated TagResource bodies", reqs);
    },
    FAMILY_TIMEOUT_MS,
  );

  it(
    "deep nesting, prototype keys, null members and other edge cases",
    async () => {
      const deep = { object: deepObject(DEEP), array: deepArray(DEEP), mixed: deepMixed(DEEP) };
      const q = JSON.stringify(world.queueA);
      const create: Req[] = [];
      const update: Req[] = [];
      const addCreate = (label: string, body: string) =>
        create.push({ label: `create ${label}`, method: "POST", path: `${COLLECTION}/`, body });
      const addUpdate = (label: string, body: string, kind: "sqs" | "kinesis" = "sqs") =>
        update.push({
          label: `update ${kind} target ${label}`,
          method: "PUT",
          path: itemPath(world.targets[kind]),
          body,
          updateOf: world.targets[kind],
        });

      // Depth 10 000 as the whole body, and in every member of the model (plus unknown members).
      for (const [name, text] of Object.entries(deep)) {
        addCreate(`whole body deep ${name}`, text);
        addUpdate(`whole body deep ${name}`, text);
      }
      addCreate("whole body deep object ×100 000", deepObject(100_000));
      for (const field of [...CREATE_FIELDS, "Junk", "__proto__", "constructor"]) {
        addCreate(
          `${field}=deep object`,
          `{"FunctionName":"orders","EventSourceArn":${q},"${field}":${deep.object}}`,
        );
        addCreate(
          `${field}=deep array`,
          `{"FunctionName":"orders","EventSourceArn":${q},"${field}":${deep.array}}`,
        );
      }
      for (const field of [...UPDATE_FIELDS, "Junk", "__proto__", "constructor"])
        addUpdate(`${field}=deep object`, `{"${field}":${deep.object}}`);
      // Deep values where the model reports a violation that quotes the whole value (lists and maps over their
      // maximum length), and inside structures as members the model does not know.
      const positions: [string, string][] = [
        ["FunctionResponseTypes", `["a","b",@]`],
        ["Topics", `["t1","t2",@]`],
        ["Queues", `["q1","q2",@]`],
        ["SourceAccessConfigurations", `[${'{"Type":"BASIC_AUTH"},'.repeat(23)}@]`],
        ["MetricsConfig", `{"Metrics":["EventCount","ErrorCount","KafkaMetrics","x",@]}`],
        ["SelfManagedEventSource", `{"Endpoints":{"A":["a:1"],"B":["b:1"],"C":@}}`],
        ["FilterCriteria", `{"Filters":[@]}`],
        ["FilterCriteria", `{"Filters":[{"Pattern":"{}","Extra":@}]}`],
        ["DestinationConfig", `{"OnFailure":{"Destination":"","Extra":@}}`],
        ["ScalingConfig", `{"MaximumConcurrency":5,"Extra":@}`],
        ["Tags", `{"k":@}`],
      ];
      // A qualifier of its own per case: no duplicate-mapping conflict stops the request before the store.
      for (const [i, [field, template]] of positions.entries()) {
        const value = template.replace("@", deep.object);
        addCreate(
          `${field}=${template}`,
          `{"FunctionName":"billing:p${i}","EventSourceArn":${q},"${field}":${value}}`,
        );
        if (UPDATE_FIELDS.includes(field)) addUpdate(`${field}=${template}`, `{"${field}":${value}}`);
      }
      // Filter patterns: deep JSON inside the Pattern string, at and beyond the 4096-character limit.
      for (const p of [deepObject(DEEP), deepObject(800, '["x"]'), deepArray(2000), deepObject(800)]) {
        const body = `{"FilterCriteria":{"Filters":[{"Pattern":${JSON.stringify(p)}}]}}`;
        addCreate(
          `Pattern=deep (${p.length} chars)`,
          `{"FunctionName":"billing","EventSourceArn":${q},${body.slice(1)}`,
        );
        addUpdate(`Pattern=deep (${p.length} chars)`, body);
      }

      // Prototype keys: a member named __proto__ is just an unknown member to Lambda.
      addCreate(
        "source smuggled in __proto__",
        `{"FunctionName":"audit","__proto__":{"EventSourceArn":${q}}}`,
      );
      addCreate(
        "OnSuccess smuggled in __proto__",
        `{"FunctionName":"orders","EventSourceArn":${q},"__proto__":{"DestinationConfig":{"OnSuccess":{"Destination":${q}}}}}`,
      );
      addCreate(
        "constructor.prototype",
        `{"FunctionName":"orders","EventSourceArn":${q},"constructor":{"prototype":{"polluted":true}}}`,
      );
      addCreate(
        "__proto__ in Tags",
        `{"FunctionName":"orders","EventSourceArn":${q},"Tags":{"__proto__":"x"}}`,
      );
      addCreate(
        "__proto__ inside ScalingConfig",
        `{"FunctionName":"orders","EventSourceArn":${q},"ScalingConfig":{"__proto__":{"MaximumConcurrency":"x"}}}`,
      );
      addUpdate(
        "OnSuccess smuggled in __proto__",
        `{"__proto__":{"DestinationConfig":{"OnSuccess":{"Destination":${q}}}}}`,
      );
      addUpdate("BatchSize smuggled in __proto__", `{"__proto__":{"BatchSize":"many"}}`);

      // null and empty members in every kind.
      const bases = createBases();
      const nullish: [string, unknown][] = [
        ["SourceAccessConfigurations", [null]],
        ["SourceAccessConfigurations", [{}]],
        ["SourceAccessConfigurations", [null, { Type: "BASIC_AUTH", URI: ARNS.secret }]],
        ["FilterCriteria", { Filters: [null] }],
        ["FilterCriteria", { Filters: [{}] }],
        ["DestinationConfig", { OnFailure: null }],
        ["DestinationConfig", {}],
        ["SelfManagedEventSource", {}],
        ["SelfManagedEventSource", { Endpoints: null }],
        ["SelfManagedEventSource", { Endpoints: {} }],
        ["DocumentDBEventSourceConfig", {}],
        ["ProvisionedPollerConfig", {}],
        ["MetricsConfig", { Metrics: [null] }],
        ["Topics", [null]],
        ["Queues", []],
        ["Tags", { k: null }],
        ["EventSourceArn", null],
      ];
      for (const [kind, base] of Object.entries(bases))
        for (const [field, value] of nullish)
          addCreate(`${kind} ${field}=${JSON.stringify(value)}`, JSON.stringify({ ...base, [field]: value }));
      for (const [field, value] of nullish) {
        addUpdate(`${field}=${JSON.stringify(value)}`, JSON.stringify({ [field]: value }), "sqs");
        addUpdate(`${field}=${JSON.stringify(value)}`, JSON.stringify({ [field]: value }), "kinesis");
      }

      const tagTarget = world.targets.sqs;
      const tags: Req[] = [
        `{"Tags":${deep.object}}`,
        `{"Tags":{"k":${deep.object}}}`,
        `{"Tags":{"k":"v"},"Extra":${deep.object}}`,
        `{"Tags":{"__proto__":"proto"}}`,
        `{"Tags":{"constructor":"ctor"}}`,
        `{"Tags":{"aws:reserved":"x"}}`,
        `{"Tags":null}`,
        `{"Tags":{"k":null}}`,
        `{"__proto__":{"Tags":{"smuggled":"x"}}}`,
      ].map((body, i) => ({
        label: `tags edge#${i}`,
        method: "POST",
        path: tagPath(tagTarget),
        body,
        tagOf: tagTarget,
      }));
      const untag: Req[] = ["__proto__", "constructor", "", "%zz", encode("\ud83d\ude00")].map((key, i) => ({
        label: `untag edge#${i}`,
        method: "DELETE",
        path: `${tagPath(world.sentinels.sqs)}?tagKeys=${key}&tagKeys=${key}`,
      }));

      const failures: string[] = [];
      for (const [title, reqs, options] of [
        ["edge cases: create", create, {}],
        ["edge cases: update", update, { concurrency: 1, afterEach: settleAfter2xx }],
        ["edge cases: tags", [...tags, ...untag], {}],
      ] as const) {
        await runFamily(title, reqs, options).catch((err: Error) => failures.push(err.message));
      }
      if (failures.length > 0) throw new Error(failures.join("\n\n"));
    },
    FAMILY_TIMEOUT_MS,
  );

  it(
    "bodies around the 1 MB limit",
    async () => {
      const rng = Rng.for("size limit");
      const targets: [string, string, boolean][] = [
        ["create", `${COLLECTION}/`, false],
        ["update sentinel", itemPath(world.sentinels.sqs), true],
        ["tag sentinel", tagPath(world.sentinels.sqs), true],
      ];
      const tooLarge = { expectStatus: 413, expectErrorType: "RequestTooLargeException" };
      const reqs: Req[] = [];
      for (const [name, path, sentinel] of targets) {
        const method = name === "update sentinel" ? "PUT" : "POST";
        const base = { method, path, ...(sentinel ? { mustReject: true } : {}) };
        const underLimitGarbage = () => {
          for (;;) {
            const bytes = rng.bytes(MB - 1);
            if (!parsesAsObject(bytes)) return bytes;
          }
        };
        reqs.push(
          { label: `${name}: 1 MB + 1 byte`, ...base, body: "x".repeat(MB + 1), ...tooLarge },
          {
            label: `${name}: 2 MB random bytes`,
            ...base,
            body: rng.bytes(2 * MB),
            contentType: null,
            ...tooLarge,
          },
          {
            label: `${name}: 1.5 MB chunked`,
            ...base,
            body: "y".repeat(1.5 * MB),
            chunked: true,
            ...tooLarge,
          },
          {
            label: `${name}: 2-byte chars, > 1 MB in bytes`,
            ...base,
            body: "é".repeat(MB / 2 + 1),
            ...tooLarge,
          },
          {
            label: `${name}: JSON object just over 1 MB`,
            ...base,
            body: JSON.stringify({ FunctionName: "orders", Tags: { big: "x".repeat(MB) } }),
            ...tooLarge,
          },
          { label: `${name}: exactly 1 MB garbage`, ...base, body: "x".repeat(MB), expectStatus: 400 },
          { label: `${name}: 1 MB - 1 random bytes`, ...base, body: underLimitGarbage(), forbidStatus: 413 },
          {
            label: `${name}: JSON object just under 1 MB`,
            ...base,
            // Invalid for every target: FunctionName too long (create, update), a tag value too long (tags).
            body: JSON.stringify({
              FunctionName: "x".repeat(MB - 500),
              Tags: { big: "x".repeat(300) },
              EventSourceArn: world.queueA,
            }),
            forbidStatus: 413,
          },
        );
      }
      await runFamily("bodies around the 1 MB limit", reqs, { concurrency: 2 });
    },
    FAMILY_TIMEOUT_MS,
  );

  it(
    "random paths, methods and query strings",
    async () => {
      const rng = Rng.for("paths");
      const existing = [...Object.values(world.sentinels), ...Object.values(world.targets)];
      const sentinelArn = esmArn(world.sentinels.sqs);
      const junkKey = () => {
        for (;;) {
          const k = rng.weighted<string>([
            [50, () => rng.ascii(rng.int(0, 20), URL_SAFE)],
            [20, () => encode(rng.unicode(rng.int(1, 6)))],
            [10, () => rng.pick(["%zz", "%", "__proto__", "constructor", "k".repeat(129)])],
            [20, () => rng.pick(["env", "team", "k1"])],
          ]);
          const decoded = (() => {
            try {
              return decodeURIComponent(k);
            } catch {
              return k;
            }
          })();
          if (!world.sentinelTagKeys.includes(decoded) && !world.sentinelTagKeys.includes(k)) return k;
        }
      };
      const base64url = (text: string) => Buffer.from(text).toString("base64url");
      const queryPart = (): string =>
        rng.weighted<string>([
          [
            15,
            () =>
              `MaxItems=${rng.pick(["abc", "", "0", "1", "-1", "10000", "10001", "1e3", "1.5", "99999999999", "-0", "%20", "+1", "0x10", "%zz", "%EF%BC%91"])}`,
          ],
          [
            15,
            () =>
              `Marker=${rng.pick([
                rng.ascii(rng.int(0, 40), URL_SAFE),
                "%zz",
                base64url(toText(junk(rng))),
                base64url('[1,"x"]'),
                base64url('[1e308,""]'),
                base64url("[null,null]"),
                base64url('{"__proto__":[1]}'),
                "=",
                "a".repeat(3000),
              ])}`,
          ],
          [
            10,
            () =>
              `FunctionName=${encode(rng.chance(0.5) ? rng.pick(FUNCTION_NAMES) : rng.unicode(rng.int(1, 30)))}`,
          ],
          [
            10,
            () => `EventSourceArn=${encode(rng.chance(0.5) ? world.queueA : junkString(rng).slice(0, 2000))}`,
          ],
          [
            20,
            () => Array.from({ length: rng.pick([1, 2, 3, 50, 51]) }, () => `tagKeys=${junkKey()}`).join("&"),
          ],
          [
            15,
            () =>
              rng.pick([
                "tagKeys[]=a",
                "tagKeys=",
                "TagKeys=x",
                "__proto__=x",
                "__proto__[polluted]=1",
                "constructor[prototype][polluted]=1",
                "a[b][c]=d",
                "&&&",
                "==",
                "%zz=%zz",
                `x=${"y".repeat(4000)}`,
                "MaxItems=1&MaxItems=abc",
                "Marker",
              ]),
          ],
          [15, () => `${rng.ascii(rng.int(1, 10), URL_SAFE)}=${rng.ascii(rng.int(0, 30), URL_SAFE)}`],
        ]);
      const query = () =>
        rng.chance(0.35) ? "" : `?${Array.from({ length: rng.int(1, 3) }, queryPart).join("&")}`;
      const junkSegment = () =>
        rng.weighted<string>([
          [30, () => rng.ascii(rng.int(1, 40), URL_SAFE)],
          [
            30,
            () =>
              rng.pick([
                "%zz",
                "%",
                "%E2%82",
                "%00",
                "%2F",
                "%2e%2e",
                "..",
                ".",
                "*",
                ";x=y",
                "%u0041",
                "%C0%AF",
                "%FF%FE",
                "00000000-0000-0000-0000-000000000000",
                randomUuid(rng),
              ]),
          ],
          [20, () => encode(rng.unicode(rng.int(1, 10)))],
          [5, () => "a".repeat(rng.pick([2048, 2049, 3000]))],
          [15, () => randomUuid(rng).toUpperCase()],
        ]);
      const tagArnVariant = (allowSentinel: boolean): string =>
        rng.weighted<string>([
          [allowSentinel ? 15 : 0, () => encode(sentinelArn)],
          [allowSentinel ? 10 : 0, () => sentinelArn],
          [allowSentinel ? 5 : 0, () => sentinelArn.replaceAll(":", "%3a")],
          [
            15,
            () => {
              const i = rng.int(0, sentinelArn.length - 1);
              return (
                encode(sentinelArn.slice(0, i)) +
                rng.pick(["%zz", "%", "%00", "%E2%82", "%2F"]) +
                encode(sentinelArn.slice(i + 1))
              );
            },
          ],
          [10, () => encode(`${sentinelArn}${rng.pick([":alias", "/x", " ", "\u0000", "%"])}`)],
          [10, () => encode(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:orders`)],
          [10, () => encode(esmArn(randomUuid(rng)))],
          [10, () => encode(`arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:${rng.unicode(5)}`)],
          [10, () => junkSegment()],
          [5, () => `${junkSegment()}/${junkSegment()}`],
          [5, () => "a".repeat(5000)],
        ]);
      const OTHER_PATHS = [
        "",
        "/",
        "//",
        "/healthz",
        "/healthz/",
        "/HEALTHZ",
        "/2015-03-31",
        "/2015-03-31/functions/orders/invocations",
        "/2015-03-31/event-source-mapping",
        "/2016-03-31/event-source-mappings",
        "/2015-03-31/EVENT-SOURCE-MAPPINGS",
        "/2017-03-31/tags",
        "/2017-03-31/tags/",
        "/2015-03-31/event-source-mappings//",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2fetc/passwd",
      ];
      const METHODS: readonly (readonly [number, () => string])[] = [
        [35, () => "GET"],
        [15, () => "DELETE"],
        [15, () => "POST"],
        [10, () => "PUT"],
        [8, () => "HEAD"],
        [5, () => "PATCH"],
        [5, () => "OPTIONS"],
        [
          7,
          () =>
            rng.pick(["PROPFIND", "MKCOL", "PURGE", "SEARCH", "LOCK", "UNLOCK", "REPORT", "COPY", "MOVE"]),
        ],
      ];

      const reqs: Req[] = [];
      for (let i = 0; i < 500; i++) {
        const method = rng.weighted(METHODS);
        const readOnly = method === "GET" || method === "HEAD";
        const where = rng.weighted<string>([
          [25, () => "collection"],
          [25, () => "item"],
          [30, () => "tags"],
          [20, () => "other"],
        ]);
        let path: string;
        if (where === "collection") path = COLLECTION + rng.pick(["", "/", "//", "/."]) + query();
        else if (where === "item") {
          // Existing mappings only for reads: a PUT or DELETE on one could succeed and is not what this tests.
          const id = readOnly && rng.chance(0.4) ? rng.pick(existing) : junkSegment();
          path = `${COLLECTION}/${id}${rng.chance(0.2) ? `/${junkSegment()}` : ""}${query()}`;
        } else if (where === "tags")
          path = `/2017-03-31/tags/${tagArnVariant(readOnly || method === "DELETE" || method === "POST")}${query()}`;
        else path = rng.pick(OTHER_PATHS) + (rng.chance(0.3) ? `/${junkSegment()}` : "") + query();
        const req: Req = {
          label: `${where} ${method}#${i}`,
          method,
          path,
          mustReject: !readOnly && method !== "DELETE",
        };
        if (!readOnly && rng.chance(0.5)) {
          const { body } = rejectableGarbage(rng);
          req.body = body;
          req.contentType = contentType(rng);
        }
        // Bodiless POST/PUT count as `{}`: harmless for these paths (no mapping is addressed by a valid UUID, a
        // tag request without Tags is invalid), and mustReject checks it.
        reqs.push(req);
      }
      // Fixed cases, whatever the seed: URLs the router cannot decode and parameters over its length limit.
      for (const [method, path] of [
        ["GET", `${COLLECTION}/%zz`],
        ["PUT", `${COLLECTION}/%E2%82`],
        ["GET", `/2017-03-31/tags/%zz`],
        ["DELETE", `/2017-03-31/tags/${encode(sentinelArn).slice(0, 20)}%zz?tagKeys=a`],
        ["GET", `${COLLECTION}/${"a".repeat(2049)}`],
        ["PUT", `${COLLECTION}/${"a".repeat(3000)}`],
        ["DELETE", `${COLLECTION}/${"a".repeat(3000)}`],
      ] as const)
        reqs.push({
          label: `fixed ${method} ${short(path, 40)}`,
          method,
          path,
          mustReject: method === "PUT",
        });
      await runFamily("random paths, methods and query strings", reqs);
    },
    FAMILY_TIMEOUT_MS,
  );

  it(
    "HTTP-level errors (unknown method, oversized URL and headers) are AWS-shaped",
    async () => {
      const reqs: Req[] = [
        { label: "unknown method token", method: "FOO", path: `${COLLECTION}/` },
        { label: "lower-case method", method: "patch", path: `${COLLECTION}/` },
        {
          label: "URL over the 16 KB header limit",
          method: "GET",
          path: `${COLLECTION}/?x=${"a".repeat(20_000)}`,
        },
        {
          label: "header over the 16 KB limit",
          method: "GET",
          path: `${COLLECTION}/`,
          headers: { "x-junk": "a".repeat(20_000) },
        },
      ];
      await runFamily("HTTP-level errors (unknown method, oversized URL and headers) are AWS-shaped", reqs, {
        concurrency: 1,
      });
    },
    FAMILY_TIMEOUT_MS,
  );

  it(
    "leaves the store as only the 2xx responses changed it",
    async () => {
      const after = await snapshot();
      const problems: string[] = [];
      const strip = (m: Record<string, unknown> | undefined) => {
        const { State, StateTransitionReason, LastModified, LastProcessingResult, ...rest } = m ?? {};
        return rest;
      };
      for (const uuid of after.mappings.keys())
        if (!before.mappings.has(uuid) && !ledger.created.has(uuid))
          problems.push(`mapping ${uuid} exists although no create was answered 2xx for it`);
      for (const [uuid, was] of before.mappings) {
        const now = after.mappings.get(uuid);
        if (!now) {
          problems.push(`mapping ${uuid} disappeared`);
          continue;
        }
        const updates = ledger.updates.get(uuid) ?? [];
        if (updates.length === 0) {
          if (JSON.stringify(now) !== JSON.stringify(was))
            problems.push(
              `mapping ${uuid} changed without a 2xx update:\n  before ${JSON.stringify(was)}\n  after  ${JSON.stringify(now)}`,
            );
        } else {
          // The mapping must be what the last accepted update answered (ties in LastModified: any of them).
          const latest = Math.max(...updates.map((u) => Number(u.LastModified)));
          const candidates = updates.filter((u) => Number(u.LastModified) === latest);
          if (!candidates.some((u) => JSON.stringify(strip(u)) === JSON.stringify(strip(now))))
            problems.push(
              `mapping ${uuid} is not what its last accepted update answered:\n  answered ${JSON.stringify(strip(candidates[0]))}\n  stored   ${JSON.stringify(strip(now))}`,
            );
        }
        const tagsBefore = new Map(Object.entries(before.tags.get(uuid) ?? {}));
        const tagsAfter = new Map(Object.entries(after.tags.get(uuid) ?? {}));
        const writes = ledger.tagWrites.get(uuid) ?? [];
        const allowed = new Map<string, Set<unknown>>();
        for (const [k, v] of tagsBefore) allowed.set(k, new Set([v]));
        for (const write of writes)
          for (const [k, v] of Object.entries(write)) allowed.set(k, (allowed.get(k) ?? new Set()).add(v));
        const written = new Set(writes.flatMap((w) => Object.keys(w)));
        for (const [k, v] of tagsAfter)
          if (!allowed.get(k)?.has(v))
            problems.push(
              `mapping ${uuid} has tag ${JSON.stringify(k)}=${JSON.stringify(v)} that no 2xx request set`,
            );
        for (const k of [...tagsBefore.keys(), ...written])
          if (!tagsAfter.has(k)) problems.push(`mapping ${uuid} lost tag ${JSON.stringify(k)}`);
      }

      // Remove what the fuzzing created; the store must then hold exactly the mappings of before.
      await sut.sluice.supervisor.idle();
      for (const uuid of ledger.created) {
        if (!after.mappings.has(uuid)) continue;
        const deleted = await call(sut.endpoint, "DELETE", itemPath(uuid));
        if (deleted.status !== 202)
          problems.push(`could not delete created mapping ${uuid}: ${deleted.status} ${deleted.text}`);
      }
      const final = await snapshot();
      expect([...final.mappings.keys()].sort()).toEqual([...before.mappings.keys()].sort());
      if (problems.length > 0)
        throw new Error(
          `store check failed (FUZZ_SEED=${SEED}; ${ledger.created.size} created by 2xx):\n${problems.join("\n")}`,
        );
    },
    FAMILY_TIMEOUT_MS,
  );

  it("still answers: healthz, reads, a full write round trip, no prototype pollution", async () => {
    expect(sut.sluice.api.server.listening).toBe(true);
    const health = await call(sut.endpoint, "GET", "/healthz");
    expect(health.status, health.text).toBe(200);
    expect(health.body).toEqual({ status: "ok" });
    const list = await call(sut.endpoint, "GET", `${COLLECTION}/`);
    expect(list.status, list.text).toBe(200);
    // The mutation queue is not wedged: a create and a delete still go through.
    const created = await call(sut.endpoint, "POST", `${COLLECTION}/`, {
      FunctionName: "billing",
      EventSourceArn: world.queueC,
    });
    expect(created.status, created.text).toBe(202);
    await sut.sluice.supervisor.idle();
    const deleted = await call(sut.endpoint, "DELETE", itemPath(String(created.body?.UUID)));
    expect(deleted.status, deleted.text).toBe(202);
    await sut.sluice.supervisor.idle();
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeysBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
