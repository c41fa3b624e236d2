import { type ArchiveIndex, indexArchive, openEntry, readEntry } from '../core/archive-index.ts'
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, INDEX_FILE, MEDIA_TYPE_OCI_INDEX } from '../core/constants.ts'
import { formatDigest, sha256Hex } from '../core/digest.ts'
import { WasmOciError } from '../core/errors.ts'
import { blobPath } from '../core/layout.ts'
import type { Blob, Descriptor, ImagePlan, Platform } from '../core/plan.ts'

/** Metadata blobs (index.json, manifests, configs) are read whole; nothing else is. */
const METADATA_LIMIT = 4 << 20
const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'

type Json = Record<string, unknown>

/**
 * The images of an OCI archive as image plans whose blobs stream straight out of the tar:
 * one pass over the headers, then ranged reads. Small metadata is read and its digest checked
 * here; layers are checked as they stream (by the push, and again by the registry).
 */
export async function readArchivePlans(path: string): Promise<ImagePlan[]> {
  const index = await indexArchive(path)
  const indexJson = parseJson(await readFile(index, INDEX_FILE), `${path}: ${INDEX_FILE}`)
  const manifests = Array.isArray(indexJson.manifests) ? (indexJson.manifests as Json[]) : []
  if (manifests.length === 0) throw new WasmOciError(`archive "${path}" lists no images in ${INDEX_FILE}: build it with \`wasm-oci build\` or check \`wasm-oci verify ${path}\``)
  return Promise.all(manifests.map((descriptor, i) => readPlan(index, descriptor, `${path}: ${INDEX_FILE} manifests[${i}]`)))
}

async function readPlan(index: ArchiveIndex, raw: Json, where: string): Promise<ImagePlan> {
  const descriptor = asDescriptor(raw, where)
  if (descriptor.mediaType === MEDIA_TYPE_OCI_INDEX || descriptor.mediaType === DOCKER_MANIFEST_LIST) {
    throw new WasmOciError(`${where} is an image index (${descriptor.mediaType}); only image manifests are pushed: push each image on its own`)
  }
  const manifest = await metadataBlob(index, descriptor, where)
  const manifestJson = parseJson((manifest.content as { bytes: Uint8Array }).bytes, `${where} (manifest ${descriptor.digest})`)
  const config = await metadataBlob(index, asDescriptor(manifestJson.config, `${where} config`), `${where} config`)
  const layers = (Array.isArray(manifestJson.layers) ? (manifestJson.layers as Json[]) : []).map((layer, i) => streamedBlob(index, asDescriptor(layer, `${where} layers[${i}]`), `${where} layers[${i}]`))
  const annotations = (raw.annotations ?? {}) as Record<string, string>
  const refName = annotations[ANNOTATION_REF_NAME] ?? ''
  return {
    reference: annotations[ANNOTATION_CONTAINERD_NAME] ?? refName,
    refName,
    indexAnnotations: annotations,
    ...(isPlatform(raw.platform) && { platform: raw.platform }),
    manifest,
    config,
    layers,
  }
}

function asDescriptor(value: unknown, where: string): Descriptor {
  const { mediaType, digest, size } = (value ?? {}) as Json
  if (typeof mediaType !== 'string' || typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest) || typeof size !== 'number') {
    throw new WasmOciError(`${where} is not a valid descriptor (mediaType, sha256 digest, size): check the archive with \`wasm-oci verify\``)
  }
  return { mediaType, digest, size }
}

function findBlob(index: ArchiveIndex, descriptor: Descriptor, where: string) {
  const entry = index.files.get(blobPath(descriptor.digest))
  if (!entry) throw new WasmOciError(`${where}: blob ${blobPath(descriptor.digest)} is not in archive "${index.path}": the archive is incomplete; rebuild it`)
  if (entry.size !== descriptor.size) throw new WasmOciError(`${where}: blob ${descriptor.digest} has ${entry.size} bytes in archive "${index.path}", but its descriptor says ${descriptor.size}: rebuild the archive`)
  return entry
}

async function metadataBlob(index: ArchiveIndex, descriptor: Descriptor, where: string): Promise<Blob> {
  const entry = findBlob(index, descriptor, where)
  if (entry.size > METADATA_LIMIT) throw new WasmOciError(`${where}: ${entry.size} bytes is too large for JSON metadata: check the archive with \`wasm-oci verify\``)
  const bytes = await readEntry(index, entry)
  const digest = formatDigest(sha256Hex(bytes))
  if (digest !== descriptor.digest) throw new WasmOciError(`${where}: blob ${descriptor.digest} in archive "${index.path}" hashes to ${digest}: the archive is corrupt; rebuild it`)
  return { descriptor, content: { kind: 'bytes', bytes } }
}

function streamedBlob(index: ArchiveIndex, descriptor: Descriptor, where: string): Blob {
  const entry = findBlob(index, descriptor, where)
  return { descriptor, content: { kind: 'stream', open: () => openEntry(index, entry) } }
}

async function readFile(index: ArchiveIndex, name: string): Promise<Uint8Array> {
  const entry = index.files.get(name)
  if (!entry) throw new WasmOciError(`archive "${index.path}" has no ${name}: it is not an OCI image layout; build it with \`wasm-oci build\``)
  if (entry.size > METADATA_LIMIT) throw new WasmOciError(`archive "${index.path}": ${name} is ${entry.size} bytes, too large: check the archive`)
  return readEntry(index, entry)
}

function parseJson(bytes: Uint8Array, where: string): Json {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json
  } catch {}
  throw new WasmOciError(`${where} is not a JSON object: check the archive with \`wasm-oci verify\``)
}

function isPlatform(value: unknown): value is Platform {
  const { architecture, os } = (value ?? {}) as Json
  return typeof architecture === 'string' && typeof os === 'string'
}
