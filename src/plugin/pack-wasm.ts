import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, relative, resolve, sep } from 'node:path'
import { type PackSummary, packImage } from '../core/pack.ts'
import { PLUGIN_NAME, pluginError } from './errors.ts'
import { type PathFilter, createFilter } from './filter.ts'
import { type Logger, displayPath, summaryLine } from './logger.ts'
import { noWasmMessage } from './messages.ts'
import { defaultImageName } from './naming.ts'
import { runExclusive } from './serialize.ts'
import type { Bundler, ResolvedOptions, WasmAsset } from './types.ts'

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
}

/** One per plugin instance: what the options resolved to, and what it has done so far. */
export interface PackSession {
  options: ResolvedOptions
  filter: PathFilter
  /** Output directories that got archives: a later output without wasm is then no surprise. */
  packedDirs: Set<string>
  warnedDirs: Set<string>
}

export function createSession(options: ResolvedOptions): PackSession {
  return { options, filter: createFilter(options.include, options.exclude), packedDirs: new Set(), warnedDirs: new Set() }
}

interface PackJob extends WasmAsset {
  name: string
  archive: string
  contents?: EmittedWasm['contents']
}

/** Packs each selected `.wasm` of one output into its own archive, then reports one line per archive. */
export async function packEmittedWasm(session: PackSession, output: EmittedOutput, logger: Logger): Promise<PackSummary[]> {
  const selected = output.wasm.filter((wasm) => session.filter([wasm.fileName, wasm.source && toPosix(relative(process.cwd(), wasm.source))]))
  if (selected.length === 0) {
    reportNoWasm(session, output, logger)
    return []
  }
  const jobs = planJobs(session.options, output, selected)
  const settled = await Promise.allSettled(jobs.map((job) => runExclusive(job.archive, () => packJob(session.options, job))))
  const summaries: PackSummary[] = []
  for (const result of settled) {
    if (result.status === 'fulfilled') {
      summaries.push(result.value)
      logger.info(summaryLine(result.value))
    }
  }
  const failed = settled.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
  session.packedDirs.add(output.outputDir)
  return summaries
}

function reportNoWasm(session: PackSession, output: EmittedOutput, logger: Logger): void {
  const { onNoWasm } = session.options
  if (onNoWasm === 'ignore' || session.packedDirs.size > 0) return
  const message = noWasmMessage(output.bundler, output.outputDir, output.wasm.length)
  if (onNoWasm === 'error') throw pluginError(message)
  if (session.warnedDirs.has(output.outputDir)) return
  session.warnedDirs.add(output.outputDir)
  logger.warn(`${PLUGIN_NAME}: ${message}`)
}

function planJobs(options: ResolvedOptions, output: EmittedOutput, selected: EmittedWasm[]): PackJob[] {
  const byArchive = new Map<string, PackJob>()
  for (const wasm of selected) {
    const module: WasmAsset = {
      fileName: wasm.fileName,
      ...(wasm.source !== undefined && { source: wasm.source }),
      outputDir: output.outputDir,
      defaultName: defaultImageName(wasm.fileName, wasm.source ?? wasm.sourceName),
      bundler: output.bundler,
    }
    const name = chooseName(options, module)
    const archive = resolve(output.outputDir, options.outDir, `${name}.tar`)
    const other = byArchive.get(archive)
    if (other) {
      throw pluginError(`${other.fileName} and ${wasm.fileName} in ${displayPath(output.outputDir)} would both be packed as image "${name}" into ${displayPath(archive)}: give a name option that tells them apart, e.g. name: (module) => module.fileName.includes('worker') ? 'worker' : undefined`, { usage: true })
    }
    byArchive.set(archive, { ...module, name, archive, contents: wasm.contents })
  }
  return [...byArchive.values()]
}

function chooseName(options: ResolvedOptions, module: WasmAsset): string {
  if (!options.name) return module.defaultName
  try {
    return options.name(module) ?? module.defaultName
  } catch (error) {
    throw pluginError(`the name option threw for ${module.fileName}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
}

async function packJob(options: ResolvedOptions, job: PackJob): Promise<PackSummary> {
  const emitted = join(job.outputDir, job.fileName)
  const input = await locateBytes(emitted, job.contents)
  try {
    return await packImage({
      name: job.name,
      repo: options.repo,
      tag: options.tag,
      format: options.format,
      modules: [input.path],
      annotations: options.annotations,
      output: job.archive,
      sourceDateEpoch: options.sourceDateEpoch,
      skipUnchanged: true,
    })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw pluginError(`cannot pack ${displayPath(emitted)} (${job.bundler} output) into ${displayPath(job.archive)}: ${reason}`, { cause: error })
  } finally {
    await input.cleanup()
  }
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

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/')
}
