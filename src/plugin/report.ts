import { dirname, resolve } from 'node:path'
import { type ReportImage, type ReportPush, writeReport } from '../core/report.ts'
import { pluginError } from './errors.ts'
import { type EmittedOutput, type PackJob, posixRelative } from './jobs.ts'
import { type Logger, displayPath } from './logger.ts'
import { runExclusive } from './serialize.ts'
import type { PackSession } from './session.ts'

/**
 * Writes the report for one output: its images replace what this output directory reported
 * before (a watch rebuild), next to the images of other outputs that share the report path.
 */
export async function writeOutputReport(session: PackSession, output: EmittedOutput, jobs: PackJob[], pushed: Map<string, ReportPush[]>, logger: Logger): Promise<void> {
  const path = resolve(output.outputDir, session.options.report!)
  await runExclusive(path, async () => {
    const entries = session.reports.get(path) ?? new Map<string, { outputDir: string; image: ReportImage }>()
    for (const [archive, entry] of entries) if (entry.outputDir === output.outputDir) entries.delete(archive)
    for (const job of jobs) entries.set(job.archive, { outputDir: output.outputDir, image: reportImage(session, path, job, pushed.get(job.archive) ?? []) })
    session.reports.set(path, entries)
    try {
      const written = await writeReport(path, [...entries.values()].map((entry) => entry.image))
      logger.info(`${written ? 'wrote' : 'unchanged'} ${displayPath(path)}: ${entries.size} image(s)`)
    } catch (error) {
      throw pluginError(error instanceof Error ? error.message : String(error), { cause: error })
    }
  })
}

function reportImage(session: PackSession, reportPath: string, job: PackJob, pushed: ReportPush[]): ReportImage {
  const { plan } = job
  return {
    name: job.name,
    archive: posixRelative(dirname(reportPath), job.archive),
    source: job.source !== undefined ? posixRelative(session.root, job.source) : null,
    emitted: job.fileName ?? null,
    format: job.format,
    reference: plan.reference,
    manifest: plan.manifest.descriptor,
    config: plan.config.descriptor,
    layers: plan.layers.map((layer) => layer.descriptor),
    pushed,
  }
}
