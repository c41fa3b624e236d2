import { type ArchiveScan, type ScannedFile, scanArchive } from './archive-read.ts'
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  ARCHITECTURE_WASM,
  DOCKER_MANIFEST_FILE,
  INDEX_FILE,
  LABEL_RUNWASI_LAYERS,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_WASM_CONFIG,
  MEDIA_TYPE_WASM_LAYER,
  OCI_LAYOUT_FILE,
  OCI_LAYOUT_VERSION,
  OS_WASIP1,
  OS_WASIP2,
} from './constants.ts'
import { sha256Hex } from './digest.ts'
import { blobPath } from './layout.ts'
import type { Descriptor, Platform } from './plan.ts'
import { classifyWasmHeader } from './wasm.ts'

export type LayerKind = 'module' | 'component' | 'other'

export interface VerifiedLayer extends Descriptor {
  /** What the layer's bytes are: a wasm core module, a component, or anything else (a tar). */
  kind: LayerKind
}

export interface VerifiedImage {
  /** `io.containerd.image.name`, else `org.opencontainers.image.ref.name`, else the digest. */
  reference: string
  refName?: string
  platform?: Platform
  manifest: Descriptor
  manifestAnnotations: Record<string, string>
  config: Descriptor
  /** The parsed config JSON. */
  configJson: Record<string, unknown>
  layers: VerifiedLayer[]
}

export interface Verification {
  path: string
  /** One line per problem; empty when every check holds. */
  problems: string[]
  images: VerifiedImage[]
  scan: ArchiveScan
}

type Json = Record<string, unknown>

/**
 * Reads an archive back and checks every claim it makes: entry names, every descriptor's digest
 * and size against the bytes actually present, every blob's name against its content, config
 * diff_ids / layerDigests / the runwasi layers label against the layers, and Docker's
 * manifest.json paths. The archive is streamed once.
 */
export async function verifyArchive(path: string): Promise<Verification> {
  const scan = await scanArchive(path)
  const problems: string[] = []
  const images: VerifiedImage[] = []
  checkEntries(scan, problems)
  checkLayoutFile(scan, problems)

  const index = readJson(scan, INDEX_FILE, problems)
  if (index) {
    if (index.schemaVersion !== 2) problems.push(`${INDEX_FILE}: schemaVersion is ${JSON.stringify(index.schemaVersion)}, expected 2`)
    if (index.mediaType !== undefined && index.mediaType !== MEDIA_TYPE_OCI_INDEX) problems.push(`${INDEX_FILE}: mediaType is ${JSON.stringify(index.mediaType)}, expected ${MEDIA_TYPE_OCI_INDEX}`)
    const manifests = Array.isArray(index.manifests) ? (index.manifests as Json[]) : []
    if (manifests.length === 0) problems.push(`${INDEX_FILE}: lists no manifests`)
    manifests.forEach((descriptor, i) => {
      const image = verifyImage(scan, descriptor, `${INDEX_FILE} manifests[${i}]`, problems)
      if (image) images.push(image)
    })
  }
  checkDockerManifest(scan, problems)
  return { path, problems, images, scan }
}

