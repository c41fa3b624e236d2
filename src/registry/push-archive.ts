import { usageError } from '../core/errors.ts'
import type { ImagePlan } from '../core/plan.ts'
import { parseReference } from '../core/reference.ts'
import { readArchivePlans } from './archive-plans.ts'
import { RegistryClient } from './client.ts'
import { BlobSources, pushImage } from './push.ts'
import { type RegistryTarget, formatTarget, resolveTarget, withTag } from './target.ts'
import type { PushOptions, PushResult } from './types.ts'

export interface PushArchiveOptions extends PushOptions {
  /** Push only this image: its full name (`io.containerd.image.name`) or its tag (`org.opencontainers.image.ref.name`). */
  image?: string
}

/**
 * Pushes the images of an OCI archive, streaming every blob out of the tar. Without `reference`
 * each image goes where its own name says (`io.containerd.image.name`). With one, a single image
 * goes there (the image's own tag when the reference has none); several images need a reference
 * without a tag, and each keeps its own tag. An image whose own name is on the same registry is
 * a mount source, so pushing a built archive to another repository copies no bytes.
 */
export async function pushArchive(path: string, reference: string | undefined, options: PushArchiveOptions = {}): Promise<PushResult[]> {
  const plans = selectImages(await readArchivePlans(path), path, options.image)
  const targets = planTargets(plans, path, reference)
  const clients = new Map<string, RegistryClient>()
  const blobSources = new BlobSources()
  try {
    const results: PushResult[] = []
    for (const [i, plan] of plans.entries()) {
      const target = targets[i]!
      const client = clients.get(target.registry) ?? new RegistryClient(target.registry, target.apiHost, options)
      clients.set(target.registry, client)
      const mountFrom = [...ownRepository(plan, target), ...(options.mountFrom ?? [])]
      results.push(await pushImage(plan, formatTarget(target), { ...options, mountFrom, client, blobSources }))
    }
    return results
  } finally {
    for (const client of clients.values()) client.close()
  }
}

function selectImages(plans: ImagePlan[], path: string, wanted: string | undefined): ImagePlan[] {
  if (wanted === undefined) return plans
  const chosen = plans.filter((plan) => plan.reference === wanted || plan.refName === wanted)
  if (chosen.length === 0) throw usageError(`archive "${path}" has no image named "${wanted}": it holds ${describe(plans)}`)
  if (chosen.length > 1) throw usageError(`archive "${path}" has ${chosen.length} images matching "${wanted}": give the full name, one of ${describe(chosen)}`)
  return chosen
}

function planTargets(plans: ImagePlan[], path: string, reference: string | undefined): RegistryTarget[] {
  if (reference === undefined) {
    return plans.map((plan) => {
      const parsed = plan.reference ? parseReference(plan.reference, `image name "${plan.reference}" in archive "${path}"`) : undefined
      if (!parsed?.registry) {
        throw usageError(`image "${plan.reference || plan.manifest.descriptor.digest}" in archive "${path}" names no registry: give the reference to push to, e.g. \`wasm-oci push ${path} localhost:5000/demo/app:v1\``)
      }
      return resolveTarget(parsed)
    })
  }
  const target = resolveTarget(reference)
  if (plans.length === 1) return [target.tag || target.digest ? target : withTag(target, ownTag(plans[0]!))]
  if (target.tag || target.digest) {
    throw usageError(`archive "${path}" holds ${plans.length} images (${describe(plans)}) but "${reference}" names one tag: give a repository without a tag (each image keeps its own), or pick one with --image`)
  }
  const tags = plans.map(ownTag)
  const twice = tags.find((tag, i) => tags.indexOf(tag) !== i)
  if (twice) throw usageError(`archive "${path}" has several images tagged "${twice}": they cannot share ${reference}; push them one at a time with --image`)
  return tags.map((tag) => withTag(target, tag))
}

function ownTag(plan: ImagePlan): string {
  return plan.refName && /^[\w][\w.-]{0,127}$/.test(plan.refName) ? plan.refName : 'latest'
}

/** The image's own repository, when it is on the registry being pushed to: a mount source. */
function ownRepository(plan: ImagePlan, target: RegistryTarget): string[] {
  try {
    const own = resolveTarget(plan.reference)
    return own.registry === target.registry && own.repository !== target.repository ? [own.repository] : []
  } catch {
    return []
  }
}

function describe(plans: ImagePlan[]): string {
  return plans.map((plan) => `"${plan.reference || plan.manifest.descriptor.digest}"`).join(', ')
}
