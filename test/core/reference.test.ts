import { describe, expect, it } from 'vitest'
import { formatReference, parseReference, toPathComponent, validateRepository, validateTag } from '../../src/core/reference.ts'

describe('parseReference', () => {
  it.each([
    ['hello', { repository: 'hello', tag: 'latest' }],
    ['acme/hello:v1', { repository: 'acme/hello', tag: 'v1' }],
    ['ghcr.io/acme/hello:v1', { registry: 'ghcr.io', repository: 'acme/hello', tag: 'v1' }],
    ['localhost:5000/demo/hello:1.0', { registry: 'localhost:5000', repository: 'demo/hello', tag: '1.0' }],
    ['localhost/hello', { registry: 'localhost', repository: 'hello', tag: 'latest' }],
    ['127.0.0.1:5000/a/b', { registry: '127.0.0.1:5000', repository: 'a/b', tag: 'latest' }],
    ['[::1]:5000/a:t', { registry: '[::1]:5000', repository: 'a', tag: 't' }],
    [`a/b@sha256:${'0'.repeat(64)}`, { repository: 'a/b', digest: `sha256:${'0'.repeat(64)}` }],
    ['a__b/c--d.e_f:x', { repository: 'a__b/c--d.e_f', tag: 'x' }],
  ])('%s', (text, expected) => {
    expect(parseReference(text, 'ref', 'latest')).toEqual({ registry: undefined, tag: undefined, digest: undefined, ...expected })
  })

  it('round-trips through formatReference', () => {
    for (const text of ['ghcr.io/acme/hello:v1', 'localhost:5000/x:y', `a@sha256:${'f'.repeat(64)}`]) {
      expect(formatReference(parseReference(text))).toBe(text)
    }
  })

  it.each([
    ['My App:v1', /"My App".*not a valid repository name.*lowercase/],
    ['acme/Hello', /"acme\/Hello" is not a valid repository name \("Hello"\)/],
    ['bad_host:x:5000/hello', /invalid registry host "bad_host:x:5000"/],
    ['acme/../hello', /not a valid repository name.*"\.\."/],
    ['acme//hello', /an empty component/],
    ['acme/hello:', /not a valid tag/],
    ['acme/hello:-x', /not a valid tag/],
    ['a@sha256:abc', /invalid digest/],
    ['', /is empty/],
  ])('rejects %j with a message saying what is allowed', (text, message) => {
    expect(() => parseReference(text)).toThrow(message)
  })
})

describe('validateTag / validateRepository', () => {
  it('takes tags up to 128 characters and no more', () => {
    expect(validateTag('v'.repeat(128))).toBe('v'.repeat(128))
    expect(() => validateTag('v'.repeat(129))).toThrow(/at most 128/)
    expect(() => validateTag('has space')).toThrow(/"has space" is not a valid tag/)
  })

  it('limits a repository name to 255 characters', () => {
    expect(() => validateRepository(`a/${'b'.repeat(254)}`)).toThrow(/at most 255/)
  })
})

describe('toPathComponent', () => {
  it.each([
    ['add', 'add'],
    ['Hello_World.v2', 'hello_world.v2'],
    ['my module', 'my-module'],
    ['--weird..name__', 'weird.name'],
    ['a__b', 'a__b'],
    ['a_-b', 'a_b'],
    ['日本', undefined],
  ])('%j → %j', (raw, expected) => {
    expect(toPathComponent(raw)).toBe(expected)
  })
})
