import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { verifyArchive } from '../../src/core/verify.ts'
import { skopeoInspect } from '../helpers/consumers.ts'
import { type Containerd, type Registry, startContainerd, startRegistry } from '../helpers/daemons.ts'
import { type TokenServer, makeTokenCertificates, startTokenServer } from '../helpers/token-server.ts'
import { makeTempDir, requireTools } from '../helpers/tools.ts'
import { PASSWORD, type TestArchive, USER, buildArchive, ctrFetchDigest, registryRequests, wasmOci, wasmOciOk } from './support.ts'

const REFRESH_TOKEN = 'refresh-7c1e'
const WRONG = 'not-the-password-7431'
const ENV_CREDS = { WASM_OCI_USERNAME: USER, WASM_OCI_PASSWORD: PASSWORD }

describe.skipIf(!requireTools('docker-registry', 'skopeo', 'containerd', 'ctr', 'openssl'))('token auth: a token server signing RS256 JWTs the registry trusts', () => {
  let tokens: TokenServer
  let registry: Registry
  let containerd: Containerd
  let archive: TestArchive
  let dir: string

  beforeAll(async () => {
    dir = await makeTempDir('registry-token')
    tokens = await startTokenServer(await makeTokenCertificates(dir), { users: { [USER]: PASSWORD }, refreshTokens: { [REFRESH_TOKEN]: USER } });
    [registry, containerd] = await Promise.all([startRegistry({ auth: { token: tokens.auth } }), startContainerd()])
    archive = await buildArchive(dir, `${registry.host}/demo/hello:v1`)
  })

  it('anonymous and wrong credentials fail clearly, with no secret and no tag', async () => {
    const anonymous = await wasmOci(['push', archive.path])
    expect(anonymous).toMatchObject({ code: 1, stderr: `wasm-oci: push of ${archive.reference} failed: ${registry.host} requires authentication and no credentials were found: set WASM_OCI_USERNAME and WASM_OCI_PASSWORD, or run \`docker login ${registry.host}\`\n` })
    const wrong = await wasmOci(['push', archive.path], { WASM_OCI_USERNAME: USER, WASM_OCI_PASSWORD: WRONG })
    expect(wrong).toMatchObject({ code: 1, stderr: expect.stringContaining(`${registry.host} refused the credentials of user "${USER}" from WASM_OCI_USERNAME/WASM_OCI_PASSWORD`) })
    expect(wrong.stderr).not.toContain(WRONG)
    expect(tokens.requests.map(r => r.grant)).toEqual(['anonymous', 'anonymous', 'basic'])
    expect((await registryRequests(registry)).filter(r => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([])
  })

  it('pushes with a password through the token flow; skopeo and ctr see the digest', async () => {
    const before = tokens.requests.length
    const { stdout } = await wasmOciOk(['push', archive.path, '--json'], ENV_CREDS)
    expect(JSON.parse(stdout).images[0].digest).toBe(archive.digest)
    // One token for the whole push, asked once with the push scope.
    expect(tokens.requests.slice(before)).toEqual([{ method: 'GET', grant: 'basic', account: USER, scopes: ['repository:demo/hello:pull,push'] }])
    expect((await skopeoInspect(`docker://${archive.reference}`, ['--tls-verify=false', '--creds', `${USER}:${PASSWORD}`])).digest).toBe(archive.digest)
    expect(await ctrFetchDigest(containerd, archive.reference, { user: `${USER}:${PASSWORD}` })).toBe(archive.digest)
  })

  it('an identitytoken from DOCKER_CONFIG is a refresh token; a push to another repository mounts with a pull scope on the source', async () => {
    const config = await makeTempDir('token-docker-config')
    await writeFile(join(config, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(`${USER}:`).toString('base64'), identitytoken: REFRESH_TOKEN } } }))
    const before = tokens.requests.length
    const { stdout } = await wasmOciOk(['push', archive.path, `${registry.host}/copy/hello:v1`, '--json'], { DOCKER_CONFIG: config })
    const [image] = JSON.parse(stdout).images
    expect(image.blobs.map((blob: { action: string }) => blob.action)).toEqual(['mounted', 'mounted'])
    expect(tokens.requests.slice(before)).toEqual([{ method: 'POST', grant: 'refresh_token', account: USER, scopes: ['repository:copy/hello:pull,push', 'repository:demo/hello:pull'] }])
  })

  it('pulls with a token into an archive that verifies and runs', async () => {
    const output = join(dir, 'pulled.tar')
    await wasmOciOk(['pull', `${registry.host}/copy/hello:v1`, '-o', output], ENV_CREDS)
    expect((await verifyArchive(output)).problems).toEqual([])
    expect((await wasmOciOk(['run', output])).stdout).toBe('hello\n')
  })
})
