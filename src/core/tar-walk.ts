import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { type Header, extract } from 'tar-stream'
import { archiveError } from './archive-read.ts'
import { GZIP_MAGIC } from './constants.ts'

export type Chunks = AsyncIterable<Buffer>


/**
 * Streams the tar at `path`, calling `visit` for each entry in order; `visit` must read or drain
 * the entry's content before the next one arrives (it only ever sees one at a time).
 */
export async function walkArchive(path: string, visit: (header: Header, content: Chunks) => Promise<void>): Promise<void> {
  try {
    await walkTar(createReadStream(path), visit, false)
  } catch (error) {
    throw await archiveError(path, error)
  }
}

/** Walks a tar, or a gzip-compressed tar when `gunzip` is true or 'auto' finds the gzip magic; reads the source to its end. */
export async function walkTar(source: Chunks, visit: (header: Header, content: Chunks) => Promise<void>, gunzip: boolean | 'auto' = 'auto'): Promise<void> {
  let input: Chunks = source
  let gzipped = gunzip === true
  if (gunzip === 'auto') {
    const iterator = source[Symbol.asyncIterator]()
    const head = await iterator.next()
    gzipped = !head.done && GZIP_MAGIC.every((byte, i) => head.value[i] === byte)
    input = (async function* () {
      if (head.done) return
      yield head.value
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value
    })()
  }
  const reader = extract()
  const consumed = (async () => {
    for await (const entry of reader) await visit(entry.header, entry as Chunks)
  })().catch((error: unknown) => {
    // Tear the pipeline down too, or the source would stay open, paused, holding the process.
    reader.destroy(error as Error)
    throw error
  })
  const stream = Readable.from(input)
  await Promise.all([gzipped ? pipeline(stream, createGunzip(), reader) : pipeline(stream, reader), consumed])
}

export async function collect(content: Chunks): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  for await (const chunk of content) chunks.push(chunk)
  return Buffer.concat(chunks)
}

export async function drain(content: Chunks): Promise<void> {
  for await (const _ of content);
}
