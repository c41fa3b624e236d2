import { usageError } from './errors.ts'

/**
 * Image references by the distribution rules (github.com/distribution/reference):
 * `[registry[:port]/]path[/path…][:tag][@sha256:…]`, path components lowercase.
 */
export interface ImageReference {
  /** The registry host (with port) as written, or undefined when the reference names none. */
  registry?: string
  /** The repository path below the registry, e.g. `containerd/runwasi/wasi-demo`. */
  repository: string
  tag?: string
  digest?: string
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^sha256:[0-9a-f]{64}$/
const MAX_NAME_LENGTH = 255

const PATH_RULE = "use lowercase letters and digits, separated by '.', '_', '__' or '-', with '/' between components"

export function validateTag(tag: string, what = 'tag'): string {
  if (!TAG.test(tag)) {
    throw usageError(`${what} "${tag}" is not a valid tag: use at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`)
  }
  return tag
}

/** A repository name, optionally with a registry host in front: `localhost:5000/demo/app`. */
export function validateRepository(name: string, what = 'repository'): string {
  if (name.length === 0) throw usageError(`${what} is empty: give a name such as "example.com/demo"`)
  if (name.length > MAX_NAME_LENGTH) throw usageError(`${what} "${name}" is ${name.length} characters long: a repository name may have at most ${MAX_NAME_LENGTH}`)
  const { registry, path } = splitRegistry(name)
  if (registry !== undefined && !DOMAIN.test(registry)) {
    throw usageError(`${what} "${name}" has an invalid registry host "${registry}": use a host name or IP address, optionally with ":port"`)
  }
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      const shown = component === '' ? 'an empty component' : `"${component}"`
      throw usageError(`${what} "${name}" is not a valid repository name (${shown}): ${PATH_RULE}`)
    }
  }
  return name
}

/** Parses `[registry/]repository[:tag][@digest]`; a reference with neither tag nor digest gets `defaultTag` when given. */
export function parseReference(text: string, what = 'image reference', defaultTag?: string): ImageReference {
  let rest = text
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) throw usageError(`${what} "${text}" has an invalid digest "${digest}": use sha256: followed by 64 lowercase hex digits`)
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = validateTag(rest.slice(colon + 1), `${what} "${text}": tag`)
    rest = rest.slice(0, colon)
  }
  validateRepository(rest, what)
  const { registry, path } = splitRegistry(rest)
  return { registry, repository: path, tag: tag ?? (digest ? undefined : defaultTag), digest }
}

export function formatReference(reference: ImageReference): string {
  const name = reference.registry ? `${reference.registry}/${reference.repository}` : reference.repository
  return `${name}${reference.tag ? `:${reference.tag}` : ''}${reference.digest ? `@${reference.digest}` : ''}`
}

/** The first component is a registry when it looks like a host: has a '.' or ':', is `localhost`, or has uppercase. */
function splitRegistry(name: string): { registry?: string; path: string } {
  const slash = name.indexOf('/')
  if (slash === -1) return { path: name }
  const first = name.slice(0, slash)
  if (first === 'localhost' || /[.:A-Z]/.test(first)) return { registry: first, path: name.slice(slash + 1) }
  return { path: name }
}

/**
 * Turns a file's base name into a valid repository path component: `Hello_World.v2` →
 * `hello_world.v2`, `my module` → `my-module`. Returns undefined when nothing usable is left.
 */
export function toPathComponent(raw: string): string | undefined {
  const component = raw
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/([._-])[._-]+/g, (run, first: string) => (run === '__' ? run : first))
    .replace(/^[._-]+|[._-]+$/g, '')
  return PATH_COMPONENT.test(component) ? component : undefined
}
