import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST } from '../core/constants.ts'
import { formatDigest, sha256Hex } from '../core/digest.ts'
import { WasmOciError, usageError } from '../core/errors.ts'
import type { Blob, Descriptor, Platform } from '../core/plan.ts'
import type { RegistryClient } from './client.ts'
import { readBytes } from './http.ts'
import { verifying } from './streams.ts'
import { type RegistryTarget, formatTarget } from './target.ts'
import type { RegistryEvent } from './types.ts'

const MANIFEST_LIMIT = 4 << 20
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
const ACCEPT = [MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].join(', ')

type Json = Record<string, unknown>

export interface FetchedImage {
  manifest: Descriptor
  manifestBytes: Uint8Array
  config: Descriptor
  layers: Descriptor[]
  /** The platform the index listed this manifest under, when it came through one. */
  platform?: Platform
}

/** GETs the manifest (through an index, choosing by platform), checking its digest. */
export async function fetchManifest(client: RegistryClient, target: RegistryTarget, scopes: string[], platform?: string): Promise<FetchedImage> {
  const shown = formatTarget(target)
  const first = await getManifest(client, target, scopes, target.digest ?? target.tag!, target.digest)
  let chosen = first
  let chosenPlatform: Platform | undefined
  if (first.mediaType === MEDIA_TYPE_OCI_INDEX || first.mediaType === DOCKER_MANIFEST_LIST) {
    const entry = chooseFromIndex(first.json, shown, platform)
    chosenPlatform = entry.platform
    chosen = await getManifest(client, target, scopes, entry.digest, entry.digest)
  }
  if (chosen.mediaType !== MEDIA_TYPE_OCI_MANIFEST) {
    throw new WasmOciError(`${shown} is a ${chosen.mediaType} manifest; only OCI image manifests (${MEDIA_TYPE_OCI_MANIFEST}) are pulled into archives: convert it with \`skopeo copy --format oci\``)
  }
  const layers = Array.isArray(chosen.json.layers) ? (chosen.json.layers as unknown[]) : []
  return {
    manifest: { mediaType: chosen.mediaType, digest: chosen.digest, size: chosen.bytes.length },
    manifestBytes: chosen.bytes,
    config: descriptor(chosen.json.config, `${shown} config`),
    layers: layers.map((layer, i) => descriptor(layer, `${shown} layers[${i}]`)),
    ...(chosenPlatform && { platform: chosenPlatform }),
  }
}

/** Streams a blob to `path` through a digest and size check; a broken transfer starts over. */
export async function downloadBlob(client: RegistryClient, target: RegistryTarget, scopes: string[], expected: Descriptor, path: string, onEvent?: (event: RegistryEvent) => void): Promise<Blob> {
  const { digest, size } = expected
  const progress = onEvent && ((done: number) => onEvent({ type: 'progress', action: 'download', digest, size, done }))
  await client.retry(`download of blob ${digest}`, async () => {
    const response = await client.expect({ method: 'GET', url: `/v2/${target.repository}/blobs/${digest}`, scopes }, [200])
    await pipeline(response.body, verifying(expected, `blob ${digest} from ${formatTarget(target)}`, progress), createWriteStream(path))
  })
  onEvent?.({ type: 'blob', action: 'downloaded', digest, size })
  return { descriptor: expected, content: { kind: 'file', path } }
}

async function getManifest(client: RegistryClient, target: RegistryTarget, scopes: string[], ref: string, expectedDigest: string | undefined) {
  const shown = formatTarget(target)
  return client.retry(`manifest GET of ${shown}`, async () => {
    const response = await client.expect({ method: 'GET', url: `/v2/${target.repository}/manifests/${ref}`, scopes, headers: { accept: ACCEPT } }, [200])
    const bytes = await readBytes(response, MANIFEST_LIMIT)
    const digest = formatDigest(sha256Hex(bytes))
    const claimed = response.headers['docker-content-digest']
    if ((expectedDigest && digest !== expectedDigest) || (typeof claimed === 'string' && claimed !== digest)) {
      throw new WasmOciError(`the manifest of ${shown} hashes to ${digest}, not ${expectedDigest ?? claimed}: the registry sent other bytes than it claims; try again or check the registry`)
    }
    let json: Json
    try {
      json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Json
    } catch {
      throw new WasmOciError(`the manifest of ${shown} is not JSON: check the reference`)
    }
    const mediaType = typeof json.mediaType === 'string' ? json.mediaType : (response.headers['content-type'] ?? '').split(';')[0]!.trim()
    return { bytes, digest, json, mediaType }
  })
}

function chooseFromIndex(index: Json, shown: string, wanted: string | undefined): { digest: string; platform?: Platform } {
  const entries = (Array.isArray(index.manifests) ? (index.manifests as Json[]) : []).map((entry) => ({
    digest: descriptor(entry, `${shown} index entry`).digest,
    platform: entry.platform as Platform | undefined,
  }))
  const name = (platform?: Platform): string => (platform ? `${platform.os}/${platform.architecture}` : '(no platform)')
  const matches = wanted === undefined ? entries : entries.filter((entry) => name(entry.platform) === wanted)
  if (matches.length === 1) return matches[0]!
  const listed = entries.map((entry) => name(entry.platform)).join(', ') || 'nothing'
  if (wanted === undefined) throw usageError(`${shown} is an index of ${entries.length} images (${listed}): choose one with --platform OS/ARCH`)
  throw usageError(`${shown} has ${matches.length === 0 ? 'no' : 'several'} images for platform ${wanted}: it lists ${listed}`)
}

function descriptor(value: unknown, where: string): Descriptor {
  const { mediaType, digest, size } = (value ?? {}) as Json
  if (typeof mediaType !== 'string' || typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest) || typeof size !== 'number' || size < 0) {
    throw new WasmOciError(`${where} is not a valid descriptor (mediaType, sha256 digest, size): the image is malformed`)
  }
  return { mediaType, digest, size }
}
