import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { normalizeRepositoryUrl, validateAnnotationKey } from '../../src/core/annotations.ts'
import { verifyArchive } from '../../src/core/verify.ts'
import type { Bundler, OciImage, Options } from '../../src/plugin/types.ts'
import { requireTools, runOk } from '../helpers/tools.ts'
import { createProject } from '../plugin/helpers.ts'
import { BUILDS, BUNDLERS, runBuiltScript } from '../plugin/oci-builds.ts'

const TIMEOUT = { timeout: 60_000 }
const COMMIT_TIME = '2024-01-02T03:04:05Z'
const PACKAGE = {
  name: 'adder',
  version: '1.2.3',
  description: 'Adds two numbers, in wasm',
  license: 'Apache-2.0',
  homepage: 'https://adder.example.com',
  repository: { type: 'git', url: 'git+ssh://git@github.com/acme/adder.git' },
}
/** The fixture's three ?oci imports: image name, format, tag, and the key they are on globalThis under. */
const IMAGES = [['add', 'runwasi', 'latest', 'add'], ['hello', 'artifact', 'v2', 'hello'], ['hello-compat', 'compat', 'v3', 'helloCompat']] as const

/** The oci fixture as a package in a git repository of its own, committed with fixed dates; returns HEAD. */
async function gitPackage(): Promise<{ root: string; revision: string }> {
  const root = await createProject('oci')
  await writeFile(join(root, 'package.json'), JSON.stringify(PACKAGE, null, 2))
  const env = { ...process.env, GIT_AUTHOR_DATE: COMMIT_TIME, GIT_COMMITTER_DATE: COMMIT_TIME, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }
  const git = (...args: string[]) => runOk('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: root, env })
  await git('init', '-q')
  await git('add', '-A')
  await git('commit', '-q', '-m', 'adder')
  return { root, revision: (await git('rev-parse', 'HEAD')).stdout.trim() }
}

/** Rollup has no root option: it is the working directory. */
async function buildIn(bundler: Bundler, root: string, options: Options): Promise<void> {
  if (bundler !== 'rollup') return BUILDS[bundler](root, options)
  const cwd = process.cwd()
  process.chdir(root)
  try {
    await BUILDS.rollup(root, options)
  } finally {
    process.chdir(cwd)
  }
}

/** Each image's manifest annotations, after checking the ?oci object names the archive's manifest. */
async function manifestAnnotations(root: string): Promise<Record<string, Record<string, string>>> {
  const images = (await runBuiltScript(root)) as Record<string, OciImage>
  const found: Record<string, Record<string, string>> = {}
  for (const [name, , , key] of IMAGES) {
    const { images: [archived], problems } = await verifyArchive(join(root, 'dist/oci', `${name}.tar`))
    expect(problems).toEqual([])
    expect(archived!.manifest.digest).toBe(images[key]!.digest)
    found[name] = archived!.manifestAnnotations
  }
  return found
}

describe.skipIf(!requireTools('git'))('standard annotations from package.json and git', () => {
  beforeEach(() => {
    vi.stubEnv('SOURCE_DATE_EPOCH', '')
  })
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  it.each(BUNDLERS)('%s: auto plus explicit ones, created from sourceDateEpoch, in every format', TIMEOUT, async (bundler) => {
    const { root, revision } = await gitPackage()
    await buildIn(bundler, root, { annotations: { auto: true, 'com.example.team': 'wasm' }, sourceDateEpoch: 1_700_000_000 })
    const found = await manifestAnnotations(root)
    for (const [name, format, tag] of IMAGES) {
      expect(found[name], name).toEqual({
        // runwasi names the image in its manifest too.
        ...(format === 'runwasi' && { 'io.containerd.image.name': `localhost/${name}:${tag}`, 'org.opencontainers.image.ref.name': tag }),
        'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
        'org.opencontainers.image.description': 'Adds two numbers, in wasm',
        'org.opencontainers.image.licenses': 'Apache-2.0',
        'org.opencontainers.image.revision': revision,
        'org.opencontainers.image.source': 'https://github.com/acme/adder',
        'org.opencontainers.image.title': name,
        'org.opencontainers.image.url': 'https://adder.example.com',
        'org.opencontainers.image.version': '1.2.3',
        'com.example.team': 'wasm',
      })
    }
  })

  it("created: 'commit' takes the commit time; without SOURCE_DATE_EPOCH 'auto' writes no created; never the clock", TIMEOUT, async () => {
    const { root } = await gitPackage()
    await BUILDS.esbuild(root, { annotations: { auto: { created: 'commit' } } })
    expect((await manifestAnnotations(root)).add!['org.opencontainers.image.created']).toBe(COMMIT_TIME)
    await BUILDS.esbuild(root, { annotations: 'auto' })
    const auto = await manifestAnnotations(root)
    expect(Object.keys(auto.add!)).not.toContain('org.opencontainers.image.created')
    expect(auto.add!['org.opencontainers.image.version']).toBe('1.2.3')
    vi.stubEnv('SOURCE_DATE_EPOCH', '86400')
    await BUILDS.esbuild(root, { annotations: 'auto' })
    expect((await manifestAnnotations(root)).add!['org.opencontainers.image.created']).toBe('1970-01-02T00:00:00Z')
  })

  it('leaves out what the project does not state, and fails created: commit outside a git checkout', TIMEOUT, async () => {
    const root = await createProject('oci')
    await writeFile(join(root, 'package.json'), JSON.stringify({ name: 'bare' }))
    await BUILDS.esbuild(root, { annotations: 'auto' })
    expect((await manifestAnnotations(root)).hello).toEqual({ 'org.opencontainers.image.title': 'hello' })
    await expect(BUILDS.esbuild(root, { annotations: { auto: { created: 'commit' } } })).rejects.toThrow(
      `created: 'commit' needs the git commit time, but ${root} is not in a git checkout with a commit (or git is not installed): commit first, or use created: 'source-date-epoch' with SOURCE_DATE_EPOCH`,
    )
  })

  it.each(BUNDLERS)('%s: an annotation key that is not reverse-DNS fails the build, naming the key and the rule', TIMEOUT, async (bundler) => {
    const root = await createProject('oci')
    await expect(BUILDS[bundler](root, { annotations: { 'Team Name': 'wasm' } as never })).rejects.toThrow(
      `unplugin-wasm-oci: annotations option key "Team Name" is not a reverse-DNS name: use dot-separated components of letters, digits, '-' and '_', such as "com.example.team" or "org.opencontainers.image.vendor"`,
    )
  })
})

describe('normalizeRepositoryUrl', () => {
  it.each<[unknown, string | undefined]>([
    ['github:acme/adder', 'https://github.com/acme/adder'],
    ['gitlab:acme/adder', 'https://gitlab.com/acme/adder'],
    ['bitbucket:acme/adder', 'https://bitbucket.org/acme/adder'],
    ['acme/adder', 'https://github.com/acme/adder'],
    ['gist:11081aaa281', 'https://gist.github.com/11081aaa281'],
    ['git+https://github.com/acme/adder.git', 'https://github.com/acme/adder'],
    ['https://git.example.com:8443/team/adder/', 'https://git.example.com:8443/team/adder'],
    ['git://github.com/acme/adder.git', 'https://github.com/acme/adder'],
    ['git@github.com:acme/adder.git', 'https://github.com/acme/adder'],
    ['git+ssh://git@github.com/acme/adder.git', 'https://github.com/acme/adder'],
    [{ type: 'git', url: 'https://github.com/acme/monorepo.git', directory: 'packages/adder' }, 'https://github.com/acme/monorepo/tree/HEAD/packages/adder'],
    [{ type: 'git', url: 'https://git.example.com/acme/monorepo.git', directory: 'packages/adder' }, 'https://git.example.com/acme/monorepo'],
    ['file:../adder', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %s', (repository, expected) => {
    expect(normalizeRepositoryUrl(repository)).toBe(expected)
  })
})

describe('validateAnnotationKey', () => {
  it.each(['org.opencontainers.image.vendor', 'com.example.myKey', 'io.k8s.some_key', 'dev.wasm-oci.x-1'])('accepts %s', (key) => {
    expect(validateAnnotationKey(key)).toBe(key)
  })
  it.each(['version', 'com.example.', '.com.example', 'com..example', 'com.example.my key', 'com/example.key', 'com.example.-x', ''])('rejects %j', (key) => {
    expect(() => validateAnnotationKey(key)).toThrow(`annotation key ${JSON.stringify(key)} is not a reverse-DNS name`)
  })
  it('rejects the keys set from the reference', () => {
    expect(() => validateAnnotationKey('org.opencontainers.image.ref.name')).toThrow('is set from the image reference')
  })
})
