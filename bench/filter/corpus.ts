/**
 * A deterministic corpus of pre-parsed events for the filter benchmark: mostly EventBridge events (an order
 * domain, with nested `detail`, arrays of objects and of strings, numbers and strings), plus SQS records as Lambda
 * filters see them (`body` already parsed). The same seed always yields the same corpus, so match counts are
 * comparable from run to run and machine to machine.
 *
 * Some values are deliberately awkward, as real traffic is: a missing or null `status`, an `amount` sent as a
 * string, a `coupon` that is an object rather than a leaf, an address left out. Those are where matchers that
 * get EventBridge's semantics wrong part ways with Sluice.
 */

/** mulberry32: a small, fast, seedable PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const DEFAULT_SEED = 20_240_611;
export const DEFAULT_EVENTS = 100_000;

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** Picks by weight: `[[value, weight], ...]`, weights need not sum to 1. */
function weighted<T>(random: Random, items: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of items) total += w;
  let r = random() * total;
  for (const [value, w] of items) {
    r -= w;
    if (r < 0) return value;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
}

const hex = (random: Random, digits: number): string => {
  let s = "";
  for (let i = 0; i < digits; i++) s += "0123456789abcdef"[Math.floor(random() * 16)];
  return s;
};

const uuid = (random: Random) =>
  `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;

const SOURCES = [
  ["com.shop.orders", 40],
  ["com.shop.payments", 20],
  ["com.shop.shipping", 15],
  ["com.shop.inventory", 15],
  ["aws.ec2", 10],
] as const;
const DETAIL_TYPES = [
  "Order Placed",
  "Order Updated",
  "Order Cancelled",
  "Payment Captured",
  "Shipment Dispatched",
  "Inventory Adjusted",
] as const;
const STATUSES = [
  "CREATED",
  "PAID",
  "PACKED",
  "SHIPPED",
  "DELIVERED",
  "CANCELLED",
  "REFUNDED",
  "FAILED",
] as const;
const REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"] as const;
const ACCOUNTS = ["111122223333", "444455556666", "777788889999"] as const;
const COUNTRIES = ["US", "CA", "DE", "FR", "NL", "GB", "ES", "IT", "JP", "BR", "AU", "IN"] as const;
const CITIES = ["Springfield", "Lyon", "Utrecht", "Leeds", "Osaka", "Porto Alegre", "Perth", "Pune"] as const;
const TIERS = ["bronze", "silver", "gold", "platinum"] as const;
const CATEGORIES = ["books", "electronics", "toys", "garden", "grocery", "apparel", "sports"] as const;
const CURRENCIES = ["USD", "EUR", "GBP", "JPY", "BRL"] as const;
const TAGS = ["vip", "new", "wholesale", "returning", "flagged", "newsletter"] as const;

function money(random: Random): number {
  // Roughly log-uniform between 1 and 3000, two decimals: many small orders, a long tail of big ones.
  return Math.round(Math.exp(random() * Math.log(3000)) * 100) / 100;
}

function customer(random: Random): Record<string, unknown> {
  const c: Record<string, unknown> = {
    id: `cust-${String(Math.floor(random() * 50_000)).padStart(5, "0")}`,
    tier: weighted(random, [
      [TIERS[0], 50],
      [TIERS[1], 30],
      [TIERS[2], 15],
      [TIERS[3], 5],
    ]),
  };
  if (random() >= 0.05)
    c.address = {
      country: pick(random, COUNTRIES),
      city: pick(random, CITIES),
      postalCode: String(10_000 + Math.floor(random() * 89_999)),
    };
  const tagCount = Math.floor(random() * 3);
  c.tags = Array.from({ length: tagCount }, () => pick(random, TAGS));
  return c;
}

function orderDetail(random: Random): Record<string, unknown> {
  const detail: Record<string, unknown> = { orderId: `ord-${hex(random, 10)}` };
  const s = random();
  if (s < 0.03) {
    // status missing
  } else if (s < 0.05) detail.status = null;
  else detail.status = pick(random, STATUSES);
  const amount = money(random);
  detail.amount = random() < 0.03 ? amount.toFixed(2) : amount;
  detail.currency = pick(random, CURRENCIES);
  detail.quantity = 1 + Math.floor(random() * 20);
  detail.customer = customer(random);
  const itemCount = 1 + Math.floor(random() * 5);
  detail.items = Array.from({ length: itemCount }, () => ({
    sku: `SKU-${hex(random, 6).toUpperCase()}`,
    category: pick(random, CATEGORIES),
    price: money(random),
    qty: 1 + Math.floor(random() * 4),
  }));
  const c = random();
  if (c < 0.25) detail.coupon = `SAVE${5 * (1 + Math.floor(random() * 6))}`;
  else if (c < 0.3) detail.coupon = null;
  else if (c < 0.34) detail.coupon = { code: `BUNDLE${Math.floor(random() * 9)}`, percent: 10 };
  detail.metadata = {
    traceId: `1-${hex(random, 8)}-${hex(random, 24)}`,
    attempt: 1 + Math.floor(random() * 3),
    channel: pick(random, ["web", "ios", "android", "pos"]),
  };
  return detail;
}

function ec2Detail(random: Random): Record<string, unknown> {
  return {
    "instance-id": `i-${hex(random, 17)}`,
    state: pick(random, ["pending", "running", "stopping", "stopped", "terminated"]),
  };
}

function eventBridgeEvent(random: Random, i: number): Record<string, unknown> {
  const source = weighted(random, SOURCES);
  const region = pick(random, REGIONS);
  const account = pick(random, ACCOUNTS);
  const resourceCount = Math.floor(random() * 3);
  return {
    version: "0",
    id: uuid(random),
    "detail-type":
      source === "aws.ec2" ? "EC2 Instance State-change Notification" : pick(random, DETAIL_TYPES),
    source,
    account,
    time: new Date(Date.UTC(2024, 5, 1) + i * 997).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region,
    resources: Array.from(
      { length: resourceCount },
      () => `arn:aws:dynamodb:${region}:${account}:table/orders-${hex(random, 4)}`,
    ),
    detail: source === "aws.ec2" ? ec2Detail(random) : orderDetail(random),
  };
}

/** An SQS record as Lambda filtering sees it: the JSON body already parsed. */
function sqsRecord(random: Random, i: number): Record<string, unknown> {
  const region = pick(random, REGIONS);
  const sent = Date.UTC(2024, 5, 1) + i * 997;
  return {
    messageId: uuid(random),
    receiptHandle: `AQEB${hex(random, 48)}`,
    body: orderDetail(random),
    attributes: {
      ApproximateReceiveCount: String(1 + Math.floor(random() * 3)),
      SentTimestamp: String(sent),
      SenderId: `AIDA${hex(random, 16).toUpperCase()}`,
      ApproximateFirstReceiveTimestamp: String(sent + 20),
    },
    messageAttributes: {
      tenant: { stringValue: `tenant-${Math.floor(random() * 40)}`, dataType: "String" },
    },
    md5OfBody: hex(random, 32),
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:${region}:${pick(random, ACCOUNTS)}:orders-queue`,
    awsRegion: region,
  };
}

/** `count` events from `seed`: 80 % EventBridge events, 20 % SQS records. */
export function generateCorpus(count = DEFAULT_EVENTS, seed = DEFAULT_SEED): unknown[] {
  const random = seededRandom(seed);
  const events: unknown[] = new Array(count);
  for (let i = 0; i < count; i++)
    events[i] = random() < 0.8 ? eventBridgeEvent(random, i) : sqsRecord(random, i);
  return events;
}
