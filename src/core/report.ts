import { randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { WasmOciError } from './errors.ts'
import { type Descriptor, descriptorJson } from './plan.ts'

export const REPORT_SCHEMA_VERSION = 1

/** Where one image was pushed: the repository, the tags now on the manifest, and the pinned reference. */
export interface ReportPush {
  /** `registry/repository`, as pushed: `ghcr.io/acme/add`. */
  repository: string
  tags: string[]
  /** The manifest digest the registry confirmed. */
  digest: string
  /** `repository@digest`: what a deploy step pins. */
  reference: string
}

/** One image of a build, as a deploy step reads it. */
export interface ReportImage {
  /** The image name (`add`), also the archive's base name. */
  name: string
  /** The archive, relative to the report's directory, with `/`. */
  archive: string
  /** The source module, relative to the project root, with `/`; null when the bundler does not say. */
  source: string | null
  /** The emitted `.wasm`, relative to the build's output directory; null for a module only imported with `?oci`. */
  emitted: string | null
  format: string
  /** The reference inside the archive (`io.containerd.image.name`). */
  reference: string
  manifest: Descriptor
  config: Descriptor
  layers: Descriptor[]
  /** Empty when the image was not pushed. */
  pushed: ReportPush[]
}

export interface BuildReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION
  images: ReportImage[]
}

/**
 * The report as bytes: every object spelled out in a fixed key order, images sorted by archive
 * path then name, pretty-printed with a final newline. The same images give the same bytes.
 */
export function reportBytes(images: readonly ReportImage[]): Uint8Array {
  const sorted = [...images].sort((a, b) => compare(a.archive, b.archive) || compare(a.name, b.name))
  const report: BuildReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    images: sorted.map((image) => ({
      name: image.name,
      archive: image.archive,
      source: image.source,
      emitted: image.emitted,
      format: image.format,
      reference: image.reference,
      manifest: descriptorJson(image.manifest),
      config: descriptorJson(image.config),
      layers: image.layers.map(descriptorJson),
      pushed: image.pushed.map(({ repository, tags, digest, reference }) => ({ repository, tags: [...tags], digest, reference })),
    })),
  }
  return new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`)
}

/**
 * Writes the report to `path` atomically (a temporary file beside it, synced, then renamed over
 * it), leaving an existing file with the same bytes untouched. Returns whether it wrote.
 */
export async function writeReport(path: string, images: readonly ReportImage[]): Promise<boolean> {
  const bytes = reportBytes(images)
  const existing = await readFile(path).catch(() => undefined)
  if (existing !== undefined && Buffer.compare(existing, bytes) === 0) return false
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(dirname(path), { recursive: true })
    const handle = await open(temp, 'wx')
    try {
      await handle.writeFile(bytes)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, path)
    return true
  } catch (error) {
    await unlink(temp).catch(() => {})
    throw new WasmOciError(`cannot write the build report "${path}": ${error instanceof Error ? error.message : String(error)}; check that its directory is writable, or choose another report path`, { cause: error })
  }
}

/** Code-unit order, not the locale's: the same on every machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
