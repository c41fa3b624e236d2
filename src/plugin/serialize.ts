/** The last task queued per key; an entry is dropped once its queue drains. */
const tails = new Map<string, Promise<unknown>>()

/**
 * Runs `task` after every task queued earlier under the same key (an archive path), in this
 * process: Rollup writes the outputs of a watch rebuild concurrently, and Vite or Rollup may
 * hand two outputs the same module, so two writes of one archive must never overlap.
 */
export function runExclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
  const run = (tails.get(key) ?? Promise.resolve()).then(task, task)
  const tail = run.then(() => {}, () => {})
  tails.set(key, tail)
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key)
  })
  return run
}
