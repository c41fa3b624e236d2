import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { type Header, extract, pack } from 'tar-stream'

export interface Entry {
  header: Header
  bytes: Buffer
}

type Json = Record<string, any>

/** Every entry of a tar, content in memory (test archives are a few KiB). */
export async function readEntries(path: string): Promise<Entry[]> {
  const entries: Entry[] = []
  const reader = extract()
  const consumed = (async () => {
    for await (const entry of reader) {
      const chunks: Buffer[] = []
      for await (const chunk of entry) chunks.push(chunk as Buffer)
      entries.push({ header: entry.header, bytes: Buffer.concat(chunks) })
    }
  })()
  await Promise.all([pipeline(createReadStream(path), reader), consumed])
  return entries
}

export async function writeEntries(path: string, entries: Entry[]): Promise<void> {
  const writer = pack()
  const written = pipeline(writer, createWriteStream(path))
  for (const { header, bytes } of entries) {
    await new Promise<void>((resolve, reject) => writer.entry({ ...header, size: bytes.length }, bytes, (error) => (error ? reject(error) : resolve())))
  }
  writer.finalize()
  await written
}

const blobName = (digest: string) => `blobs/sha256/${digest.slice('sha256:'.length)}`
const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/**
 * An archive's entries with its one image's JSON parsed, to break one claim at a time while
 * keeping every other claim true: `commit` re-serializes what changed and renames the blobs,
 * rewriting the descriptors that point at them (config → manifest → index.json, manifest.json).
 */
export class EditableArchive {
  index: Json
  manifest: Json
  config: Json
  private constructor(public entries: Entry[]) {
    this.index = this.json('index.json')
    this.manifest = this.json(blobName(this.index.manifests[0].digest))
    this.config = this.json(blobName(this.manifest.config.digest))
  }

  static async open(path: string): Promise<EditableArchive> {
    return new EditableArchive(await readEntries(path))
  }

  entry(name: string): Entry {
    const found = this.entries.find((entry) => entry.header.name === name)
    if (!found) throw new Error(`no entry ${name}`)
    return found
  }

  json(name: string): Json {
    return JSON.parse(this.entry(name).bytes.toString('utf8'))
  }

  setJson(name: string, value: unknown): void {
    this.entry(name).bytes = Buffer.from(JSON.stringify(value))
  }

  layerName(i = 0): string {
    return blobName(this.manifest.layers[i].digest)
  }

  remove(name: string): void {
    this.entries = this.entries.filter((entry) => entry.header.name !== name)
  }

  /** Writes config and manifest back as new blobs and points the index and manifest.json at them. */
  async commit(path: string, { fixDescriptors = true } = {}): Promise<void> {
    const docker = this.json('manifest.json')
    const oldConfig = blobName(this.manifest.config.digest)
    const configBytes = Buffer.from(JSON.stringify(this.config))
    if (!configBytes.equals(this.entry(oldConfig).bytes)) {
      const digest = digestOf(configBytes)
      this.rename(oldConfig, blobName(digest), configBytes)
      this.manifest.config = { ...this.manifest.config, digest, size: configBytes.length }
      docker[0].Config = blobName(digest)
    }
    const oldManifest = blobName(this.index.manifests[0].digest)
    const manifestBytes = Buffer.from(JSON.stringify(this.manifest))
    if (!manifestBytes.equals(this.entry(oldManifest).bytes)) {
      const digest = digestOf(manifestBytes)
      this.rename(oldManifest, blobName(digest), manifestBytes)
      if (fixDescriptors) this.index.manifests[0] = { ...this.index.manifests[0], digest, size: manifestBytes.length }
    }
    docker[0].Layers = this.manifest.layers.map((layer: Json) => blobName(layer.digest))
    this.setJson('manifest.json', docker)
    this.setJson('index.json', this.index)
    await writeEntries(path, this.entries)
  }

  private rename(from: string, to: string, bytes: Buffer): void {
    const entry = this.entry(from)
    entry.header = { ...entry.header, name: to }
    entry.bytes = bytes
  }
}