function verifyImage(scan: ArchiveScan, descriptor: Json, where: string, problems: string[]): VerifiedImage | undefined {
  const manifestFile = checkDescriptor(scan, descriptor, where, problems)
  if (!manifestFile) return undefined
  const manifest = parseJson(manifestFile, `${where} (${String(descriptor.digest)})`, problems)
  if (!manifest) return undefined
  if (manifest.mediaType !== MEDIA_TYPE_OCI_MANIFEST) problems.push(`${where}: manifest mediaType is ${JSON.stringify(manifest.mediaType)}, expected ${MEDIA_TYPE_OCI_MANIFEST}`)
  if (descriptor.mediaType !== MEDIA_TYPE_OCI_MANIFEST) problems.push(`${where}: descriptor mediaType is ${JSON.stringify(descriptor.mediaType)}, expected ${MEDIA_TYPE_OCI_MANIFEST}`)

  const configDescriptor = (manifest.config ?? {}) as Json
  const configFile = checkDescriptor(scan, configDescriptor, `${where} config`, problems)
  const configJson = (configFile && parseJson(configFile, `${where} config`, problems)) || {}
  const layerDescriptors = Array.isArray(manifest.layers) ? (manifest.layers as Json[]) : []
  const layers = layerDescriptors.map((layer, i): VerifiedLayer => {
    const file = checkDescriptor(scan, layer, `${where} layers[${i}]`, problems)
    return { ...(layer as unknown as Descriptor), kind: file ? layerKind(file) : 'other' }
  })
  checkConfigAgainstLayers(scan, configJson, layers, `${where} config`, problems)
  if (configDescriptor.mediaType === MEDIA_TYPE_WASM_CONFIG) checkArtifact(configJson, layers, where, problems)

  const annotations = (descriptor.annotations ?? {}) as Record<string, string>
  const refName = annotations[ANNOTATION_REF_NAME]
  return {
    reference: annotations[ANNOTATION_CONTAINERD_NAME] ?? refName ?? String(descriptor.digest),
    ...(refName !== undefined && { refName }),
    ...(descriptor.platform !== undefined && { platform: descriptor.platform as Platform }),
    manifest: descriptor as unknown as Descriptor,
    manifestAnnotations: (manifest.annotations ?? {}) as Record<string, string>,
    config: configDescriptor as unknown as Descriptor,
    configJson,
    layers,
  }
}

/** The descriptor's blob must exist, hash to its digest and have its size; returns the blob when it exists. */
function checkDescriptor(scan: ArchiveScan, descriptor: Json, where: string, problems: string[]): ScannedFile | undefined {
  const digest = descriptor.digest
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    problems.push(`${where}: digest ${JSON.stringify(digest)} is not sha256:<64 lowercase hex>`)
    return undefined
  }
  const name = blobPath(digest)
  const file = scan.files.get(name)
  if (!file) {
    problems.push(`${where}: blob ${name} is missing`)
    return undefined
  }
  if (file.digest !== digest) problems.push(`${where}: blob ${name} hashes to ${file.digest}, not ${digest}`)
  if (descriptor.size !== file.size) problems.push(`${where}: size is ${JSON.stringify(descriptor.size)} but blob ${name} has ${file.size} bytes`)
  return file
}

function checkConfigAgainstLayers(scan: ArchiveScan, config: Json, layers: VerifiedLayer[], where: string, problems: string[]): void {
  const digests = layers.map((layer) => layer.digest)
  const diffIds = ((config.rootfs ?? {}) as Json).diff_ids
  if (Array.isArray(diffIds) && diffIds.length > 0) {
    if (diffIds.length !== layers.length) problems.push(`${where}: rootfs.diff_ids has ${diffIds.length} entries for ${layers.length} layers`)
    diffIds.forEach((diffId, i) => {
      const digest = digests[i]
      if (digest === undefined) return
      const file = scan.files.get(blobPath(digest))
      const expected = file?.uncompressedDigest ?? digest
      if (diffId !== expected) problems.push(`${where}: rootfs.diff_ids[${i}] is ${String(diffId)}, but layer ${i} uncompresses to ${expected}`)
    })
  }
  if ('layerDigests' in config && JSON.stringify(config.layerDigests) !== JSON.stringify(digests)) {
    problems.push(`${where}: layerDigests ${JSON.stringify(config.layerDigests)} do not match the manifest's layers ${JSON.stringify(digests)}`)
  }
  const label = (((config.config ?? {}) as Json).Labels as Record<string, string> | undefined)?.[LABEL_RUNWASI_LAYERS]
  if (label !== undefined) {
    const expected = sha256Hex(digests.map((digest) => digest.slice('sha256:'.length)).join(''))
    if (label !== expected) problems.push(`${where}: label ${LABEL_RUNWASI_LAYERS} is ${label}, but the layers give ${expected}`)
  }
}

