import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, BLOBS_SHA256_DIR, INDEX_FILE, MEDIA_TYPE_OCI_INDEX } from './constants.ts'
import { WasmOciError, usageError } from './errors.ts'
import type { Descriptor } from './plan.ts'

type Json = Record<string, unknown>

/** An image as index.json, its manifest and its config describe it. */
export interface ArchiveImage {
  /** `io.containerd.image.name`, else `org.opencontainers.image.ref.name`, else the manifest digest. */
  reference: string
  manifest: Descriptor
  configMediaType: string
  config: Json
  layers: Descriptor[]
  /** What to call the module when nothing in the image names it. */
  moduleName: string
}

/** Where the module is: a whole wasm layer, or the file `file` inside a tar layer. */
export interface LayerTarget {
  layer: Descriptor
  file?: string
}

/** A wasm layer: runwasi's, the artifact's, and the older `…+wasm` types (wasm-to-oci, runwasi v0.3). */
export function isWasmLayer(mediaType: string): boolean {
  return mediaType === 'application/wasm' || mediaType.endsWith('+wasm')
}

/** A filesystem layer: OCI `…layer.v1.tar[+gzip|+zstd]`, Docker `…rootfs.diff.tar[.gzip]`. */
export function isTarLayer(mediaType: string): boolean {
  return /\.tar(?:[+.]\w+)?$/.test(mediaType)
}

/**
 * Picks the image (`ref` names it by full reference or tag; without it the archive must hold one)
 * and where its module is: the one wasm layer, or the entrypoint file in the tar layers, topmost
 * layer first. Throws when the metadata it needs is not in `kept` (JSON files by entry name).
 */
export function selectImage(path: string, kept: Map<string, Uint8Array>, ref?: string): { image: ArchiveImage; targets: LayerTarget[] } {
  const index = readJson(path, kept, INDEX_FILE, 'it is not an OCI image layout archive (a Docker `docker save` archive has none): repack it with wasm-oci build')
  const descriptors = (Array.isArray(index.manifests) ? index.manifests : []) as Json[]
  const names = (d: Json): string[] => Object.values(pick(d.annotations as Json | undefined, ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME))
  const matches = ref === undefined ? descriptors : descriptors.filter((d) => names(d).includes(ref))
  const listed = descriptors.map((d) => names(d)[0] ?? String(d.digest)).join(', ') || 'none'
  if (descriptors.length === 0) throw new WasmOciError(`archive "${path}": ${INDEX_FILE} lists no images: run wasm-oci verify`)
  if (matches.length !== 1) {
    if (ref !== undefined) throw usageError(`archive "${path}" holds no image named "${ref}" (it holds: ${listed}): give one of those to --ref`)
    throw usageError(`archive "${path}" holds ${descriptors.length} images (${listed}): choose one with --ref`)
  }
  const descriptor = matches[0]!
  if (descriptor.mediaType === MEDIA_TYPE_OCI_INDEX) throw new WasmOciError(`archive "${path}": ${names(descriptor)[0] ?? descriptor.digest} is a multi-platform index; export the wasi/wasm image alone`)
  const manifest = readJson(path, kept, blobName(descriptor.digest), 'the archive is incomplete: run wasm-oci verify')
  const configDescriptor = (manifest.config ?? {}) as Json
  const config = readJson(path, kept, blobName(configDescriptor.digest), 'the archive is incomplete: run wasm-oci verify')
  const layers = (Array.isArray(manifest.layers) ? manifest.layers : []) as Descriptor[]
  const reference = names(descriptor)[0] ?? String(descriptor.digest)
  const entrypoint = firstEntrypoint(config)
  const image: ArchiveImage = {
    reference,
    manifest: descriptor as unknown as Descriptor,
    configMediaType: String(configDescriptor.mediaType),
    config,
    layers,
    moduleName: entrypoint?.split('/').pop() ?? `${reference.replace(/[:@].*$/, '').split('/').pop()}.wasm`,
  }
  const wasm = layers.filter((layer) => isWasmLayer(layer.mediaType))
  if (wasm.length > 1) throw new WasmOciError(`archive "${path}": ${reference} has ${wasm.length} wasm layers; only an image with one module can run here (as with runwasi)`)
  if (wasm.length === 1) return { image, targets: [{ layer: wasm[0]! }] }
  const tars = layers.filter((layer) => isTarLayer(layer.mediaType)).reverse()
  if (tars.length === 0) throw new WasmOciError(`archive "${path}": ${reference} has neither a wasm layer nor a tar layer (${layers.map((l) => l.mediaType).join(', ') || 'no layers'}): nothing to run`)
  if (entrypoint === undefined) throw new WasmOciError(`archive "${path}": ${reference} has tar layers but no Entrypoint or Cmd in its config: cannot tell which file is the module`)
  const file = entrypoint.replace(/^(\.?\/)+/, '')
  return { image, targets: tars.map((layer) => ({ layer, file })) }
}

function firstEntrypoint(config: Json): string | undefined {
  const settings = (config.config ?? {}) as Json
  const [first] = [settings.Entrypoint, settings.Cmd].filter((list): list is string[] => Array.isArray(list) && typeof list[0] === 'string' && list[0] !== '')
  return first?.[0]
}

function pick(annotations: Json | undefined, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((key) => (typeof annotations?.[key] === 'string' ? [[key, annotations[key] as string]] : [])))
}

function blobName(digest: unknown): string {
  return `${BLOBS_SHA256_DIR}${String(digest).replace(/^sha256:/, '')}`
}

function readJson(path: string, kept: Map<string, Uint8Array>, name: string, fix: string): Json {
  const bytes = kept.get(name)
  if (!bytes) throw new WasmOciError(`archive "${path}" has no ${name}: ${fix}`)
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as Json
  } catch (error) {
    throw new WasmOciError(`archive "${path}": ${name} is not valid JSON: run wasm-oci verify`, { cause: error })
  }
}
