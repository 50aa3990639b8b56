/** Small formatting helpers: a padded Markdown table, and compact numbers. */

export function markdownTable(
  header: string[],
  rows: string[][],
  rightAlign: (column: number) => boolean,
): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) =>
    `| ${cells
      .map((cell, c) => (rightAlign(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join(" | ")} |`;
  const rule = `|${widths.map((w, c) => (rightAlign(c) ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** Events per second, compact: 12.35M, 815k, 15.2k. */
export function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e5) return `${(perSecond / 1e3).toFixed(0)}k`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

export const count = (n: number) => n.toLocaleString("en-US");

export const ratio = (r: number) =>
  r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;

/**
 * A ratio set against a target, to 2 places, cut rather than rounded, so that a miss never prints as the
 * target: 0.895 shows 0.89. The epsilon keeps binary fractions (0.29 × 100 = 28.999…) on their own figure.
 */
export const cutRatio = (r: number) => (Math.floor(r * 100 + 1e-9) / 100).toFixed(2);

/** A table's "vs sluice" column, cut the same way: "0.89×". */
export const cutTimes = (r: number) => `${cutRatio(r)}×`;

export const percent = (p: number) => (p === 100 ? "100%" : `${p.toFixed(p >= 99 ? 2 : 1)}%`);