/** What wkg / oci-wasm require of a CNCF Wasm artifact (FORMATS.md §3). */
function checkArtifact(config: Json, layers: VerifiedLayer[], where: string, problems: string[]): void {
  if (layers.length !== 1 || layers[0]!.mediaType !== MEDIA_TYPE_WASM_LAYER) {
    problems.push(`${where}: a ${MEDIA_TYPE_WASM_CONFIG} artifact needs exactly one ${MEDIA_TYPE_WASM_LAYER} layer, not ${JSON.stringify(layers.map((layer) => layer.mediaType))}`)
  }
  if (typeof config.created !== 'string' || Number.isNaN(Date.parse(config.created))) problems.push(`${where} config: created ${JSON.stringify(config.created)} is not an RFC 3339 time`)
  if (config.architecture !== ARCHITECTURE_WASM) problems.push(`${where} config: architecture is ${JSON.stringify(config.architecture)}, expected "${ARCHITECTURE_WASM}"`)
  if (!('layerDigests' in config)) problems.push(`${where} config: layerDigests is missing`)
  const kind = layers.length === 1 ? layers[0]!.kind : 'other'
  const os = kind === 'component' ? OS_WASIP2 : kind === 'module' ? OS_WASIP1 : undefined
  if (os && config.os !== os) problems.push(`${where} config: os is ${JSON.stringify(config.os)}, but the layer is a ${kind}: expected "${os}"`)
}

function checkEntries(scan: ArchiveScan, problems: string[]): void {
  for (const entry of scan.entries) {
    const parts = entry.name.replace(/\/$/, '').split('/')
    if (entry.name.startsWith('/')) problems.push(`entry "${entry.name}": absolute path`)
    else if (parts.includes('..')) problems.push(`entry "${entry.name}": contains '..'`)
    else if (parts.includes('.') || parts.includes('')) problems.push(`entry "${entry.name}": contains an empty or '.' component`)
    if (entry.name.includes('\\')) problems.push(`entry "${entry.name}": contains a backslash`)
    if (entry.type !== 'file' && entry.type !== 'directory') problems.push(`entry "${entry.name}": is a ${entry.type}${entry.linkname ? ` to "${entry.linkname}"` : ''}; only regular files and directories are allowed`)
  }
  for (const [name, file] of scan.files) {
    const match = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name)
    if (match && file.digest !== `sha256:${match[1]}`) problems.push(`entry "${name}": content hashes to ${file.digest}`)
  }
}

function checkLayoutFile(scan: ArchiveScan, problems: string[]): void {
  const layout = readJson(scan, OCI_LAYOUT_FILE, problems)
  if (layout && layout.imageLayoutVersion !== OCI_LAYOUT_VERSION) {
    problems.push(`${OCI_LAYOUT_FILE}: imageLayoutVersion is ${JSON.stringify(layout.imageLayoutVersion)}, expected "${OCI_LAYOUT_VERSION}"`)
  }
}

function checkDockerManifest(scan: ArchiveScan, problems: string[]): void {
  const file = scan.files.get(DOCKER_MANIFEST_FILE)
  if (!file) return
  const parsed = parseJson(file, DOCKER_MANIFEST_FILE, problems, true)
  if (parsed === undefined) return
  if (!Array.isArray(parsed)) {
    problems.push(`${DOCKER_MANIFEST_FILE}: is not a JSON array`)
    return
  }
  parsed.forEach((item: Json, i) => {
    const paths = [item.Config, ...(Array.isArray(item.Layers) ? item.Layers : [])]
    for (const path of paths) {
      if (typeof path !== 'string' || !scan.files.has(path)) problems.push(`${DOCKER_MANIFEST_FILE}[${i}]: names ${JSON.stringify(path)}, which is not in the archive`)
    }
  })
}

function readJson(scan: ArchiveScan, name: string, problems: string[]): Json | undefined {
  const file = scan.files.get(name)
  if (!file) {
    problems.push(`${name}: missing`)
    return undefined
  }
  return parseJson(file, name, problems)
}

function parseJson(file: ScannedFile, where: string, problems: string[], allowArray = false): Json | undefined {
  if (!file.bytes) {
    problems.push(`${where}: ${file.size} bytes is too large for JSON metadata`)
    return undefined
  }
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(file.bytes))
    if (typeof value === 'object' && value !== null && (allowArray || !Array.isArray(value))) return value as Json
    problems.push(`${where}: is not a JSON object`)
  } catch (error) {
    problems.push(`${where}: is not valid JSON (${(error as Error).message})`)
  }
  return undefined
}

function layerKind(file: ScannedFile): LayerKind {
  try {
    return classifyWasmHeader(file.head, '')
  } catch {
    return 'other'
  }
}
