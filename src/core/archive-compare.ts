import { open } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { TAR_BLOCK } from './constants.ts'
import type { LayoutEntry } from './layout.ts'
import { tarEntrySize, writeTar } from './tar.ts'

class Differs extends Error {}

/**
 * Whether the file at `path` already holds exactly the tar `writeTar` would write for
 * `entries`: the size settles most changes at no cost; otherwise the tar is generated and
 * compared chunk by chunk with the file, writing nothing. A rebuild with unchanged inputs then
 * costs one read instead of a write, an fsync and two hashes.
 */
export async function archiveMatches(path: string, entries: LayoutEntry[], mtime: number): Promise<boolean> {
  const handle = await open(path, 'r').catch(() => undefined)
  if (!handle) return false
  try {
    // Every entry, then tar-stream's two end-of-archive blocks.
    const expected = entries.reduce((size, entry) => size + tarEntrySize(entry), 2 * TAR_BLOCK)
    const stats = await handle.stat()
    if (!stats.isFile() || stats.size !== expected) return false
    let position = 0
    const comparator = new Writable({
      write(chunk: Buffer, _encoding, done) {
        const existing = Buffer.alloc(chunk.length)
        handle.read(existing, 0, chunk.length, position).then(({ bytesRead }) => {
          position += chunk.length
          done(bytesRead === chunk.length && existing.equals(chunk) ? null : new Differs())
        }, done)
      },
    })
    await writeTar(entries, comparator, mtime)
    return true
  } catch (error) {
    if (error instanceof Differs) return false
    throw error
  } finally {
    await handle.close()
  }
}
