import { relative, sep } from 'node:path'
import { resolveSourceDateEpoch } from '../core/epoch.ts'
import { type PackSummary, summarizeImage, writeArchive } from '../core/pack.ts'
import { PLUGIN_NAME, pluginError } from './errors.ts'
import { type EmittedOutput, type PackJob, planJobs } from './jobs.ts'
import { type Logger, displayPath, summaryLine } from './logger.ts'
import { noWasmMessage } from './messages.ts'
import { pushJobs } from './push.ts'
import { writeOutputReport } from './report.ts'
import { runExclusive } from './serialize.ts'
import type { PackSession } from './session.ts'

export type { EmittedOutput, EmittedWasm } from './jobs.ts'
export { createSession, type PackSession } from './session.ts'

/**
 * Everything the plugin does for one output: plans the selected `.wasm` files and the `?oci`
 * imports, writes one archive each, pushes them (`push`), then writes the report (`report`).
 */
export async function packOutput(session: PackSession, output: EmittedOutput, logger: Logger): Promise<PackSummary[]> {
  const selected = output.wasm.filter((wasm) => session.filter([wasm.fileName, wasm.source && toPosix(relative(process.cwd(), wasm.source))]))
  if (selected.length === 0 && output.imports.length === 0) {
    reportNoWasm(session, output, logger)
    return []
  }
  const jobs = await planJobs(session, output, selected)
  try {
    const summaries = await writeJobs(session, jobs, logger)
    session.packedDirs.add(output.outputDir)
    const pushed = session.options.push ? await pushJobs(session, jobs, logger) : new Map()
    if (session.options.report !== undefined) await writeOutputReport(session, output, jobs, pushed, logger)
    return summaries
  } finally {
    await Promise.all(jobs.map((job) => job.cleanup()))
  }
}

async function writeJobs(session: PackSession, jobs: PackJob[], logger: Logger): Promise<PackSummary[]> {
  const sourceDateEpoch = resolveSourceDateEpoch(session.options.sourceDateEpoch)
  const settled = await Promise.allSettled(jobs.map((job) => runExclusive(job.archive, () => writeJob(job, sourceDateEpoch))))
  const summaries: PackSummary[] = []
  for (const result of settled) {
    if (result.status === 'fulfilled') {
      summaries.push(result.value)
      logger.info(summaryLine(result.value))
    }
  }
  const failed = settled.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
  return summaries
}

async function writeJob(job: PackJob, sourceDateEpoch: number): Promise<PackSummary> {
  try {
    const summary = await writeArchive([job.plan], { output: job.archive, sourceDateEpoch, skipUnchanged: true })
    return { ...summary, ...summarizeImage(job.plan) }
  } catch (error) {
    const what = job.fileName !== undefined ? `${displayPath(`${job.outputDir}/${job.fileName}`)} (${job.bundler} output)` : `${displayPath(job.source!)} (imported with ?oci)`
    throw pluginError(`cannot pack ${what} into ${displayPath(job.archive)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
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

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/')
}
