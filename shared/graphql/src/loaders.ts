import DataLoader from 'dataloader';

/**
 * A per-request DataLoader keyed by `key` (a function or symbol unique to the batch). Reference
 * resolvers and relation field resolvers go through these so a list of N costs one query.
 */
export function loader<K, V>(
  ctx: { loaders: Map<unknown, unknown> },
  key: unknown,
  batch: (keys: readonly K[]) => Promise<ReadonlyArray<V | Error>>,
): DataLoader<K, V> {
  let l = ctx.loaders.get(key) as DataLoader<K, V> | undefined;
  if (!l) {
    l = new DataLoader<K, V>(batch, { maxBatchSize: 500 });
    ctx.loaders.set(key, l);
  }
  return l;
}

/** Orders rows by the requested keys; missing keys become `fallback`. */
export function byKeys<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K, fallback: V | null = null): (V | null)[] {
  const map = new Map<K, V>();
  for (const r of rows) map.set(keyOf(r), r);
  return keys.map((k) => map.get(k) ?? fallback);
}

/** Groups rows by the requested keys (one-to-many relations). */
export function groupByKeys<K, V>(keys: readonly K[], rows: V[], keyOf: (row: V) => K): V[][] {
  const map = new Map<K, V[]>();
  for (const r of rows) {
    const k = keyOf(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return keys.map((k) => map.get(k) ?? []);
}
