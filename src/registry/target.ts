import { usageError } from '../core/errors.ts'
import { type ImageReference, parseReference } from '../core/reference.ts'

/** How Docker Hub is written in references, and where its API and its credentials live. */
export const DOCKER_HUB = 'docker.io'
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])
const DOCKER_HUB_API = 'registry-1.docker.io'
/** The key `docker login` writes for Docker Hub in config.json and asks credential helpers for. */
export const DOCKER_HUB_CONFIG_KEY = 'https://index.docker.io/v1/'

export interface RegistryTarget {
  /** The registry as written, Docker Hub's aliases folded to `docker.io`: `ghcr.io`, `127.0.0.1:5000`. */
  registry: string
  /** `host[:port]` that serves the API (`registry-1.docker.io` for Docker Hub). */
  apiHost: string
  /** The repository path, with Docker Hub's `library/` for one-component names. */
  repository: string
  tag?: string
  digest?: string
}

/**
 * `[registry/]repository[:tag][@digest]`; a reference that names no registry means Docker Hub.
 * One with neither tag nor digest gets `defaultTag` when given.
 */
export function resolveTarget(reference: string | ImageReference, what = 'image reference', defaultTag?: string): RegistryTarget {
  const given = typeof reference === 'string' ? parseReference(reference, what) : reference
  const parsed = given.tag === undefined && given.digest === undefined && defaultTag !== undefined ? { ...given, tag: defaultTag } : given
  const registry = normalizeRegistry(parsed.registry ?? DOCKER_HUB)
  const hub = registry === DOCKER_HUB
  const repository = hub && !parsed.repository.includes('/') ? `library/${parsed.repository}` : parsed.repository
  return {
    registry,
    apiHost: hub ? DOCKER_HUB_API : registry,
    repository,
    ...(parsed.tag !== undefined && { tag: parsed.tag }),
    ...(parsed.digest !== undefined && { digest: parsed.digest }),
  }
}

export function normalizeRegistry(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase()) ? DOCKER_HUB : registry
}

/** `registry/repository[:tag][@digest]`, for messages and for the names written into archives. */
export function formatTarget(target: RegistryTarget): string {
  return `${target.registry}/${target.repository}${target.tag ? `:${target.tag}` : ''}${target.digest ? `@${target.digest}` : ''}`
}

/** The same target with another tag (and no digest). */
export function withTag(target: RegistryTarget, tag: string): RegistryTarget {
  const { digest: _digest, ...rest } = target
  return { ...rest, tag }
}

/** Hosts that may be spoken to over plain HTTP without `insecure`: nothing leaves the machine. */
export function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '')
  return name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name)
}

/** A repository given on its own (`--from demo/app`), checked like any reference's path. */
export function parseRepository(repository: string, what: string): string {
  const parsed = parseReference(repository, what)
  if (parsed.registry !== undefined || parsed.tag !== undefined || parsed.digest !== undefined) {
    throw usageError(`${what} "${repository}" must be a repository path on the same registry, such as "demo/app", without host, tag or digest`)
  }
  return parsed.repository
}
