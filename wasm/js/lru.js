// The adapter for the npm `lru-cache` package (v7 and later).

/**
 * Registers an `lru-cache` with a monitor: its bytes are the cache's size accounting
 * (`calculatedSize`), eviction pops least recently used entries until the bytes asked for
 * are freed, and each `get` that finds a value counts as an access.
 *
 * The cache must track sizes: create it with `maxSize` (or `maxEntrySize`), and
 * `sizeCalculation` or a `size` on each `set`.
 *
 * @returns a function that removes the cache from the monitor and restores `get`.
 */
export function registerLruCache(monitor, lru, { id, type = "lru_cache" } = {}) {
  if (typeof id !== "string") {
    throw new TypeError("registerLruCache: options.id must be a string");
  }
  if (!lru || typeof lru.pop !== "function" || typeof lru.get !== "function") {
    throw new TypeError(`registerLruCache(${JSON.stringify(id)}): not an lru-cache instance`);
  }
  const tracksSize = lru.maxSize > 0 || lru.maxEntrySize > 0;
  if (!tracksSize || typeof lru.calculatedSize !== "number") {
    throw new Error(
      `registerLruCache(${JSON.stringify(id)}): the lru-cache has no size accounting; ` +
        "create it with maxSize (or maxEntrySize) and sizeCalculation",
    );
  }

  const get = lru.get;
  lru.get = function (key, options) {
    const value = get.call(this, key, options);
    if (value !== undefined) monitor.touch(id);
    return value;
  };

  monitor.registerCache({
    id,
    type,
    bytes: () => lru.calculatedSize,
    evict: (bytes) => {
      const before = lru.calculatedSize;
      while (lru.size > 0 && before - lru.calculatedSize < bytes) lru.pop();
      return before - lru.calculatedSize;
    },
  });

  return () => {
    lru.get = get;
    monitor.removeCache(id);
  };
}
