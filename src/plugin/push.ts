import type { ReportPush } from '../core/report.ts'
import { pushImage } from '../registry/push.ts'
import { resolveTarget } from '../registry/target.ts'
import { pluginError, rethrowPrefixed } from './errors.ts'
import type { PackJob } from './jobs.ts'
import { type Logger, displayPath } from './logger.ts'
import { fillTemplate } from './options-metadata.ts'
import { runExclusive } from './serialize.ts'
import type { PackSession } from './session.ts'

interface PushTarget {
  job: PackJob
  /** `registry/repository:tag`, as the registry client shows it. */
  target: string
  key: string
}

/**
 * Pushes each job's image from its plan (no archive is read back), once per target, tags and
 * manifest in this session: a watch rebuild, or a second output with the same images, pushes
 * only what changed. Returns where each archive's image went, by archive path.
 */
export async function pushJobs(session: PackSession, jobs: PackJob[], logger: Logger): Promise<Map<string, ReportPush[]>> {
  const targets = jobs.map((job) => pushTarget(session, job))
  checkCollisions(targets)
  const settled = await Promise.allSettled(targets.map((target) => runExclusive(`push ${target.key}`, () => pushOne(session, target, logger))))
  const failed = settled.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
  const pushed = new Map<string, ReportPush[]>()
  settled.forEach((result, i) => {
    if (result.status === 'fulfilled') pushed.set(targets[i]!.job.archive, [result.value])
  })
  return pushed
}

function pushTarget(session: PackSession, job: PackJob): PushTarget {
  const push = session.options.push!
  try {
    const filled = push.reference === undefined ? job.plan.reference : fillTemplate(push.reference, { name: job.name, tag: job.plan.refName })
    const parsed = resolveTarget(filled, 'push reference')
    // A template without a tag takes the image's own.
    const target = `${parsed.registry}/${parsed.repository}:${parsed.tag ?? job.plan.refName}`
    return { job, target, key: `${target} ${push.tags.join(',')}` }
  } catch (error) {
    rethrowPrefixed(error)
  }
}

/** Two different images for one target in one output would overwrite each other's tag. */
function checkCollisions(targets: PushTarget[]): void {
  const seen = new Map<string, PushTarget>()
  for (const target of targets) {
    const other = seen.get(target.target)
    if (other && other.job.plan.manifest.descriptor.digest !== target.job.plan.manifest.descriptor.digest) {
      throw pluginError(`images "${other.job.name}" and "${target.job.name}" would both be pushed to ${target.target}: put [name] in the push reference, such as "${target.target.replace(/\/[^/]*$/, '/[name]:[tag]')}"`, { usage: true })
    }
    seen.set(target.target, target)
  }
}

async function pushOne(session: PackSession, { job, target, key }: PushTarget, logger: Logger): Promise<ReportPush> {
  const push = session.options.push!
  const digest = job.plan.manifest.descriptor.digest
  const known = session.pushes.get(key)
  if (known?.digest === digest) {
    logger.info(`unchanged ${target}: already pushed, manifest ${digest}`)
    return known.pushed
  }
  try {
    const result = await pushImage(job.plan, target, { ...push.registry, tags: push.tags, blobSources: session.blobSources })
    const { registry, repository } = resolveTarget(target)
    const pushed: ReportPush = { repository: `${registry}/${repository}`, tags: result.tags, digest: result.digest, reference: `${registry}/${repository}@${result.digest}` }
    session.pushes.set(key, { digest, pushed })
    const uploaded = result.blobs.filter((blob) => blob.action === 'uploaded').length
    logger.info(`pushed ${target}${push.tags.length > 0 ? ` (+ ${push.tags.join(', ')})` : ''}: manifest ${result.digest}, ${uploaded} of ${result.blobs.length} blobs uploaded`)
    return pushed
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw pluginError(`image "${job.name}" (${displayPath(job.archive)}): ${reason}`, { cause: error })
  }
}
