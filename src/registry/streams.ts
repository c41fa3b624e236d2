import { Readable, Transform, pipeline } from 'node:stream'
import { createSha256, formatDigest } from '../core/digest.ts'
import { WasmOciError, errnoCode } from '../core/errors.ts'
import type { Blob } from '../core/plan.ts'
import { openContent } from '../core/tar.ts'

/**
 * A blob's bytes, opened afresh, through `verifying`: what an upload sends. A source that cannot
 * be read fails the stream with an error that says so (not a network error to retry).
 */
export function verifiedContent(blob: Blob, where: string, onBytes?: (done: number) => void): Readable {
  const source = openContent(blob.content)
  const check = verifying(blob.descriptor, where, onBytes)
  source.once('error', (error) => {
    check.destroy(new WasmOciError(`cannot read ${where} from its source (${errnoCode(error) ?? error.message}): check that the file still exists, or rebuild`, { cause: error }))
  })
  return pipeline(source, check, () => {})
}

/**
 * Hashes and counts what passes through; at the end, fails the stream if the bytes are not the
 * descriptor's. An upload fed through it is never completed with wrong content, and a download
 * written through it never lands unchecked.
 */
export function verifying(expected: { digest: string; size: number }, where: string, onBytes?: (done: number) => void): Transform {
  const hash = createSha256()
  let size = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length
      if (size > expected.size) return callback(mismatch(where, `more than its ${expected.size} bytes`))
      hash.update(chunk)
      onBytes?.(size)
      callback(null, chunk)
    },
    flush(callback) {
      if (size !== expected.size) return callback(mismatch(where, `${size} bytes, not ${expected.size}`))
      const digest = formatDigest(hash.hex())
      callback(digest === expected.digest ? null : mismatch(where, `bytes that hash to ${digest}, not ${expected.digest}`))
    },
  })
}

function mismatch(where: string, what: string): WasmOciError {
  return new WasmOciError(`${where} has ${what}: the content changed or is corrupt; rebuild it (\`wasm-oci verify\` checks an archive)`)
}

/**
 * Splits one stream into consecutive parts of given lengths without copying it whole: each
 * `next(length)` is a Readable of exactly the next `length` bytes, pulled from the source only
 * as the part is read. Used for chunked uploads, one PATCH body per part.
 */
export class StreamParts {
  private readonly iterator: AsyncIterator<Buffer>
  private leftover: Buffer | undefined

  constructor(private readonly source: Readable) {
    this.iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  }

  next(length: number): Readable {
    return Readable.from(this.take(length), { objectMode: false })
  }

  /** Reads on to the source's end, which must come now: this is where `verifying` reports. */
  async end(): Promise<void> {
    if (this.leftover?.length) throw new Error('StreamParts.end: bytes left over')
    const rest = await this.iterator.next()
    if (!rest.done) throw new WasmOciError('the content is longer than its descriptor says: rebuild it')
  }

  destroy(): void {
    this.source.destroy()
  }

  private async *take(length: number): AsyncGenerator<Buffer> {
    let left = length
    while (left > 0) {
      let chunk = this.leftover
      this.leftover = undefined
      if (!chunk) {
        const result = await this.iterator.next()
        if (result.done) throw new WasmOciError(`the content ended ${left} bytes early: rebuild it`)
        chunk = result.value
      }
      if (chunk.length > left) {
        this.leftover = chunk.subarray(left)
        chunk = chunk.subarray(0, left)
      }
      left -= chunk.length
      yield chunk
    }
  }
}
