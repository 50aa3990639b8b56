/** A pattern EventBridge (and so Lambda) would refuse; the message is AWS's, reason included. */
export class InvalidPatternError extends Error {
  override name = "InvalidPatternError";
  /** AWS's reason alone, without the "Event pattern is not valid. Reason: " prefix. */
  readonly reason: string;

  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.reason = reason;
  }
}

export const invalid = (reason: string) => new InvalidPatternError(reason);
