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
      annotations: { 'org.opencontainers.image.source': 'https://example.com/acme/app' },
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
    })
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
    ['annotations', { annotations: { a: 1 as never } }, 'unplugin-wasm-oci: annotations option has "a": 1: keys must be non-empty and values strings'],
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
