import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME } from './constants.ts'
import { errnoCode, usageError } from './errors.ts'
import { formatCreated } from './formats/created.ts'

/** The pre-defined annotation keys of the OCI image spec (annotations.md) that `readStandardAnnotations` fills. */
export const ANNOTATION_CREATED = 'org.opencontainers.image.created'
export const ANNOTATION_DESCRIPTION = 'org.opencontainers.image.description'
export const ANNOTATION_LICENSES = 'org.opencontainers.image.licenses'
export const ANNOTATION_REVISION = 'org.opencontainers.image.revision'
export const ANNOTATION_SOURCE = 'org.opencontainers.image.source'
export const ANNOTATION_URL = 'org.opencontainers.image.url'
export const ANNOTATION_VERSION = 'org.opencontainers.image.version'

/** Where `org.opencontainers.image.created` comes from; never the clock. */
export type CreatedSource = 'source-date-epoch' | 'commit' | false

export interface StandardAnnotationInput {
  /** The directory to start from: the nearest package.json at or above it, and its git checkout. */
  cwd: string
  /** `source-date-epoch`: `sourceDateEpoch` when given; `commit`: the HEAD commit's committer time. */
  created: CreatedSource
  /** The resolved SOURCE_DATE_EPOCH, or undefined when none was set (then no `created`). */
  sourceDateEpoch: number | undefined
}

/**
 * A reverse-DNS key (the OCI spec's "com.example.myKey"): two or more dot-separated components of
 * letters, digits, '-' and '_', each starting and ending with a letter or digit.
 */
const ANNOTATION_KEY = /^[A-Za-z0-9](?:[\w-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[\w-]*[A-Za-z0-9])?)+$/
/** Set from the image reference by every format: an explicit value would contradict it. */
const NAMING_KEYS = new Set([ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME])

/** Throws a usage error naming the key and the rule unless `key` is a reverse-DNS name other than the naming keys. */
export function validateAnnotationKey(key: string, what = 'annotation key'): string {
  if (!ANNOTATION_KEY.test(key)) {
    throw usageError(`${what} ${JSON.stringify(key)} is not a reverse-DNS name: use dot-separated components of letters, digits, '-' and '_', such as "com.example.team" or "org.opencontainers.image.vendor"`)
  }
  if (NAMING_KEYS.has(key)) throw usageError(`${what} "${key}" is set from the image reference: give the repo, name and tag options instead`)
  return key
}

const execFileAsync = promisify(execFile)

/**
 * The standard annotations a project states about itself, keys sorted: `source` (package.json
 * `repository` as a browsable URL), `revision` (git HEAD), `version`, `licenses`, `description`,
 * `url` (`homepage`) and `created` as asked. Whatever is missing is left out. The image title
 * differs per image, so the caller adds it.
 */
export async function readStandardAnnotations(input: StandardAnnotationInput): Promise<Record<string, string>> {
  const pkg = await readNearestPackage(input.cwd)
  const git = await readGitHead(input.cwd, input.created === 'commit')
  const found: Record<string, string | undefined> = {
    [ANNOTATION_CREATED]: input.created === 'commit' ? git?.created : input.created === 'source-date-epoch' && input.sourceDateEpoch !== undefined ? formatCreated(input.sourceDateEpoch) : undefined,
    [ANNOTATION_DESCRIPTION]: stringField(pkg?.description),
    [ANNOTATION_LICENSES]: readLicense(pkg),
    [ANNOTATION_REVISION]: git?.revision,
    [ANNOTATION_SOURCE]: pkg ? normalizeRepositoryUrl(pkg.repository) : undefined,
    [ANNOTATION_URL]: stringField(pkg?.homepage),
    [ANNOTATION_VERSION]: stringField(pkg?.version),
  }
  if (input.created === 'commit' && git === undefined) {
    throw usageError(`created: 'commit' needs the git commit time, but ${input.cwd} is not in a git checkout with a commit (or git is not installed): commit first, or use created: 'source-date-epoch' with SOURCE_DATE_EPOCH`)
  }
  return Object.fromEntries(Object.entries(found).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''))
}

type PackageJson = Record<string, unknown>

