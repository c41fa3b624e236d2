import { createReadStream } from 'node:fs'
import { Readable, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type Pack, pack as createPack } from 'tar-stream'
import { BLOB_MODE, DIR_MODE, FILE_MODE, TAR_BLOCK } from './constants.ts'
import { type FileDigest, hashingTap } from './digest.ts'
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

/** Called with what actually streamed into an entry read from a file or a stream factory. */
export type StreamedListener = (name: string, streamed: FileDigest) => void

/**
 * Writes `entries` as a tar to `destination` with normalized headers: the given mtime, uid/gid
 * 0, empty owner names, fixed modes. tar-stream writes ustar headers and falls back to PAX only
 * for a name that does not fit. A source that yields a different byte count than its header
 * says fails the stream (tar-stream checks), so a file that changed since it was hashed cannot
 * slip through with a wrong size. With `onStreamed`, every entry not held in memory is hashed
 * on its way into the tar.
 */
export async function writeTar(entries: LayoutEntry[], destination: Writable, mtimeSeconds: number, onStreamed?: StreamedListener): Promise<void> {
  const pack = createPack()
  const written = pipeline(pack, destination)
  // If the destination fails first, stop feeding entries instead of waiting on a sink forever.
  const aborted = new Promise<never>((_, reject) => written.catch(reject))
  aborted.catch(() => {})
  try {
    for (const entry of entries) await Promise.race([addEntry(pack, entry, mtimeSeconds, onStreamed), aborted])
    pack.finalize()
  } catch (error) {
    pack.destroy(error as Error)
  }
  await written
}

function tarHeaderFields(entry: LayoutEntry, mtimeSeconds: number) {
  const common = { name: entry.name, mtime: new Date(mtimeSeconds * 1000), uid: 0, gid: 0, uname: '', gname: '' }
  if (entry.type === 'directory') return { ...common, type: 'directory' as const, mode: DIR_MODE }
  return { ...common, type: 'file' as const, mode: entry.blob ? BLOB_MODE : FILE_MODE, size: entry.size }
}

function addEntry(pack: Pack, entry: LayoutEntry, mtimeSeconds: number, onStreamed?: StreamedListener): Promise<void> {
  const header = tarHeaderFields(entry, mtimeSeconds)
  if (entry.type === 'directory') return new Promise((resolve, reject) => pack.entry(header, (error) => (error ? reject(error) : resolve())))
  if (entry.content.kind === 'bytes') {
    const { bytes } = entry.content
    return new Promise((resolve, reject) => pack.entry(header, bytes, (error) => (error ? reject(error) : resolve())))
  }
  const sink = pack.entry(header)
  if (!onStreamed) return pipeline(openContent(entry.content), sink)
  const tap = hashingTap()
  return pipeline(openContent(entry.content), tap.stream, sink).then(() => onStreamed(entry.name, tap.result()))
}

/**
 * The 512-byte ustar header `writeTar` writes for `entry`, taken from tar-stream itself (it has
 * no public encoder): the header is pushed as soon as the entry opens, before any content.
 */
export async function encodeTarHeader(entry: LayoutEntry, mtimeSeconds: number): Promise<Uint8Array> {
  const pack = createPack()
  pack.on('error', () => {})
  const first = new Promise<Buffer>((resolve) => pack.once('data', (chunk) => resolve(chunk as Buffer)))
  pack.entry(tarHeaderFields(entry, mtimeSeconds))
  const header = await first
  pack.destroy()
  // A PAX record would come first: the caller's layout would no longer be one block per header.
  if (header.length < TAR_BLOCK || header[156] === 0x78) throw new Error(`tar entry "${entry.name}" does not fit one ustar header`)
  return header.subarray(0, TAR_BLOCK)
}

/** The bytes an entry takes in the tar: its header plus its content padded to whole blocks. */
export function tarEntrySize(entry: LayoutEntry): number {
  return TAR_BLOCK + (entry.type === 'file' ? Math.ceil(entry.size / TAR_BLOCK) * TAR_BLOCK : 0)
}
