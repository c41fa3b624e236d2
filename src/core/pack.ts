import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { resolveSourceDateEpoch } from './epoch.ts'
import { WasmOciError, errnoCode, usageError } from './errors.ts'
import { type PlanInput, planImage } from './formats/index.ts'
import { archiveMatches } from './archive-compare.ts'
import { layoutEntries } from './layout.ts'
import { planProvisionally, writeProvisional } from './pack-one-pass.ts'
import type { Descriptor, ImagePlan } from './plan.ts'
import { writeTar } from './tar.ts'

export interface WriteArchiveOptions {
  /** Where the archive goes; missing parent directories are created. */
  output: string
  /** Seconds for every entry's mtime. @default SOURCE_DATE_EPOCH, else 0 */
  sourceDateEpoch?: number | string
  /**
   * Compare with the archive already at `output` first, and leave it untouched (mtime too) when it
   * holds the same bytes: a watch rebuild of unchanged modules then writes nothing.
   * @default false
   */
  skipUnchanged?: boolean
}

export interface ImageSummary {
  reference: string
  manifest: Descriptor
  config: Descriptor
  layers: Descriptor[]
}

export interface ArchiveSummary {
  /** Absolute path of the archive. */
  path: string
  /** Size of the archive in bytes. */
  size: number
  /** False when `skipUnchanged` found the same bytes already there. */
  written: boolean
  images: ImageSummary[]
}

export function summarizeImage(plan: ImagePlan): ImageSummary {
  return {
    reference: plan.reference,
    manifest: plan.manifest.descriptor,
    config: plan.config.descriptor,
    layers: plan.layers.map((layer) => layer.descriptor),
  }
}

/**
 * Lays the images out as an OCI image-layout tar at `options.output`, atomically: the tar is
 * streamed into a temporary file beside the target, synced, then renamed over it. On any error
 * the temporary file is removed and nothing appears at the target.
 */
export async function writeArchive(plans: ImagePlan[], options: WriteArchiveOptions): Promise<ArchiveSummary> {
  const entries = layoutEntries(plans)
  const target = resolve(options.output)
  if (options.skipUnchanged === true && (await archiveMatches(target, entries, resolveSourceDateEpoch(options.sourceDateEpoch)))) {
    return { path: target, size: (await stat(target)).size, written: false, images: plans.map(summarizeImage) }
  }
  return writeAtomically(options, async (temp, mtime) => {
    await writeTar(entries, createWriteStream(temp, { flags: 'wx' }), mtime)
    return plans
  })
}

export interface PackInput extends Omit<PlanInput, 'sourceDateEpoch'>, WriteArchiveOptions {}

export interface PackSummary extends ArchiveSummary, ImageSummary {}

/**
 * Plans one image in the chosen format and writes it to an archive: the one packer behind the
 * CLI and the library. Each layer is read once, hashed while it streams into the archive (see
 * pack-one-pass.ts); a layout that cannot be known up front (a gzip compat layer) is planned
 * first and written in a second read. Bad input fails before anything is written.
 */
export async function packImage(input: PackInput): Promise<PackSummary> {
  const sourceDateEpoch = resolveSourceDateEpoch(input.sourceDateEpoch)
  const planInput = { ...input, sourceDateEpoch }
  const options = { ...input, sourceDateEpoch }
  // skipUnchanged needs the finished plan up front, to compare with the archive on disk before writing.
  const provisional = input.skipUnchanged === true ? undefined : await planProvisionally(planInput)
  const summary = provisional
    ? await writeAtomically(options, async (temp, mtime) => [await writeProvisional(provisional, planInput, temp, mtime)])
    : await writeArchive([await planImage(planInput)], options)
  return { ...summary, ...summary.images[0]! }
}

/**
 * Writes an archive atomically: `write` streams it into a temporary file beside the target,
 * which is synced, then renamed over it. On any error the temporary file is removed and nothing
 * appears at the target.
 */
async function writeAtomically(options: WriteArchiveOptions, write: (temp: string, mtime: number) => Promise<ImagePlan[]>): Promise<ArchiveSummary> {
  const mtime = resolveSourceDateEpoch(options.sourceDateEpoch)
  const target = resolve(options.output)
  await prepareTarget(target, options.output)
  const temp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    const plans = await write(temp, mtime)
    const handle = await open(temp, 'r+')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
    const { size } = await stat(temp)
    await rename(temp, target)
    return { path: target, size, written: true, images: plans.map(summarizeImage) }
  } catch (error) {
    await unlink(temp).catch(() => {})
    if (error instanceof WasmOciError) throw error
    throw new WasmOciError(`cannot write archive "${options.output}": ${describe(error)}`, { cause: error })
  }
}

async function prepareTarget(target: string, given: string): Promise<void> {
  if (given === '') throw usageError('output is empty: give the path of the archive to write, such as image.tar')
  const existing = await stat(target).catch(() => undefined)
  if (existing?.isDirectory()) throw usageError(`output "${given}" is a directory: give a file path such as ${join(given, 'image.tar')}`)
  try {
    await mkdir(dirname(target), { recursive: true })
  } catch (error) {
    const code = errnoCode(error)
    const reason = code === 'EEXIST' || code === 'ENOTDIR' ? 'a parent of it is a regular file, not a directory' : describe(error)
    throw usageError(`cannot create the directory for output "${given}": ${reason}; choose another output path`)
  }
}

function describe(error: unknown): string {
  const code = errnoCode(error)
  const message = error instanceof Error ? error.message : String(error)
  return code && !message.includes(code) ? `${code}: ${message}` : message
}
