/**
 * Polls `probe` until it answers something truthy and returns that; throws `timed out waiting for
 * <what>` after `ms`. For what tests wait on across processes: the outbox relay, a queue worker, a
 * pub/sub event. Not a timing assertion: the limit only bounds a test that would otherwise hang.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms = 20_000,
  stepMs = 100,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
