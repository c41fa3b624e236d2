import { type FileDigest, digestFile } from '../digest.ts'
import { type Compression, type LayerDigests, type LayerFile, digestLayerTar } from './compat-layer.ts'

/**
 * How a format learns the digests of the bytes it puts in layers. Planning normally hashes them
 * (`HASHING`); the one-pass writer plans first with placeholders of the same length, then again
 * with the digests it computed while streaming the layers into the archive.
 */
export interface Digester {
  /** A file stored as it is (a raw wasm layer). */
  file(path: string): Promise<FileDigest>
  /** The compat format's one-file layer tar, generated from `file`. */
  layerTar(file: LayerFile, compression: Compression): Promise<LayerDigests>
}

export const HASHING: Digester = { file: (path) => digestFile(path), layerTar: digestLayerTar }
