import { ANNOTATION_TITLE } from '../core/constants.ts'
import { readStandardAnnotations } from '../core/annotations.ts'
import { resolveSourceDateEpoch } from '../core/epoch.ts'
import type { Format, PlanInput } from '../core/formats/index.ts'
import type { PackSession } from './session.ts'

/** What tells one image from another: everything else comes from the plugin's options. */
export interface ImageChoice {
  name: string
  repo: string
  tag: string
  format: Format
  /** The `.wasm` file to pack. */
  path: string
}

/** The core's plan input for one image: the plugin's epoch and annotations, standard ones first. */
export async function createPlanInput(session: PackSession, image: ImageChoice): Promise<PlanInput> {
  const { options } = session
  const sourceDateEpoch = resolveSourceDateEpoch(options.sourceDateEpoch)
  const annotations = await imageAnnotations(session, image.name)
  return {
    name: image.name,
    repo: image.repo,
    tag: image.tag,
    format: image.format,
    modules: [image.path],
    sourceDateEpoch,
    ...(Object.keys(annotations).length > 0 && { annotations }),
  }
}

async function imageAnnotations(session: PackSession, name: string): Promise<Record<string, string>> {
  const { autoAnnotations, annotations } = session.options
  if (!autoAnnotations) return { ...annotations }
  const standard = await readStandard(session, autoAnnotations.created)
  const auto = { ...standard, [ANNOTATION_TITLE]: name }
  const sorted = Object.fromEntries(Object.entries(auto).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  return { ...sorted, ...annotations }
}

function readStandard(session: PackSession, created: NonNullable<PackSession['options']['autoAnnotations']>['created']): Promise<Record<string, string>> {
  const { root } = session
  let standard = session.standardAnnotations.get(root)
  if (!standard) {
    const env = process.env.SOURCE_DATE_EPOCH
    const given = session.options.sourceDateEpoch ?? (env !== undefined && env !== '' ? resolveSourceDateEpoch(env) : undefined)
    standard = readStandardAnnotations({ cwd: root, created, sourceDateEpoch: given })
    session.standardAnnotations.set(root, standard)
  }
  return standard
}
