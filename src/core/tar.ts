import { createReadStream } from 'node:fs'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type Pack, pack as createPack } from 'tar-stream'
import { BLOB_MODE, DIR_MODE, FILE_MODE } from './constants.ts'
import type { LayoutEntry } from './layout.ts'
import type { BlobContent } from './plan.ts'

/** Opens a blob's bytes as a stream; files are read in 1 MiB chunks. */
export function openContent(content: BlobContent): Readable {
  switch (content.kind) {
    case 'bytes':
      return Readable.from([content.bytes])
    case 'file':
      return createReadStream(content.path, { highWaterMark: 1 << 20 })
    case 'stream':
      return content.open()
  }
}

/**
 * Writes `entries` as a tar to `destination` with normalized headers: the given mtime, uid/gid
 * 0, empty owner names, fixed modes. tar-stream writes ustar headers and falls back to PAX only
 * for a name that does not fit. A source that yields a different byte count than its header
 * says fails the stream (tar-stream checks), so a file that changed since it was hashed cannot
 * slip through with a wrong size.
 */
export async function writeTar(entries: LayoutEntry[], destination: Writable, mtimeSeconds: number): Promise<void> {
  const pack = createPack()
  const written = pipeline(pack, destination)
  // If the destination fails first, stop feeding entries instead of waiting on a sink forever.
  const aborted = new Promise<never>((_, reject) => written.catch(reject))
  aborted.catch(() => {})
  try {
    for (const entry of entries) await Promise.race([addEntry(pack, entry, new Date(mtimeSeconds * 1000)), aborted])
    pack.finalize()
  } catch (error) {
    pack.destroy(error as Error)
  }
  await written
}

function addEntry(pack: Pack, entry: LayoutEntry, mtime: Date): Promise<void> {
  const header = { name: entry.name, mtime, uid: 0, gid: 0, uname: '', gname: '' }
  if (entry.type === 'directory') {
    return new Promise((resolve, reject) => pack.entry({ ...header, type: 'directory', mode: DIR_MODE }, (error) => (error ? reject(error) : resolve())))
  }
  const fileHeader = { ...header, type: 'file' as const, mode: entry.blob ? BLOB_MODE : FILE_MODE, size: entry.size }
  if (entry.content.kind === 'bytes') {
    const { bytes } = entry.content
    return new Promise((resolve, reject) => pack.entry(fileHeader, bytes, (error) => (error ? reject(error) : resolve())))
  }
  const sink = pack.entry(fileHeader)
  return pipeline(openContent(entry.content), sink)
}
