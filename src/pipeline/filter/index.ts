/**
 * The event pattern engine's public face. Until the compiler lands, a pattern is valid when it is a JSON object
 * whose every leaf is a non-empty array or an object: the shape every EventBridge pattern has.
 */

/** Whether Lambda would accept `pattern` (the JSON text of one filter). */
export function isValidPattern(pattern: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(pattern);
  } catch {
    return false;
  }
  return isPatternObject(parsed);
}

function isPatternObject(node: unknown): boolean {
  if (typeof node !== "object" || node === null || Array.isArray(node)) return false;
  return Object.values(node).every((value) =>
    Array.isArray(value) ? value.length > 0 : isPatternObject(value),
  );
}
