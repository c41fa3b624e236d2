import { stat } from 'node:fs/promises'
import { isTarLayer } from './archive-select.ts'
import { blobPath } from './layout.ts'
import type { Descriptor, Platform } from './plan.ts'
import { type Chunks, drain, walkArchive, walkTar } from './tar-walk.ts'
import { type VerifiedLayer, verifyArchive } from './verify.ts'
import { isWasmBinary } from './wasm.ts'
import { type WasmSummary, summarizeWasmStream } from './wasm-summary.ts'

/** `\0asm`, the bytes that tell a wasm file in a tar layer from any other. */
const WASM_MAGIC_LENGTH = 4

export interface InspectedFile {
  name: string
  size: number
  mode: number
  /** Present when the file is a wasm binary. */
  wasm?: WasmSummary
}

export interface InspectedLayer extends Descriptor {
  /** A raw wasm module or component, a filesystem tar (maybe gzip), or anything else. */
  kind: 'module' | 'component' | 'tar' | 'other'
  wasm?: WasmSummary
  /** A tar layer's regular files, in order. */
  files?: InspectedFile[]
}

export interface InspectedImage {
  reference: string
  refName?: string
  platform?: Platform
  /** The manifest's descriptor in index.json (mediaType, digest, size). */
  manifest: Descriptor
  /** The annotations on that descriptor: the image's names. */
  indexAnnotations: Record<string, string>
  /** The manifest's own annotations. */
  annotations: Record<string, string>
  config: Descriptor
  configJson: Record<string, unknown>
  layers: InspectedLayer[]
}

export interface ArchiveInspection {
  path: string
  /** The archive's size in bytes. */
  size: number
  images: InspectedImage[]
  /** What `verifyArchive` found wrong; empty for a sound archive. */
  problems: string[]
}

/**
 * Describes an archive for people and scripts: its images, manifests, configs and layers, what
 * each wasm layer (or wasm file in a tar layer) imports and exports. Reads the archive once to
 * verify it and once more only for layers too large to have been kept in memory.
 */
export async function inspectArchive(path: string): Promise<ArchiveInspection> {
  const { size } = await stat(path).catch(() => ({ size: 0 }))
  const verification = await verifyArchive(path)
  const details = new Map<string, Pick<InspectedLayer, 'wasm' | 'files'>>()
  const pending = new Map<string, VerifiedLayer>()
  for (const layer of verification.images.flatMap((image) => image.layers)) {
    const file = verification.scan.files.get(blobPath(layer.digest))
    if (!file || layerKind(layer) === 'other' || details.has(layer.digest)) continue
    if (file.bytes) details.set(layer.digest, await describeLayer(layer, (async function* () { yield Buffer.from(file.bytes!) })(), file.bytes.length))
    else pending.set(blobPath(layer.digest), layer)
  }
  if (pending.size > 0) {
    await walkArchive(path, async (header, content) => {
      const layer = pending.get(header.name)
      if (header.type === 'file' && layer && !details.has(layer.digest)) details.set(layer.digest, await describeLayer(layer, content, header.size))
      else await drain(content)
    })
  }
  const images = verification.images.map((image): InspectedImage => ({
    reference: image.reference,
    ...(image.refName !== undefined && { refName: image.refName }),
    ...(image.platform && { platform: image.platform }),
    manifest: { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size },
    indexAnnotations: image.manifest.annotations ?? {},
    annotations: image.manifestAnnotations,
    config: image.config,
    configJson: image.configJson,
    layers: image.layers.map((layer) => ({ ...layer, kind: layerKind(layer), ...details.get(layer.digest) })),
  }))
  return { path, size, images, problems: verification.problems }
}

function layerKind(layer: VerifiedLayer): InspectedLayer['kind'] {
  if (layer.kind !== 'other') return layer.kind
  return isTarLayer(layer.mediaType) ? 'tar' : 'other'
}

async function describeLayer(layer: VerifiedLayer, content: Chunks, size: number): Promise<Pick<InspectedLayer, 'wasm' | 'files'>> {
  if (layerKind(layer) !== 'tar') return { wasm: await summarizeWasmStream(content, size, layer.digest) }
  const files: InspectedFile[] = []
  try {
    await walkTar(content, async (header, entry) => {
      if (header.type !== 'file') return drain(entry)
      const file: InspectedFile = { name: header.name, size: header.size, mode: header.mode }
      files.push(file)
      const wasm = await summarizeIfWasm(entry, file.size, `${layer.digest}:${header.name}`)
      if (wasm) file.wasm = wasm
    })
  } catch {
    // A layer that does not unpack is verify's business; list what was read before it broke.
    await drain(content).catch(() => {})
  }
  return { files }
}

/** The entry's summary, streamed, when it starts with the wasm magic; otherwise drains it and returns undefined. */
async function summarizeIfWasm(content: Chunks, size: number, label: string): Promise<WasmSummary | undefined> {
  const iterator = content[Symbol.asyncIterator]()
  const head: Buffer[] = []
  let headLength = 0
  let done = false
  while (headLength < WASM_MAGIC_LENGTH && !done) {
    const next = await iterator.next()
    if (next.done) done = true
    else {
      head.push(next.value)
      headLength += next.value.length
    }
  }
  const all = (async function* () {
    yield* head
    if (!done) for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value
  })()
  if (!isWasmBinary(Buffer.concat(head, Math.min(headLength, WASM_MAGIC_LENGTH)))) return void (await drain(all))
  return summarizeWasmStream(all, size, label)
}
