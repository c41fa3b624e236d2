import { formatDigest, sha256Hex } from '../core/digest.ts'
import { WasmOciError, usageError } from '../core/errors.ts'
import type { Blob, ImagePlan } from '../core/plan.ts'
import type { ImageReference } from '../core/reference.ts'
import { validateTag } from '../core/reference.ts'
import { openContent } from '../core/tar.ts'
import { DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_THRESHOLD, ensureBlob } from './blob-upload.ts'
import { RegistryClient } from './client.ts'
import { wrapFailure } from './errors.ts'
import { discard } from './http.ts'
import { formatTarget, parseRepository, resolveTarget } from './target.ts'
import type { PushOptions, PushResult, PushedBlob } from './types.ts'

const DEFAULT_CONCURRENCY = 3
/** Manifests are small JSON; the distribution registry refuses more than 4 MiB. */
const MANIFEST_LIMIT = 4 << 20

/** What a push needs from an image plan: the plugin passes the plan it just wrote to the archive. */
export type PushablePlan = Pick<ImagePlan, 'manifest' | 'config' | 'layers'>

export interface PushImageOptions extends PushOptions {
  /** A client to reuse (its connections and tokens) across pushes to one registry; closed by its owner. */
  client?: RegistryClient
  /** Where blobs were seen before: shared across pushes, it turns uploads into mounts. */
  blobSources?: BlobSources
}

/** Which repositories of a registry are known to hold a blob, learned from earlier pushes. */
export class BlobSources {
  private readonly repositories = new Map<string, string[]>()

  get(registry: string, digest: string): string[] {
    return this.repositories.get(`${registry}/${digest}`) ?? []
  }

  add(registry: string, digest: string, repository: string): void {
    const key = `${registry}/${digest}`
    const known = this.repositories.get(key) ?? []
    if (!known.includes(repository)) this.repositories.set(key, [repository, ...known])
  }
}

/**
 * Pushes one image to `reference` (`[registry/]repository[:tag]`, Docker Hub when no registry
 * is named; the tag defaults to `latest`): its config and layers unless the registry has them,
 * then the manifest under the tag and every extra tag, checking the digest the registry reports.
 */
export async function pushImage(plan: PushablePlan, reference: string | ImageReference, options: PushImageOptions = {}): Promise<PushResult> {
  const target = resolveTarget(reference, 'image reference', 'latest')
  const shown = formatTarget(target)
  const tags = [...(target.tag ? [target.tag] : []), ...(options.tags ?? []).map((tag) => validateTag(tag, 'extra tag'))]
  const mountFrom = (options.mountFrom ?? []).map((repo) => parseRepository(repo, 'mount source'))
  const manifestBytes = await readManifest(plan.manifest, shown)
  if (target.digest !== undefined && target.digest !== plan.manifest.descriptor.digest) {
    throw usageError(`reference "${shown}" names digest ${target.digest}, but the image's manifest is ${plan.manifest.descriptor.digest}: drop the digest or push the matching image`)
  }

  const client = options.client ?? new RegistryClient(target.registry, target.apiHost, options)
  try {
    const blobs = uniqueByDigest([plan.config, ...plan.layers])
    const sources = options.blobSources
    const candidates = blobs.map((blob) => [...new Set([...(sources?.get(target.registry, blob.descriptor.digest) ?? []), ...mountFrom])].filter((repo) => repo !== target.repository))
    // A token must allow pulling from a repository to mount from it.
    const pullScopes = [...new Set(candidates.flat())].map((repo) => `repository:${repo}:pull`)
    const scopes = [`repository:${target.repository}:pull,push`, ...pullScopes]
    const context = {
      client,
      repository: target.repository,
      scopes,
      chunkThreshold: options.chunkThreshold ?? DEFAULT_CHUNK_THRESHOLD,
      chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE,
      ...(options.onEvent && { onEvent: options.onEvent }),
    }
    const actions = await mapLimit(blobs.map((blob, i) => ({ blob, from: candidates[i]! })), options.concurrency ?? DEFAULT_CONCURRENCY, async ({ blob, from }) => {
      const action = await ensureBlob(blob, { ...context, mountFrom: from })
      sources?.add(target.registry, blob.descriptor.digest, target.repository)
      return action
    })
    const pushed: PushedBlob[] = blobs.map((blob, i) => ({ ...pick(blob), action: actions[i]! }))
    const { mediaType, digest, size } = plan.manifest.descriptor
    for (const ref of tags.length > 0 ? tags : [digest]) {
      await client.retry(`manifest PUT of ${shown}`, async () => {
        const headers = { 'content-type': mediaType }
        const response = await client.expect({ method: 'PUT', url: `/v2/${target.repository}/manifests/${ref}`, scopes, headers, body: manifestBytes }, [201])
        await discard(response)
        const confirmed = response.headers['docker-content-digest']
        if (confirmed !== undefined && confirmed !== digest) {
          throw new WasmOciError(`the registry stored the manifest of ${shown} as ${String(confirmed)}, not ${digest}: it rewrote the manifest; check the registry`)
        }
      })
      const name = `${target.registry}/${target.repository}`
      options.onEvent?.({ type: 'manifest', reference: ref === digest ? `${name}@${digest}` : `${name}:${ref}`, digest })
    }
    const bytesUploaded = pushed.filter((blob) => blob.action === 'uploaded').reduce((sum, blob) => sum + blob.size, 0)
    return { reference: shown, digest, mediaType, size, tags, blobs: pushed, bytesUploaded }
  } catch (error) {
    throw wrapFailure(error, 'push', shown)
  } finally {
    if (!options.client) client.close()
  }
}

async function readManifest(manifest: Blob, shown: string): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of openContent(manifest.content) as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MANIFEST_LIMIT) throw new WasmOciError(`the manifest for ${shown} is larger than ${MANIFEST_LIMIT} bytes: registries refuse that`)
    chunks.push(chunk)
  }
  const bytes = Buffer.concat(chunks)
  const digest = formatDigest(sha256Hex(bytes))
  if (digest !== manifest.descriptor.digest || bytes.length !== manifest.descriptor.size) {
    throw new WasmOciError(`the manifest for ${shown} hashes to ${digest} (${bytes.length} bytes), not its descriptor's ${manifest.descriptor.digest}: rebuild the image`)
  }
  return bytes
}

function pick(blob: Blob): Omit<PushedBlob, 'action'> {
  const { digest, size, mediaType } = blob.descriptor
  return { digest, size, mediaType }
}

function uniqueByDigest(blobs: Blob[]): Blob[] {
  const seen = new Set<string>()
  return blobs.filter((blob) => !seen.has(blob.descriptor.digest) && seen.add(blob.descriptor.digest))
}

/**
 * `Promise.all(items.map(fn))` with at most `limit` running. After the first failure no new item
 * starts, and the ones running are waited for, so nothing is still in flight when this rejects.
 */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++
      try {
        results[i] = await fn(items[i]!)
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  const failure = settled.find((outcome) => outcome.status === 'rejected')
  if (failure) throw failure.reason
  return results
}
