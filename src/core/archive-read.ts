import { createReadStream } from 'node:fs'
import { open } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { extract } from 'tar-stream'
import { createSha256, formatDigest } from './digest.ts'
import { WasmOciError, errnoCode } from './errors.ts'
import { GZIP_MAGIC } from './constants.ts'
import { isWasmBinary } from './wasm.ts'

/** Blobs up to this size are kept in memory (manifests, configs, index); larger ones are only hashed. */
export const KEEP_BYTES_LIMIT = 4 << 20

export interface ScannedEntry {
  name: string
  type: string
  size: number
  mode: number
  linkname?: string
}

export interface ScannedFile {
  /** sha256 of the bytes actually in the archive. */
  digest: string
  /** Bytes actually in the archive. */
  size: number
  /** The first 8 bytes (enough to tell a wasm module from a component). */
  head: Uint8Array
  /** The whole content, for files up to KEEP_BYTES_LIMIT. */
  bytes?: Uint8Array
  /** sha256 of the gunzipped content, for gzip files (a compressed layer's diff_id). */
  uncompressedDigest?: string
}

export interface ArchiveScan {
  path: string
  /** Every tar entry, in order. */
  entries: ScannedEntry[]
  /** Every regular file by its entry name, hashed as it streamed past. */
  files: Map<string, ScannedFile>
}

/**
 * Streams the whole tar once, hashing every regular file: a 1 GiB layer costs the memory of its
 * chunks. Nothing is trusted yet; `verifyArchive` compares what was found with what was claimed.
 */
export async function scanArchive(path: string): Promise<ArchiveScan> {
  const scan: ArchiveScan = { path, entries: [], files: new Map() }
  const reader = extract()
  const consumed = (async () => {
    for await (const entry of reader) {
      const { name, type, size, mode, linkname } = entry.header
      scan.entries.push({ name, type, size, mode, ...(linkname && { linkname }) })
      if (type === 'file' || type === 'contiguous-file') scan.files.set(name, await hashEntry(entry as AsyncIterable<Buffer>))
      else entry.resume()
    }
  })()
  try {
    await Promise.all([pipeline(createReadStream(path), reader), consumed])
  } catch (error) {
    throw await archiveError(path, error)
  }
  return scan
}

/** The error for an archive that cannot be read as a tar, the same from every reader: missing, a directory, gzip, or not a tar. */
export async function archiveError(path: string, error: unknown): Promise<WasmOciError> {
  if (error instanceof WasmOciError) return error
  const code = errnoCode(error)
  if (code === 'ENOENT') return new WasmOciError(`archive "${path}" does not exist: check the path`, { cause: error, usage: true })
  if (code === 'EISDIR') return new WasmOciError(`archive "${path}" is a directory: give the .tar file`, { cause: error, usage: true })
  const head = code === undefined ? await readHead(path) : undefined
  const wrongKind = head && notTarError(path, head)
  if (wrongKind) return wrongKind
  const reason = code ?? (error instanceof Error ? error.message : String(error))
  return new WasmOciError(`cannot read archive "${path}" as a tar (${reason}): check that it is an uncompressed OCI archive, and rebuild it if it was truncated`, { cause: error })
}

/** The error for a file whose first bytes show it is something other than a tar: gzip, or a wasm module. */
export function notTarError(path: string, head: Uint8Array): WasmOciError | undefined {
  if (GZIP_MAGIC.every((byte, i) => head[i] === byte)) return new WasmOciError(`archive "${path}" is gzip-compressed: gunzip it first (OCI archives here are plain tar)`, { usage: true })
  if (isWasmBinary(head)) return new WasmOciError(`archive "${path}" is a WebAssembly module, not an image archive: pack it first (wasm-oci build ${path} --ref NAME), then give the .tar`, { usage: true })
  return undefined
}

/** The file's first bytes, enough to recognize gzip or wasm. */
async function readHead(path: string): Promise<Uint8Array | undefined> {
  const handle = await open(path, 'r').catch(() => undefined)
  if (!handle) return undefined
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0)
    return buffer.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

async function hashEntry(stream: AsyncIterable<Buffer>): Promise<ScannedFile> {
  const hash = createSha256()
  const kept: Uint8Array[] = []
  let size = 0
  let gunzip: { hash: ReturnType<typeof createSha256>; stream: ReturnType<typeof createGunzip>; done: Promise<void> } | undefined
  for await (const chunk of stream) {
    if (size === 0 && GZIP_MAGIC.every((byte, i) => chunk[i] === byte)) gunzip = startGunzip()
    hash.update(chunk)
    size += chunk.length
    if (size <= KEEP_BYTES_LIMIT) kept.push(chunk)
    if (gunzip && !gunzip.stream.write(chunk)) await new Promise((resolve) => gunzip!.stream.once('drain', resolve))
  }
  const bytes = Buffer.concat(kept)
  const file: ScannedFile = { digest: formatDigest(hash.hex()), size, head: bytes.subarray(0, 8), ...(size <= KEEP_BYTES_LIMIT && { bytes }) }
  if (gunzip) {
    gunzip.stream.end()
    // A corrupt gzip stream only means there is no diff_id to compare; verify reports that.
    if (await gunzip.done.then(() => true, () => false)) file.uncompressedDigest = formatDigest(gunzip.hash.hex())
  }
  return file
}

function startGunzip() {
  const hash = createSha256()
  const stream = createGunzip()
  stream.on('data', (chunk: Buffer) => hash.update(chunk))
  const done = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve)
    stream.on('error', reject)
  })
  done.catch(() => {})
  return { hash, stream, done }
}
