import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseChallenge } from '../../src/registry/challenge.ts'
import { resolveCredentials } from '../../src/registry/credentials.ts'
import { isLoopback, resolveTarget } from '../../src/registry/target.ts'
import { makeTempDir } from '../helpers/tools.ts'

const basicAuth = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64')

async function configDir(config: object): Promise<string> {
  const dir = await makeTempDir('creds')
  await writeFile(join(dir, 'config.json'), JSON.stringify(config))
  return dir
}

/** A `docker-credential-NAME` that answers `answer` for `server` and "not found" otherwise; stdin is logged to its dir. */
async function helper(name: string, server: string, answer: object): Promise<string> {
  const bin = await makeTempDir('cred-bin')
  await writeFile(join(bin, `docker-credential-${name}`), `#!/bin/sh
read -r asked
if [ "$asked" = '${server}' ]; then printf '%s' '${JSON.stringify(answer)}'; exit 0; fi
echo "credentials not found in native keychain"; exit 1
`)
  await chmod(join(bin, `docker-credential-${name}`), 0o755)
  return bin
}

describe('parseChallenge', () => {
  it('reads Bearer with quoted parameters, Basic, and prefers Bearer when both are offered', () => {
    expect(parseChallenge('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull,push' },
    })
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } })
    expect(parseChallenge('Basic realm="x", Bearer realm="https://t",error="insufficient_scope"')).toEqual({ scheme: 'bearer', params: { realm: 'https://t', error: 'insufficient_scope' } })
    expect(parseChallenge('bearer realm=https://t, service = "a \\"quoted\\" name"')).toEqual({ scheme: 'bearer', params: { realm: 'https://t', service: 'a "quoted" name' } })
    expect(parseChallenge('Negotiate abc')).toBeUndefined()
    expect(parseChallenge(undefined)).toBeUndefined()
  })
})

describe('resolveTarget', () => {
  it('folds Docker Hub\'s names, adds library/, and keeps other registries as written', () => {
    expect(resolveTarget('hello')).toEqual({ registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/hello' })
    expect(resolveTarget('index.docker.io/acme/app:v1')).toEqual({ registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'acme/app', tag: 'v1' })
    expect(resolveTarget('localhost:5000/demo/app@sha256:' + 'a'.repeat(64))).toEqual({ registry: 'localhost:5000', apiHost: 'localhost:5000', repository: 'demo/app', digest: `sha256:${'a'.repeat(64)}` })
    expect(() => resolveTarget('ghcr.io/Acme/app')).toThrow(/not a valid repository name/)
  })

  it('knows which hosts may talk plain HTTP', () => {
    for (const host of ['localhost', 'localhost:5000', '127.0.0.1:41234', '127.1.2.3', '[::1]:5000']) expect(isLoopback(host)).toBe(true)
    for (const host of ['ghcr.io', '10.0.0.1:5000', 'localhost.example.com', '[::2]:5000']) expect(isLoopback(host)).toBe(false)
  })
})

describe('resolveCredentials', () => {
  it('takes explicit credentials first, then WASM_OCI_USERNAME/WASM_OCI_PASSWORD, then the docker config', async () => {
    const dockerConfig = await configDir({ auths: { 'r.example.com': { auth: basicAuth('config-user', 'config-pass') } } })
    const env = { WASM_OCI_USERNAME: 'env-user', WASM_OCI_PASSWORD: 'env-pass' }
    expect(await resolveCredentials('r.example.com', { credentials: { username: 'me', password: 'pw' }, env, dockerConfig })).toEqual({ username: 'me', password: 'pw', source: 'the given credentials' })
    expect(await resolveCredentials('r.example.com', { env, dockerConfig })).toEqual({ username: 'env-user', password: 'env-pass', source: 'WASM_OCI_USERNAME/WASM_OCI_PASSWORD' })
    // A user name given alone takes the password from the environment.
    expect(await resolveCredentials('r.example.com', { credentials: { username: 'me' }, env, dockerConfig })).toMatchObject({ username: 'me', password: 'env-pass' })
    expect(await resolveCredentials('r.example.com', { env: {}, dockerConfig })).toEqual({ username: 'config-user', password: 'config-pass', source: `${join(dockerConfig, 'config.json')} (auths)` })
    expect(await resolveCredentials('other.example.com', { env: {}, dockerConfig })).toBeUndefined()
  })

  it('reads DOCKER_CONFIG, matches auths keys written as URLs, and keeps identitytoken', async () => {
    const dir = await configDir({ auths: { 'https://r.example.com/v1/': { auth: basicAuth('u', ''), identitytoken: 'refresh-xyz' } } })
    expect(await resolveCredentials('r.example.com', { env: { DOCKER_CONFIG: dir } })).toMatchObject({ username: 'u', password: '', identityToken: 'refresh-xyz' })
    expect(await resolveCredentials('r.example.com', { env: { HOME: await makeTempDir('no-docker-home') } })).toBeUndefined()
  })

  it('finds Docker Hub under https://index.docker.io/v1/, and asks helpers with that server URL', async () => {
    const hub = await configDir({ auths: { 'https://index.docker.io/v1/': { auth: basicAuth('hubber', 'hubpass') } } })
    expect(await resolveCredentials('docker.io', { env: {}, dockerConfig: hub })).toMatchObject({ username: 'hubber', password: 'hubpass' })
    const bin = await helper('hub', 'https://index.docker.io/v1/', { ServerURL: 'https://index.docker.io/v1/', Username: 'hubber', Secret: 'from-helper' })
    const store = await configDir({ credsStore: 'hub' })
    expect(await resolveCredentials('docker.io', { env: { PATH: `${bin}:${process.env.PATH}` }, dockerConfig: store })).toEqual({ username: 'hubber', password: 'from-helper', source: 'docker-credential-hub' })
  })

  it('prefers credHelpers[host] to credsStore; <token> means an identity token; "not found" falls back to auths', async () => {
    const bin = await helper('special', 'r.example.com', { ServerURL: 'r.example.com', Username: '<token>', Secret: 'refresh-abc' })
    const env = { PATH: `${bin}:${process.env.PATH}` }
    const dockerConfig = await configDir({ credsStore: 'missing-store', credHelpers: { 'r.example.com': 'special' }, auths: { 'o.example.com': { auth: basicAuth('o', 'p') } } })
    expect(await resolveCredentials('r.example.com', { env, dockerConfig })).toEqual({ identityToken: 'refresh-abc', source: 'docker-credential-special' })
    const fallback = await configDir({ credHelpers: { 'o.example.com': 'special' }, auths: { 'o.example.com': { auth: basicAuth('o', 'p') } } })
    expect(await resolveCredentials('o.example.com', { env, dockerConfig: fallback })).toMatchObject({ username: 'o', password: 'p' })
    await expect(resolveCredentials('x.example.com', { env, dockerConfig })).rejects.toThrow('cannot run credential helper docker-credential-missing-store (ENOENT): install it, put it on PATH, or remove "missing-store" from the docker config')
  })

  it('a broken config names the file and not its contents', async () => {
    const dir = await makeTempDir('creds-bad')
    await writeFile(join(dir, 'config.json'), '{"auths": {"r": {"auth": "c2VjcmV0"}}')
    const error = await resolveCredentials('r', { env: {}, dockerConfig: dir }).catch((e: Error) => e)
    expect(String(error)).toBe(`WasmOciError: docker config "${join(dir, 'config.json')}" is not valid JSON: fix or remove it (\`docker login\` rewrites it)`)
  })
})
