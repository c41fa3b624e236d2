import { describe, expect, it } from 'vitest'
import { createFilter, globToRegExp } from '../../src/plugin/filter.ts'
import { defaultImageName } from '../../src/plugin/naming.ts'
import { resolveOptions } from '../../src/plugin/options.ts'
import type { Options } from '../../src/plugin/types.ts'

describe('resolveOptions', () => {
  it('applies every default', () => {
    expect(resolveOptions()).toEqual({
      format: 'runwasi',
      repo: 'localhost',
      tag: 'latest',
      name: undefined,
      outDir: 'oci',
      include: ['**/*.wasm'],
      exclude: [],
      onNoWasm: 'warn',
      sourceDateEpoch: undefined,
      annotations: {},
      autoAnnotations: undefined,
      report: undefined,
      push: undefined,
    })
  })

  it('keeps every given value', () => {
    const name = () => 'app'
    expect(resolveOptions({
      format: 'compat',
      repo: 'ghcr.io/acme/',
      tag: 'v1.2.3',
      name,
      outDir: '../images',
      include: /\/workers\//,
      exclude: ['**/test-*.wasm', /debug/],
      onNoWasm: 'error',
      sourceDateEpoch: '1700000000',
      annotations: { 'org.opencontainers.image.source': 'https://example.com/acme/app', auto: { created: 'commit' } },
      report: 'reports/oci.json',
      push: { reference: 'ghcr.io/acme/[name]:[tag]', tags: ['v1.2.3'], insecure: true, caFile: '/etc/ca.pem', dockerConfig: '/home/ci/.docker', credentials: { username: 'ci', password: 'secret' } },
    })).toEqual({
      format: 'compat',
      repo: 'ghcr.io/acme',
      tag: 'v1.2.3',
      name,
      outDir: '../images',
      include: [/\/workers\//],
      exclude: ['**/test-*.wasm', /debug/],
      onNoWasm: 'error',
      sourceDateEpoch: 1700000000,
      annotations: { 'org.opencontainers.image.source': 'https://example.com/acme/app' },
      autoAnnotations: { created: 'commit' },
      report: 'reports/oci.json',
      push: {
        reference: 'ghcr.io/acme/[name]:[tag]',
        tags: ['v1.2.3'],
        registry: { credentials: { username: 'ci', password: 'secret' }, insecure: true, caFile: '/etc/ca.pem', dockerConfig: '/home/ci/.docker' },
      },
    })
  })

  it("resolves the shorthands: annotations 'auto', report true next to the archives, push true or a template", () => {
    expect(resolveOptions({ annotations: 'auto', report: true, outDir: '../images', push: true })).toMatchObject({
      annotations: {},
      autoAnnotations: { created: 'source-date-epoch' },
      report: '../images/oci-report.json',
      push: { reference: undefined, tags: [], registry: {} },
    })
    expect(resolveOptions({ annotations: { auto: true, 'com.example.team': 'infra' }, push: '127.0.0.1:5000/apps/[name]' })).toMatchObject({
      annotations: { 'com.example.team': 'infra' },
      autoAnnotations: { created: 'source-date-epoch' },
      push: { reference: '127.0.0.1:5000/apps/[name]', tags: [], registry: {} },
    })
    expect(resolveOptions({ annotations: { auto: false, 'com.example.team': 'infra' } }).autoAnnotations).toBeUndefined()
  })

  it('takes a registry host alone, or no repository at all', () => {
    expect(resolveOptions({ repo: 'localhost:5000' }).repo).toBe('localhost:5000')
    expect(resolveOptions({ repo: '' }).repo).toBe('')
  })

  it.each<[string, Options, string]>([
    ['tag', { tag: 'Not a tag' }, `unplugin-wasm-oci: tag option "Not a tag" is not a valid tag: use at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`],
    ['repo', { repo: 'Acme Corp/apps' }, 'unplugin-wasm-oci: repo option "Acme Corp/apps" has an invalid registry host "Acme Corp"'],
    ['repo path', { repo: 'example.com/Apps' }, 'unplugin-wasm-oci: repo option "example.com/Apps" is not a valid repository name ("Apps")'],
    ['format', { format: 'oci' as never }, 'unplugin-wasm-oci: format option "oci" is not known: use one of runwasi, artifact, compat'],
    ['onNoWasm', { onNoWasm: 'fail' as never }, 'unplugin-wasm-oci: onNoWasm option "fail" is not known: use one of warn, error, ignore'],
    ['name', { name: 'app' as never }, 'unplugin-wasm-oci: name option must be a function such as (module) => module.defaultName'],
    ['outDir', { outDir: ' ' }, `unplugin-wasm-oci: outDir option " " is not a directory path`],
    ['include', { include: [''] }, 'unplugin-wasm-oci: include option has "": give glob strings such as "**/*.wasm" or regular expressions'],
    ['sourceDateEpoch', { sourceDateEpoch: 'yesterday' }, 'unplugin-wasm-oci: sourceDateEpoch option "yesterday" is not a whole, non-negative number of seconds'],
    ['annotation value', { annotations: { 'com.example.a': 1 as never } }, 'unplugin-wasm-oci: annotations option has "com.example.a": 1: annotation values must be strings'],
    ['annotation key', { annotations: { 'my key': 'x' } as never }, `unplugin-wasm-oci: annotations option key "my key" is not a reverse-DNS name: use dot-separated components of letters, digits, '-' and '_', such as "com.example.team" or "org.opencontainers.image.vendor"`],
    ['annotation key without a dot', { annotations: { version: '1' } as never }, 'unplugin-wasm-oci: annotations option key "version" is not a reverse-DNS name'],
    ['naming annotation', { annotations: { 'io.containerd.image.name': 'x' } }, 'unplugin-wasm-oci: annotations option key "io.containerd.image.name" is set from the image reference: give the repo, name and tag options instead'],
    ['annotations string', { annotations: 'all' as never }, `unplugin-wasm-oci: annotations option "all" is not known: use 'auto', or an object`],
    ['auto.created', { annotations: { auto: { created: 'now' as never } } }, `unplugin-wasm-oci: annotations option has auto.created "now": use 'source-date-epoch' (SOURCE_DATE_EPOCH, else none), 'commit' (the HEAD commit's time) or false; the clock is never used`],
    ['report', { report: 'oci/' }, 'unplugin-wasm-oci: report option "oci/" is not a file path: use true for <outDir>/oci-report.json, or a path such as "oci/report.json"'],
    ['push reference', { push: 'ghcr.io/Acme/[name]' }, `unplugin-wasm-oci: push option reference "ghcr.io/Acme/[name]", filled in as "ghcr.io/Acme/name" is not a valid repository name ("Acme"): use lowercase letters and digits`],
    ['push placeholder', { push: 'ghcr.io/acme/[hash]' }, 'unplugin-wasm-oci: push option reference "ghcr.io/acme/[hash]" has the unknown placeholder [hash]: use [name] and [tag]'],
    ['push tag', { push: { tags: ['-bad'] } }, 'unplugin-wasm-oci: push option tag "-bad" is not a valid tag'],
    ['push key', { push: { tag: 'v1' } as never }, 'unplugin-wasm-oci: push option has unknown key(s) tag: use reference, tags, credentials, insecure, caFile, dockerConfig'],
  ])('rejects a bad %s, naming the option and the fix', (_option, options, message) => {
    expect(() => resolveOptions(options)).toThrow(message)
  })
})

describe('include / exclude', () => {
  it('turns globs into anchored regular expressions', () => {
    expect(globToRegExp('**/*.wasm')).toEqual(/^(?:.*\/)?[^/]*\.wasm$/)
    expect(globToRegExp('./assets/?.wasm')).toEqual(/^assets\/[^/]\.wasm$/)
  })

  it('matches the emitted file or the source path; a pattern without / matches the base name', () => {
    const filter = createFilter(['**/*.wasm'], ['src/vendor/**', 'debug-*.wasm', /\.test\./])
    expect(filter(['assets/add-DkMAU0Nf.wasm', 'src/add.wasm'])).toBe(true)
    expect(filter(['assets/lib-DkMAU0Nf.wasm', 'src/vendor/lib.wasm'])).toBe(false)
    expect(filter(['assets/debug-DkMAU0Nf.wasm', undefined])).toBe(false)
    expect(filter(['assets/x.test.wasm'])).toBe(false)
    expect(createFilter(['worker*.wasm'], [])(['assets/nested/worker-1.wasm'])).toBe(true)
    expect(createFilter(['assets/*.wasm'], [])(['assets/nested/worker-1.wasm'])).toBe(false)
  })
})

describe('defaultImageName', () => {
  it.each([
    ['assets/add-DkMAU0Nf.wasm', '/app/src/add.wasm', 'add'],
    ['assets/add-DkMAU0Nf.wasm', 'add.wasm', 'add'],
    ['951d26a1b76cd2c5f91d.wasm', 'src/Hello World.wasm', 'hello-world'],
    ['3099ea339b0f440ebe97.module.wasm', undefined, '3099ea339b0f440ebe97'],
    ['assets/___.wasm', undefined, 'wasm'],
  ])('%s from %s → %s', (fileName, source, expected) => {
    expect(defaultImageName(fileName, source)).toBe(expected)
  })
})
