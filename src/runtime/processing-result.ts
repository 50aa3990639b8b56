/**
 * A mapping's LastProcessingResult as its worker sees it: `OK` or `PROBLEM: <reason>`, passed on only when it
 * changes, since every poller or shard meets the same success or failure many times over.
 */
import type { Outcome } from "../pipeline/outcome.js";

export class ProcessingResult {
  private last: string | undefined;

  /** `code`: the StateTransitionReason the problem stands for (EVENT_SOURCE_AUTHN_ERROR, ...), if any. */
  constructor(private readonly onChange: (result: string, code?: string) => void) {}

  ok(): void {
    this.set("OK");
  }

  /** The source works again (a consumer rejoined): a problem it reported no longer holds. */
  recovered(): void {
    if (this.last?.startsWith("PROBLEM: ")) this.ok();
  }

  /** True when this is news: the result was something else before. */
  problem(reason: string, code?: string): boolean {
    return this.set(`PROBLEM: ${reason}`, code);
  }

  /** A batch that failed: AWS says "Function call failed" when the function was reached. */
  failed(outcome: Extract<Outcome, { kind: "failed" | "invokeError" }>): void {
    this.problem(
      outcome.kind === "failed"
        ? "Function call failed"
        : `Function could not be invoked: ${outcome.error.errorMessage}`,
    );
  }

  private set(result: string, code?: string): boolean {
    if (result === this.last) return false;
    this.last = result;
    this.onChange(result, code);
    return true;
  }
}