async function readNearestPackage(start: string): Promise<PackageJson | undefined> {
  for (let dir = start; ; dir = dirname(dir)) {
    const path = join(dir, 'package.json')
    const text = await readFile(path, 'utf8').catch((error: unknown) => {
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return undefined
      throw error
    })
    if (text !== undefined) {
      try {
        return JSON.parse(text) as PackageJson
      } catch (error) {
        throw usageError(`${path} is not valid JSON (${(error as Error).message}): fix it, or leave out the automatic annotations`)
      }
    }
    if (dirname(dir) === dir) return undefined
  }
}

/** HEAD's commit and committer time, or undefined outside a git checkout (or without git). */
async function readGitHead(cwd: string, withTime: boolean): Promise<{ revision: string; created?: string } | undefined> {
  try {
    const format = withTime ? '%H %ct' : '%H'
    const { stdout } = await execFileAsync('git', ['log', '-1', `--format=${format}`, 'HEAD'], { cwd, windowsHide: true })
    const [revision, seconds] = stdout.trim().split(' ')
    if (!revision || !/^[0-9a-f]{40,64}$/.test(revision)) return undefined
    return { revision, ...(seconds !== undefined && { created: formatCreated(Number(seconds)) }) }
  } catch {
    return undefined
  }
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' ? value.trim() : undefined
}

/** `license` (an SPDX expression), else the deprecated `licenses: [{ type }]` joined with OR. */
function readLicense(pkg: PackageJson | undefined): string | undefined {
  const license = pkg?.license
  if (typeof license === 'string') return license.trim()
  if (license && typeof license === 'object') return stringField((license as { type?: unknown }).type)
  if (Array.isArray(pkg?.licenses)) {
    const types = pkg.licenses.map((entry: unknown) => stringField((entry as { type?: unknown } | null)?.type)).filter((type) => type)
    return types.length > 0 ? types.join(' OR ') : undefined
  }
  return undefined
}

const HOSTED_SHORTCUTS: Record<string, string> = { github: 'github.com', gitlab: 'gitlab.com', bitbucket: 'bitbucket.org' }

/**
 * package.json `repository` (a string or `{ url, directory }`) as a URL a browser opens, as npm
 * shows it: `github:acme/app`, `acme/app`, `git+https://github.com/acme/app.git`,
 * `git@github.com:acme/app.git` and `git+ssh://git@github.com/acme/app.git` all give
 * `https://github.com/acme/app`. A `directory` on a known host adds `/tree/HEAD/<directory>`.
 */
export function normalizeRepositoryUrl(repository: unknown): string | undefined {
  const raw = typeof repository === 'string' ? repository : stringField((repository as { url?: unknown } | null)?.url)
  if (raw === undefined || raw.trim() === '') return undefined
  const url = toHttpsUrl(raw.trim())
  const directory = typeof repository === 'object' ? stringField((repository as { directory?: unknown } | null)?.directory) : undefined
  if (url === undefined || !directory) return url
  const host = new URL(url).host
  return Object.values(HOSTED_SHORTCUTS).includes(host) ? `${url}/tree/HEAD/${directory.replace(/^\.?\/+|\/+$/g, '')}` : url
}

function toHttpsUrl(raw: string): string | undefined {
  const shortcut = /^(github|gitlab|bitbucket):([\w.-]+\/[\w.-]+)$/.exec(raw)
  if (shortcut) return `https://${HOSTED_SHORTCUTS[shortcut[1]!]}/${stripGit(shortcut[2]!)}`
  if (/^gist:\w+$/.test(raw)) return `https://gist.github.com/${raw.slice('gist:'.length)}`
  // npm's "user/repo" shorthand means GitHub.
  if (/^[\w.-]+\/[\w.-]+$/.test(raw)) return `https://github.com/${stripGit(raw)}`
  // scp-like ssh: git@host:path
  const scp = /^[\w.-]+@([\w.-]+):(?!\/\/)(.+)$/.exec(raw)
  if (scp) return `https://${scp[1]}/${stripGit(scp[2]!)}`
  try {
    const url = new URL(raw.replace(/^git\+/, ''))
    if (!['https:', 'http:', 'git:', 'ssh:'].includes(url.protocol)) return undefined
    const protocol = url.protocol === 'http:' ? 'http:' : 'https:'
    return `${protocol}//${url.hostname}${url.protocol === 'https:' || url.protocol === 'http:' ? (url.port ? `:${url.port}` : '') : ''}${stripGit(url.pathname.replace(/\/+$/, ''))}`
  } catch {
    return undefined
  }
}

function stripGit(path: string): string {
  return path.replace(/\.git$/, '')
}
