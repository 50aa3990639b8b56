/**
 * The benchmark's patterns, one per feature the issue names, plus one combining five of them. They are shaped
 * as EventBridge rules (`source`, `detail-type`, `detail`), the shape every peer matcher supports.
 */
export interface BenchPattern {
  name: string;
  pattern: Record<string, unknown>;
}

export const PATTERNS: readonly BenchPattern[] = [
  { name: "exact", pattern: { source: ["com.shop.orders"] } },
  { name: "prefix", pattern: { detail: { orderId: [{ prefix: "ord-1" }] } } },
  { name: "numeric range", pattern: { detail: { amount: [{ numeric: [">=", 100, "<", 500] }] } } },
  {
    name: "anything-but list",
    pattern: { detail: { status: [{ "anything-but": ["CANCELLED", "REFUNDED", "FAILED"] }] } },
  },
  { name: "exists", pattern: { detail: { coupon: [{ exists: true }] } } },
  {
    name: "nested 3 levels",
    pattern: { detail: { customer: { address: { country: ["DE", "FR", "NL"] } } } },
  },
  {
    name: "$or",
    pattern: {
      detail: {
        $or: [
          { status: ["SHIPPED"] },
          { amount: [{ numeric: [">", 1500] }] },
          { items: { category: ["electronics"] } },
        ],
      },
    },
  },
  {
    name: "combined (5)",
    pattern: {
      source: ["com.shop.orders"],
      "detail-type": [{ prefix: "Order " }],
      detail: {
        amount: [{ numeric: [">", 50, "<=", 1000] }],
        status: [{ "anything-but": ["CANCELLED", "REFUNDED"] }],
        customer: { address: { country: ["US", "CA", "DE", "FR"] } },
      },
    },
  },
];
