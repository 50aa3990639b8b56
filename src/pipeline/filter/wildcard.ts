/**
 * EventBridge wildcards: `*` matches any run of characters (none included), `\*` a literal star and `\\` a
 * literal backslash. Matching is linear: the literal pieces are found left to right, so a pattern cannot be
 * made to backtrack (and AWS refuses patterns with many wildcards anyway).
 */
import { invalid } from "./errors.js";

/** AWS refuses wildcard patterns it deems too complex; Sluice draws the line at more than five wildcards. */
export const MAX_WILDCARDS = 5;

/** A compiled wildcard: the literal pieces between stars. */
export interface Wildcard {
  pieces: readonly string[];
}

/** Where AWS says a syntax error is: a position in the UTF-8 bytes of the quoted value (`"` counts as 1). */
function position(pattern: string, index: number): number {
  return Buffer.byteLength(pattern.slice(0, index)) + 1;
}

export function compileWildcard(pattern: string): Wildcard {
  const pieces: string[] = [];
  let piece = "";
  let stars = 0;
  let afterStar = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      const next = pattern[i + 1];
      if (next !== "*" && next !== "\\")
        throw invalid(`Invalid escape character at pos ${position(pattern, i)}`);
      piece += next;
      i++;
      afterStar = false;
    } else if (ch === "*") {
      if (afterStar) throw invalid(`Consecutive wildcard characters at pos ${position(pattern, i - 1)}`);
      pieces.push(piece);
      piece = "";
      stars++;
      afterStar = true;
    } else {
      piece += ch;
      afterStar = false;
    }
  }
  pieces.push(piece);
  if (stars > MAX_WILDCARDS)
    throw invalid(
      "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
    );
  return { pieces };
}

export function matchesWildcard({ pieces }: Wildcard, value: string): boolean {
  const first = pieces[0] as string;
  if (pieces.length === 1) return value === first;
  const last = pieces[pieces.length - 1] as string;
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last))
    return false;
  let from = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] as string;
    const at = value.indexOf(piece, from);
    if (at === -1 || at + piece.length > end) return false;
    from = at + piece.length;
  }
  return true;
}
