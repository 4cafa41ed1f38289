/**
 * Counts by key with a bound on distinct keys: past the bound, new keys count under `other`. A
 * trail of a million events with a million distinct ips keeps the report's memory flat.
 */
export class CappedCounter<V> {
  private readonly map = new Map<string, V>();
  /** Events whose key arrived after the bound was reached. */
  other = 0;

  constructor(
    private readonly max: number,
    private readonly fresh: () => V,
  ) {}

  /** The value of `key` (created while under the bound), or undefined when counted as `other`. */
  at(key: string): V | undefined {
    let value = this.map.get(key);
    if (value === undefined) {
      if (this.map.size >= this.max) {
        this.other += 1;
        return undefined;
      }
      value = this.fresh();
      this.map.set(key, value);
    }
    return value;
  }

  /** Entries, largest first by `size`. */
  top(size: (v: V) => number, n: number): Array<[string, V]> {
    return [...this.map]
      .sort((a, b) => size(b[1]) - size(a[1]) || a[0].localeCompare(b[0]))
      .slice(0, n);
  }

  get size(): number {
    return this.map.size;
  }
}
