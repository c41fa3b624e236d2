import {
  BLOBS_DIR,
  BLOBS_SHA256_DIR,
  DOCKER_MANIFEST_FILE,
  INDEX_FILE,
  MEDIA_TYPE_OCI_INDEX,
  OCI_LAYOUT_FILE,
  OCI_LAYOUT_VERSION,
} from './constants.ts'
import { jsonBytes } from './json.ts'
import type { Blob, BlobContent, ImagePlan } from './plan.ts'

export type LayoutEntry =
  | { name: string; type: 'directory' }
  | { name: string; type: 'file'; size: number; content: BlobContent; blob: boolean }

export function blobPath(digest: string): string {
  return `${BLOBS_SHA256_DIR}${digest.slice('sha256:'.length)}`
}

/** index.json: one descriptor per image, keys mediaType, digest, size, annotations, platform. */
export function indexJson(plans: ImagePlan[]): Uint8Array {
  return jsonBytes({
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_INDEX,
    manifests: plans.map(({ manifest, indexAnnotations, platform }) => ({
      mediaType: manifest.descriptor.mediaType,
      digest: manifest.descriptor.digest,
      size: manifest.descriptor.size,
      annotations: indexAnnotations,
      ...(platform && { platform: { architecture: platform.architecture, os: platform.os } }),
    })),
  })
}

/** Docker's manifest.json, for `docker load` and `skopeo copy docker-archive:`. */
export function dockerManifestJson(plans: ImagePlan[]): Uint8Array {
  return jsonBytes(
    plans.map(({ config, layers, reference }) => ({
      Config: blobPath(config.descriptor.digest),
      RepoTags: [reference],
      Layers: layers.map((layer) => blobPath(layer.descriptor.digest)),
    })),
  )
}

/**
 * What goes into the tar, in order. The small metadata files come first so a streaming reader
 * (`wasm-oci run`, a registry push from the archive) knows every descriptor before the first
 * large layer passes by; then configs and manifests; then layers. Each blob appears once.
 */
export function layoutEntries(plans: ImagePlan[]): LayoutEntry[] {
  const small = (name: string, bytes: Uint8Array): LayoutEntry => ({ name, type: 'file', size: bytes.length, content: { kind: 'bytes', bytes }, blob: false })
  const entries: LayoutEntry[] = [
    small(OCI_LAYOUT_FILE, jsonBytes({ imageLayoutVersion: OCI_LAYOUT_VERSION })),
    small(INDEX_FILE, indexJson(plans)),
    small(DOCKER_MANIFEST_FILE, dockerManifestJson(plans)),
    { name: BLOBS_DIR, type: 'directory' },
    { name: BLOBS_SHA256_DIR, type: 'directory' },
  ]
  const seen = new Set<string>()
  const addBlob = (blob: Blob): void => {
    if (seen.has(blob.descriptor.digest)) return
    seen.add(blob.descriptor.digest)
    entries.push({ name: blobPath(blob.descriptor.digest), type: 'file', size: blob.descriptor.size, content: blob.content, blob: true })
  }
  for (const plan of plans) {
    addBlob(plan.config)
    addBlob(plan.manifest)
  }
  for (const plan of plans) plan.layers.forEach(addBlob)
  return entries
}
