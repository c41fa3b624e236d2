import { KEEP_BYTES_LIMIT } from './archive-read.ts'
import { type ArchiveImage, type LayerTarget, selectImage } from './archive-select.ts'
import { ANNOTATION_TITLE, BLOBS_SHA256_DIR, INDEX_FILE } from './constants.ts'
import { createSha256, formatDigest } from './digest.ts'
import { WasmOciError } from './errors.ts'
import type { Descriptor } from './plan.ts'
import { type Chunks, collect, drain, walkArchive, walkTar } from './tar-walk.ts'

export type { ArchiveImage, LayerTarget } from './archive-select.ts'

export interface WasmInArchive {
  image: ArchiveImage
  /** The layer the module came from. */
  layer: Descriptor
  /** The module's file name: the layer's title, or the entrypoint's base name. */
  name: string
  bytes: Uint8Array
}

const JSON_START = 0x7b // '{'

/**
 * Pulls the module out of an image archive without unpacking it to disk. One pass reads the
 * small JSON files and, once index.json, the manifest and the config have gone by (this
 * project's archives put them first), streams the module's layer out as it passes, checking its
 * digest. An archive that stores layers before their metadata takes a second pass.
 */
export async function readWasmFromArchive(path: string, ref?: string): Promise<WasmInArchive> {
  const kept = new Map<string, Uint8Array>()
  const read = new Map<LayerTarget, Uint8Array | null>()
  let selected: ReturnType<typeof selectImage> | undefined
  const tryTargets = (name: string): LayerTarget | undefined => {
    selected ??= tryOrUndefined(() => selectImage(path, kept, ref))
    return selected?.targets.find((target) => !read.has(target) && blobName(target.layer) === name)
  }
  await forEachFile(path, async (name, size, stream) => {
    const target = tryTargets(name)
    if (target) read.set(target, await readTarget(path, target, stream))
    else if ((name === INDEX_FILE || name.startsWith(BLOBS_SHA256_DIR)) && size <= KEEP_BYTES_LIMIT) {
      const bytes = await collect(stream)
      if (bytes[0] === JSON_START) kept.set(name, bytes)
    } else await drain(stream)
  })
  selected ??= selectImage(path, kept, ref)
  const missing = selected.targets.filter((target) => !read.has(target))
  if (missing.length > 0) {
    await forEachFile(path, async (name, _size, stream) => {
      const target = missing.find((candidate) => !read.has(candidate) && blobName(candidate.layer) === name)
      if (target) read.set(target, await readTarget(path, target, stream))
      else await drain(stream)
    })
  }
  const { image, targets } = selected
  for (const target of targets) {
    if (!read.has(target)) throw new WasmOciError(`archive "${path}": layer ${target.layer.digest} of ${image.reference} is missing; run \`wasm-oci verify ${path}\``)
    const bytes = read.get(target)
    if (bytes) return { image, layer: target.layer, name: target.file?.split('/').pop() ?? target.layer.annotations?.[ANNOTATION_TITLE] ?? image.moduleName, bytes }
  }
  throw new WasmOciError(`archive "${path}": ${image.reference} has no file "/${targets[0]?.file}" (its entrypoint) in any layer: check the image's Entrypoint`)
}

function blobName(layer: Descriptor): string {
  return `${BLOBS_SHA256_DIR}${layer.digest.slice('sha256:'.length)}`
}

function tryOrUndefined<T>(fn: () => T): T | undefined {
  try {
    return fn()
  } catch {
    return undefined
  }
}

/** Streams the layer through a hash; returns the module, or null when a tar layer does not hold it. */
async function readTarget(path: string, target: LayerTarget, stream: Chunks): Promise<Uint8Array | null> {
  const hash = createSha256()
  let size = 0
  const hashed = (async function* () {
    for await (const chunk of stream) {
      hash.update(chunk)
      size += chunk.length
      yield chunk
    }
  })()
  let bytes: Uint8Array | null
  try {
    bytes = target.file === undefined ? await collect(hashed) : await findInTar(hashed, target.file)
  } catch (error) {
    throw new WasmOciError(`archive "${path}": layer ${target.layer.digest} does not unpack (${error instanceof Error ? error.message : String(error)}); the archive is corrupt: run \`wasm-oci verify ${path}\``, { cause: error })
  }
  const digest = formatDigest(hash.hex())
  if (digest !== target.layer.digest || size !== target.layer.size) {
    throw new WasmOciError(`archive "${path}": layer ${target.layer.digest} holds ${size} bytes hashing to ${digest}, not the ${target.layer.size} bytes its descriptor names; the archive is corrupt: run \`wasm-oci verify ${path}\``)
  }
  return bytes
}

/** The regular file `name` (leading `/` and `./` ignored) in a tar or tar+gzip stream, read to the end. */
async function findInTar(source: Chunks, name: string): Promise<Uint8Array | null> {
  let found: Uint8Array | null = null
  await walkTar(source, async (header, content) => {
    if (header.name.replace(/^(\.?\/)+/, '') === name && header.type === 'file') found = await collect(content)
    else await drain(content)
  })
  return found
}

/** Every regular file of the archive, with its declared size; a `./` prefix (`tar -C dir .`) is dropped. */
function forEachFile(path: string, visit: (name: string, size: number, content: Chunks) => Promise<void>): Promise<void> {
  return walkArchive(path, (header, content) => (header.type === 'file' ? visit(header.name.replace(/^(\.\/)+/, ''), header.size, content) : drain(content)))
}
