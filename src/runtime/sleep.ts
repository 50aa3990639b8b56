/** Waits `ms`, or less when `signal` aborts first: shutdown never waits out a backoff. Never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((done) => {
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", finish);
      done();
    };
    const timer = setTimeout(finish, ms);
    signal.addEventListener("abort", finish, { once: true });
  });
}

/** A doubling backoff from `first` to `last` ms for the n-th try (n from 1); `jitter` spreads it over 50–100 %. */
export function backoffMs(n: number, [first, last]: readonly [number, number], jitter = false): number {
  const ms = Math.min(last, first * 2 ** (n - 1));
  return jitter ? ms * (0.5 + Math.random() / 2) : ms;
}
