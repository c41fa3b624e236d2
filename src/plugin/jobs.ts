import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, relative, resolve } from 'node:path'
import type { Format } from '../core/formats/index.ts'
import { planImage } from '../core/formats/index.ts'
import type { ImagePlan } from '../core/plan.ts'
import { PLUGIN_NAME, pluginError } from './errors.ts'
import { displayPath } from './logger.ts'
import { defaultImageName } from './naming.ts'
import { currentImport } from './oci-import.ts'
import { createPlanInput } from './plan-input.ts'
import type { PackSession } from './session.ts'
import type { Bundler, WasmAsset } from './types.ts'

/** One `.wasm` file a collector found in a build's output. */
export interface EmittedWasm {
  /** Relative to the output directory, with `/`. */
  fileName: string
  /** Absolute path of the source module, when the bundler reports it. */
  source?: string
  /** The source's base name when only that is known (Rollup's `names`). */
  sourceName?: string
  /** The bytes, only for builds that keep their output in memory (esbuild `write: false`, webpack's dev middleware). */
  contents?: () => Uint8Array | Promise<Uint8Array>
}

/** What one collector hands over for one output directory. */
export interface EmittedOutput {
  bundler: Bundler
  outputDir: string
  wasm: EmittedWasm[]
  /** The `?oci` module ids in the build's module graph: each is packed into this output too. */
  imports: string[]
}

/** One archive to write: its plan, and what asked for it (an emitted file, a `?oci` import, or both). */
export interface PackJob {
  name: string
  archive: string
  format: Format
  plan: ImagePlan
  bundler: Bundler
  outputDir: string
  fileName?: string
  source?: string
  importId?: string
  /** Removes a temporary copy of in-memory bytes, once the archive is written and pushed. */
  cleanup: () => Promise<void>
}

/**
 * Plans every archive of one output: the selected emitted files, then the `?oci` imports. One
 * archive path gets one image: an import whose image equals the emitted file's shares its job;
 * two different images for one path fail the build, naming both and the fix.
 */
export async function planJobs(session: PackSession, output: EmittedOutput, selected: EmittedWasm[]): Promise<PackJob[]> {
  const emitted = nameEmitted(session, output, selected)
  const settled = await Promise.allSettled([
    ...emitted.map(({ module, name, archive, contents }) => planEmitted(session, module, name, archive, contents)),
    ...output.imports.map((id) => planImported(session, output, id)),
  ])
  const jobs = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []))
  const failed = settled.find((result) => result.status === 'rejected')
  try {
    if (failed) throw failed.reason
    return mergeJobs(jobs)
  } catch (error) {
    await Promise.all(jobs.map((job) => job.cleanup()))
    throw error
  }
}

interface NamedWasm {
  module: WasmAsset
  name: string
  archive: string
  contents: EmittedWasm['contents']
}

function nameEmitted(session: PackSession, output: EmittedOutput, selected: EmittedWasm[]): NamedWasm[] {
  const byArchive = new Map<string, NamedWasm>()
  for (const wasm of selected) {
    const module: WasmAsset = {
      fileName: wasm.fileName,
      ...(wasm.source !== undefined && { source: wasm.source }),
      outputDir: output.outputDir,
      defaultName: defaultImageName(wasm.fileName, wasm.source ?? wasm.sourceName),
      bundler: output.bundler,
    }
    const name = chooseName(session, module)
    const archive = resolve(output.outputDir, session.options.outDir, `${name}.tar`)
    const other = byArchive.get(archive)
    if (other) {
      throw pluginError(`${other.module.fileName} and ${wasm.fileName} in ${displayPath(output.outputDir)} would both be packed as image "${name}" into ${displayPath(archive)}: give a name option that tells them apart, e.g. name: (module) => module.fileName.includes('worker') ? 'worker' : undefined`, { usage: true })
    }
    byArchive.set(archive, { module, name, archive, contents: wasm.contents })
  }
  return [...byArchive.values()]
}

function chooseName(session: PackSession, module: WasmAsset): string {
  const { name } = session.options
  if (!name) return module.defaultName
  try {
    return name(module) ?? module.defaultName
  } catch (error) {
    throw pluginError(`the name option threw for ${module.fileName}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

async function planEmitted(session: PackSession, module: WasmAsset, name: string, archive: string, contents: EmittedWasm['contents']): Promise<PackJob> {
  const { options } = session
  const emitted = join(module.outputDir, module.fileName)
  const input = await locateBytes(emitted, contents)
  try {
    const plan = await planImage(await createPlanInput(session, { name, repo: options.repo, tag: options.tag, format: options.format, path: input.path }))
    return { name, archive, format: options.format, plan, bundler: module.bundler, outputDir: module.outputDir, fileName: module.fileName, ...(module.source !== undefined && { source: module.source }), cleanup: input.cleanup }
  } catch (error) {
    await input.cleanup()
    const reason = error instanceof Error ? error.message : String(error)
    throw pluginError(`cannot pack ${displayPath(emitted)} (${module.bundler} output) into ${displayPath(archive)}: ${reason}`, { cause: error })
  }
}

async function planImported(session: PackSession, output: EmittedOutput, id: string): Promise<PackJob> {
  const image = await currentImport(session, id)
  const archive = resolve(output.outputDir, session.options.outDir, `${image.name}.tar`)
  return { name: image.name, archive, format: image.format, plan: image.plan, bundler: output.bundler, outputDir: output.outputDir, source: image.source, importId: id, cleanup: async () => {} }
}

function mergeJobs(jobs: PackJob[]): PackJob[] {
  const byArchive = new Map<string, PackJob>()
  for (const job of jobs) {
    const other = byArchive.get(job.archive)
    if (!other) {
      byArchive.set(job.archive, job)
      continue
    }
    const [a, b] = [other.plan.manifest.descriptor.digest, job.plan.manifest.descriptor.digest]
    if (a !== b) {
      throw pluginError(`${describeJob(other)} and ${describeJob(job)} would both be packed into ${displayPath(job.archive)}, as different images (manifest ${a} and ${b}): give the ?oci import a name of its own (?oci&name=${job.name}-2), or the plugin's options`, { usage: true })
    }
    // The same image twice (an emitted file and its ?oci import): one archive, both origins.
    byArchive.set(job.archive, { ...other, ...job, fileName: other.fileName ?? job.fileName, importId: other.importId ?? job.importId, cleanup: async () => void (await Promise.all([other.cleanup(), job.cleanup()])) })
  }
  return [...byArchive.values()]
}

function describeJob(job: PackJob): string {
  if (job.importId === undefined) return `${job.fileName} (emitted)`
  const query = job.importId.slice(job.importId.lastIndexOf('?oci'))
  return `${displayPath(job.source!)}${query}`
}

/** The emitted file, or a temporary copy of the bytes a build kept in memory, removed after packing. */
async function locateBytes(path: string, contents: EmittedWasm['contents']): Promise<{ path: string; cleanup: () => Promise<void> }> {
  if (!contents) return { path, cleanup: async () => {} }
  const dir = await mkdtemp(join(tmpdir(), `${PLUGIN_NAME}-`))
  const copy = join(dir, basename(path))
  try {
    await writeFile(copy, await contents())
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw pluginError(`cannot copy ${displayPath(path)} to a temporary file for packing: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  return { path: copy, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** A path relative to `from`, with `/`. */
export function posixRelative(from: string, to: string): string {
  return relative(from, to).split('\\').join('/')
}
