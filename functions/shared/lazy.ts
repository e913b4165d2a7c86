/**
 * Deferred loading for cold starts.
 *
 * A function's entry module keeps to what every invocation needs at once (logger, middy, its
 * configuration); the SDK clients, the X-Ray tracer and the logic behind them are loaded with
 * `import()` by the first invocation that needs them. The bundles are built with esbuild code
 * splitting, so those modules are separate files that Node neither parses nor evaluates before
 * then. docs/benchmarks.md has the measurements.
 */

/**
 * `load()` run once, on the first call; every later call gets the same promise. A failed load
 * is forgotten, so the next invocation tries again instead of failing for the container's life.
 */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
