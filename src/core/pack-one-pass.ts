import { createWriteStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { type FileDigest, digestFile, fileReadError, formatDigest, sha256Hex } from './digest.ts'
import { type Digester, HASHING } from './formats/digester.ts'
import { type PlanInput, planImage } from './formats/index.ts'
import { type LayoutEntry, blobPath, layoutEntries } from './layout.ts'
import type { ImagePlan } from './plan.ts'
import { TAR_BLOCK } from './constants.ts'
import { encodeTarHeader, tarEntrySize, writeTar } from './tar.ts'

/** A ustar name field holds 100 bytes; a longer compat entry name would need a PAX record. */
const USTAR_NAME_MAX = 100

/** A plan whose layer digests are stand-ins of the right length, and which file each stands for. */
export interface ProvisionalImage {
  plan: ImagePlan
  sources: Map<string, string>
}

class LayoutUnknown extends Error {}

/**
 * Plans with a stand-in digest for every layer, so the whole archive layout (every entry's name
 * length, size and offset) is known before any layer is read: digests have a fixed length, so
 * the real ones change bytes but no size. Returns undefined where that does not hold (a gzip
 * layer, whose size is only known once compressed; an entry name that needs a PAX record).
 * Throws the same input errors as `planImage`, before anything is written.
 */
export async function planProvisionally(input: PlanInput): Promise<ProvisionalImage | undefined> {
  const sources = new Map<string, string>()
  const standIn = (kind: string, path: string): string => {
    const digest = formatDigest(sha256Hex(`${kind}:${path}`))
    sources.set(blobPath(digest), path)
    return digest
  }
  const digester: Digester = {
    async file(path) {
      const stats = await stat(path).catch((error: unknown) => Promise.reject(fileReadError(path, error)))
      if (!stats.isFile()) throw fileReadError(path, Object.assign(new Error('not a regular file'), { code: 'EISDIR' }))
      return { digest: standIn('file', path), size: stats.size }
    },
    async layerTar(file, compression) {
      if (compression !== 'none' || Buffer.byteLength(file.name) > USTAR_NAME_MAX) throw new LayoutUnknown()
      const digest = standIn('tar', file.path)
      // One header, the file padded to whole blocks, tar-stream's two end-of-archive blocks.
      return { digest, size: TAR_BLOCK + Math.ceil(file.size / TAR_BLOCK) * TAR_BLOCK + 2 * TAR_BLOCK, diffId: digest }
    },
  }
  try {
    return { plan: await planImage({ ...input, digester }), sources }
  } catch (error) {
    if (error instanceof LayoutUnknown) return undefined
    throw error
  }
}

/**
 * Writes the image into `temp` reading every layer once: the provisional layout is streamed out
 * with each layer hashed on its way in, the image is planned again with those digests, and the
 * headers and metadata that name them are rewritten in place. Where the real plan's layout
 * differs (the same bytes at two paths collapse into one layer) the tar is written again from it.
 */
export async function writeProvisional({ plan, sources }: ProvisionalImage, input: PlanInput, temp: string, mtime: number): Promise<ImagePlan> {
  const provisional = layoutEntries([plan])
  const streamed = new Map<string, FileDigest>()
  await writeTar(provisional, createWriteStream(temp, { flags: 'wx' }), mtime, (name, digest) => {
    const path = sources.get(name)
    if (path !== undefined) streamed.set(path, digest)
  })
  const final = await planImage({ ...input, digester: knownDigests(streamed) })
  const entries = layoutEntries([final])
  if (sameLayout(provisional, entries)) await rewriteInPlace(temp, entries, mtime)
  else await writeTar(entries, createWriteStream(temp), mtime)
  return final
}

/** The digests measured while streaming; anything not streamed (it should not happen) is hashed. */
function knownDigests(streamed: Map<string, FileDigest>): Digester {
  return {
    file: async (path) => streamed.get(path) ?? digestFile(path),
    async layerTar(file, compression) {
      const known = streamed.get(file.path)
      return known && compression === 'none' ? { ...known, diffId: known.digest } : HASHING.layerTar(file, compression)
    },
  }
}

function sameLayout(a: LayoutEntry[], b: LayoutEntry[]): boolean {
  return a.length === b.length && a.every((entry, i) => entry.type === b[i]!.type && tarEntrySize(entry) === tarEntrySize(b[i]!) && (entry.type === 'directory' || entry.size === (b[i] as typeof entry).size))
}

/** Overwrites every header, and every entry held in memory, at the offsets the layout fixes. */
async function rewriteInPlace(path: string, entries: LayoutEntry[], mtime: number): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    let offset = 0
    for (const entry of entries) {
      await handle.write(await encodeTarHeader(entry, mtime), 0, TAR_BLOCK, offset)
      if (entry.type === 'file' && entry.content.kind === 'bytes') await handle.write(entry.content.bytes, 0, entry.size, offset + TAR_BLOCK)
      offset += tarEntrySize(entry)
    }
  } finally {
    await handle.close()
  }
}
