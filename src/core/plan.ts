import type { Readable } from 'node:stream'
import { MEDIA_TYPE_OCI_MANIFEST } from './constants.ts'
import { type FileDigest, digestFile, formatDigest, sha256Hex } from './digest.ts'
import { jsonBytes } from './json.ts'

/** An OCI descriptor; key order here is the order it is serialized in. */
export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  annotations?: Record<string, string>
}

export interface Platform {
  architecture: string
  os: string
}

/**
 * Where a blob's bytes come from. Small JSON blobs are bytes; layers are read from disk or
 * produced by a stream factory (a compat layer tar is generated twice: once to hash, once to
 * write), so a blob is never held whole in memory.
 */
export type BlobContent =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'file'; path: string }
  | { kind: 'stream'; open: () => Readable }

export interface Blob {
  descriptor: Descriptor
  content: BlobContent
}

/** Everything needed to lay an image out in an archive or push it to a registry. */
export interface ImagePlan {
  /** The full reference: `io.containerd.image.name` and the Docker `RepoTags` entry. */
  reference: string
  /** The tag: `org.opencontainers.image.ref.name`. */
  refName: string
  /** Annotations on the image's descriptor in index.json. */
  indexAnnotations: Record<string, string>
  /** Platform on the index descriptor; `ctr images import` filters on it without --all-platforms. */
  platform?: Platform
  manifest: Blob
  config: Blob
  layers: Blob[]
}

export function bytesBlob(mediaType: string, bytes: Uint8Array): Blob {
  return { descriptor: { mediaType, digest: formatDigest(sha256Hex(bytes)), size: bytes.length }, content: { kind: 'bytes', bytes } }
}

/** A layer read from disk; `digest` hashes it unless the caller knows its digest another way. */
export async function fileBlob(mediaType: string, path: string, annotations?: Record<string, string>, digest: (path: string) => Promise<FileDigest> = digestFile): Promise<Blob> {
  const { digest: fileDigest, size } = await digest(path)
  return { descriptor: { mediaType, digest: fileDigest, size, ...(annotations && { annotations }) }, content: { kind: 'file', path } }
}

/** Strips a descriptor down to the key order manifests use: mediaType, digest, size[, annotations]. */
export function descriptorJson(descriptor: Descriptor): Descriptor {
  const { mediaType, digest, size, annotations } = descriptor
  return annotations && Object.keys(annotations).length > 0 ? { mediaType, digest, size, annotations } : { mediaType, digest, size }
}

/** Drops a second copy of the same bytes: one layer, one blob (upstream writes both). */
export function uniqueBlobs(blobs: Blob[]): Blob[] {
  const seen = new Set<string>()
  return blobs.filter((blob) => !seen.has(blob.descriptor.digest) && seen.add(blob.descriptor.digest))
}

export interface ManifestParts {
  config: Blob
  layers: Blob[]
  annotations?: Record<string, string>
}

/** The image manifest, compact, keys in the order schemaVersion, mediaType, config, layers, annotations. */
export function manifestBlob({ config, layers, annotations }: ManifestParts): Blob {
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_MANIFEST,
    config: descriptorJson(config.descriptor),
    layers: layers.map((layer) => descriptorJson(layer.descriptor)),
    ...(annotations && Object.keys(annotations).length > 0 && { annotations }),
  }
  return bytesBlob(MEDIA_TYPE_OCI_MANIFEST, jsonBytes(manifest))
}
