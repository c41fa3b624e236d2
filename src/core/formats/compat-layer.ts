import { createReadStream } from 'node:fs'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { pack as createPack } from 'tar-stream'
import { EXECUTABLE_MODE, GZIP_LEVEL } from '../constants.ts'
import { hashingTap } from '../digest.ts'
import { WasmOciError } from '../errors.ts'

export type Compression = 'none' | 'gzip'

export interface LayerFile {
  /** Where the module is on disk. */
  path: string
  /** Its entry name in the layer, relative to the root: `hello.wasm`. */
  name: string
  size: number
  /** Seconds for the entry's mtime. */
  mtime: number
}

/**
 * A one-file layer tar, generated afresh on each call: a ustar header (mode 0755, uid/gid 0,
 * empty owner names, the given mtime), the file streamed from disk, the end-of-archive blocks.
 * With gzip, the tar goes through zlib at GZIP_LEVEL (Node writes a zero gzip mtime).
 */
export function openLayerTar(file: LayerFile, compression: Compression): Readable {
  const pack = createPack()
  const header = { name: file.name, type: 'file' as const, mode: EXECUTABLE_MODE, size: file.size, mtime: new Date(file.mtime * 1000), uid: 0, gid: 0, uname: '', gname: '' }
  const sink = pack.entry(header, (error) => (error ? pack.destroy(error) : pack.finalize()))
  pipeline(createReadStream(file.path, { highWaterMark: 1 << 20 }), sink).catch((error: Error) => pack.destroy(error))
  const tar = Readable.from(pack)
  if (compression === 'none') return tar
  const gzip = createGzip({ level: GZIP_LEVEL })
  pipeline(tar, gzip).catch(() => {}) // an error destroys gzip too, which is what the reader sees
  return gzip
}

export interface LayerDigests {
  /** Of the blob as stored (compressed or not). */
  digest: string
  size: number
  /** Of the uncompressed tar: the config's rootfs.diff_ids entry. */
  diffId: string
}

/** Generates the layer once and hashes it: the blob, and the tar inside it for the diff_id. */
export async function digestLayerTar(file: LayerFile, compression: Compression): Promise<LayerDigests> {
  const tar = hashingTap()
  const blob = compression === 'gzip' ? hashingTap() : tar
  try {
    const stages = compression === 'gzip' ? [tar.stream, createGzip({ level: GZIP_LEVEL }), blob.stream] : [tar.stream]
    await pipeline([openLayerTar(file, 'none'), ...stages, new Writable({ write: (_chunk, _encoding, done) => done() })])
  } catch (error) {
    throw new WasmOciError(`cannot build the layer tar from "${file.path}": ${error instanceof Error ? error.message : String(error)}; check that the file is readable and not changing`, { cause: error })
  }
  const { digest: diffId } = tar.result()
  return { ...blob.result(), diffId }
}
