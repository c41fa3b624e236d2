import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, MEDIA_TYPE_OCI_CONFIG } from '../core/constants.ts'
import { type ArchiveSummary, writeArchive } from '../core/pack.ts'
import type { Blob, Descriptor, ImagePlan, Platform } from '../core/plan.ts'
import type { ImageReference } from '../core/reference.ts'
import { RegistryClient } from './client.ts'
import { wrapFailure } from './errors.ts'
import { downloadBlob, fetchManifest } from './pull-fetch.ts'
import { formatTarget, resolveTarget } from './target.ts'
import type { RegistryOptions } from './types.ts'

const CONFIG_LIMIT = 4 << 20

export interface PullOptions extends RegistryOptions {
  /** For a multi-platform index: `os/architecture`, e.g. `wasip1/wasm`. Needed when it lists several. */
  platform?: string
  /** Seconds for the archive's entry mtimes. @default SOURCE_DATE_EPOCH, else 0 */
  sourceDateEpoch?: number | string
}

export interface PullResult {
  /** The reference written into the archive (`io.containerd.image.name`). */
  reference: string
  /** The manifest digest. */
  digest: string
  archive: ArchiveSummary
}

/**
 * Pulls one image into an archive in this project's layout, so `verify`, `inspect` and `run`
 * work on it. Every blob is streamed to a temporary file and checked against its digest and size
 * on the way; the archive is written atomically only when all of them arrived intact.
 */
export async function pullImage(reference: string | ImageReference, output: string, options: PullOptions = {}): Promise<PullResult> {
  const target = resolveTarget(reference, 'image reference', 'latest')
  const shown = formatTarget(target)
  const client = new RegistryClient(target.registry, target.apiHost, options)
  const dir = await mkdtemp(join(tmpdir(), 'wasm-oci-pull-'))
  try {
    const scopes = [`repository:${target.repository}:pull`]
    const image = await fetchManifest(client, target, scopes, options.platform)
    const downloaded = new Map<string, Blob>()
    const download = async (descriptor: Descriptor): Promise<Blob> => {
      const known = downloaded.get(descriptor.digest)
      if (known) return { descriptor, content: known.content }
      const blob = await downloadBlob(client, target, scopes, descriptor, join(dir, `blob-${downloaded.size}`), options.onEvent)
      downloaded.set(descriptor.digest, blob)
      return blob
    }
    const config = await download(image.config)
    const layers: Blob[] = []
    for (const layer of image.layers) layers.push(await download(layer))
    const plan: ImagePlan = {
      reference: shown,
      refName: target.tag ?? '',
      indexAnnotations: { [ANNOTATION_CONTAINERD_NAME]: shown, ...(target.tag && { [ANNOTATION_REF_NAME]: target.tag }) },
      ...(await platformOf(image.platform, config)),
      manifest: { descriptor: image.manifest, content: { kind: 'bytes', bytes: image.manifestBytes } },
      config,
      layers,
    }
    const archive = await writeArchive([plan], { output, ...(options.sourceDateEpoch !== undefined && { sourceDateEpoch: options.sourceDateEpoch }) })
    return { reference: shown, digest: image.manifest.digest, archive }
  } catch (error) {
    throw wrapFailure(error, 'pull', shown)
  } finally {
    client.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * The index descriptor's platform: the one the registry's index gave, else the config's own for
 * an OCI image config (what the runwasi and compat formats write), else none (the artifact).
 */
async function platformOf(fromIndex: Platform | undefined, config: Blob): Promise<{ platform?: Platform }> {
  if (fromIndex) return { platform: fromIndex }
  if (config.descriptor.mediaType !== MEDIA_TYPE_OCI_CONFIG || config.content.kind !== 'file' || config.descriptor.size > CONFIG_LIMIT) return {}
  try {
    const json = JSON.parse(await readFile(config.content.path, 'utf8')) as Record<string, unknown>
    return typeof json.architecture === 'string' && typeof json.os === 'string' ? { platform: { architecture: json.architecture, os: json.os } } : {}
  } catch {
    return {}
  }
}
