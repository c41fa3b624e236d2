import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { verifyArchive } from '../../src/core/verify.ts'
import { skopeoInspect } from '../helpers/consumers.ts'
import { type Containerd, type Registry, startContainerd, startRegistry } from '../helpers/daemons.ts'
import { httpRequest, makeTempDir, requireTools } from '../helpers/tools.ts'
import { HTPASSWD, ctrFetchDigest, PASSWORD, type TestArchive, USER, buildArchive, makeTlsCertificates, registryRequests, wasmOci, wasmOciOk } from './support.ts'

const ENV_CREDS = { WASM_OCI_USERNAME: USER, WASM_OCI_PASSWORD: PASSWORD }
const WRONG = 'not-the-password-7431'

/** A DOCKER_CONFIG directory holding `config`. */
async function dockerConfig(config: object): Promise<string> {
  const dir = await makeTempDir('docker-config')
  await writeFile(join(dir, 'config.json'), JSON.stringify(config))
  return dir
}

/** `docker-credential-test` in a fresh directory: knows `host` only, and logs each server URL it is asked for. */
async function credentialHelper(host: string): Promise<{ bin: string, log: string }> {
  const bin = await makeTempDir('cred-helper')
  const log = join(bin, 'asked.log')
  const script = `#!/bin/sh
[ "$1" = get ] || exit 1
read -r server
echo "$server" >> '${log}'
if [ "$server" = '${host}' ]; then printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}\\n' "$server"; exit 0; fi
echo 'credentials not found in native keychain'; exit 1
`
  await writeFile(join(bin, 'docker-credential-test'), script)
  await chmod(join(bin, 'docker-credential-test'), 0o755)
  return { bin, log }
}

/** What a registry holds under a tag, asked with the right credentials: 200 or 404. */
async function manifestStatus(registry: Registry, path: string): Promise<number> {
  const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`
  const accept = 'application/vnd.oci.image.manifest.v1+json'
  return (await httpRequest(`${registry.url}/v2/${path}`, { method: 'HEAD', headers: { authorization, accept } })).status
}

describe.skipIf(!requireTools('docker-registry', 'skopeo', 'containerd', 'ctr', 'openssl'))('htpasswd auth over TLS, with a CA made here', () => {
  let registry: Registry
  let containerd: Containerd
  let archive: TestArchive
  let ca: string
  let dir: string

  beforeAll(async () => {
    dir = await makeTempDir('registry-tls')
    const tls = await makeTlsCertificates(dir)
    ca = tls.ca
    await writeFile(join(dir, 'htpasswd'), HTPASSWD);
    [registry, containerd] = await Promise.all([
      startRegistry({ auth: { htpasswd: { realm: 'wasm-oci-test', path: join(dir, 'htpasswd') } }, tls: { certificate: tls.certificate, key: tls.key } }),
      startContainerd(),
    ])
    archive = await buildArchive(dir, `${registry.host}/demo/hello:v1`)
  })

  it('refuses the unknown CA with a message that names the fix', async () => {
    const result = await wasmOci(['push', archive.path], ENV_CREDS)
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`the TLS certificate of ${registry.host} is not trusted \\(\\w+\\): pass --ca-file`))
  })

  it('wrong credentials: exit 1, a message naming the registry and where the credentials came from, no secret, no tag', async () => {
    const result = await wasmOci(['push', archive.path, '--ca-file', ca], { WASM_OCI_USERNAME: USER, WASM_OCI_PASSWORD: WRONG })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`wasm-oci: push of ${archive.reference} failed: ${registry.host} refused the credentials of user "${USER}" from WASM_OCI_USERNAME/WASM_OCI_PASSWORD: check them, or log in again with \`docker login ${registry.host}\`\n`)
    expect(result.stderr + result.stdout).not.toContain(WRONG)
    const anonymous = await wasmOci(['push', archive.path, '--ca-file', ca])
    expect(anonymous).toMatchObject({ code: 1, stderr: expect.stringContaining(`${registry.host} requires authentication and no credentials were found: set WASM_OCI_USERNAME and WASM_OCI_PASSWORD, or run \`docker login ${registry.host}\``) })
    expect((await registryRequests(registry)).filter(r => r.uri.includes('/manifests/'))).toEqual([])
    expect(await manifestStatus(registry, 'demo/hello/manifests/v1')).toBe(404)
  })

  it('credentials from the environment, CA from --ca-file; skopeo and ctr see the digest', async () => {
    const { stdout } = await wasmOciOk(['push', archive.path, '--ca-file', ca, '--json'], ENV_CREDS)
    expect(JSON.parse(stdout).images[0].digest).toBe(archive.digest)
    expect((await skopeoInspect(`docker://${archive.reference}`, ['--tls-verify=false', '--creds', `${USER}:${PASSWORD}`])).digest).toBe(archive.digest)
    expect(await ctrFetchDigest(containerd, archive.reference, { ca, user: `${USER}:${PASSWORD}` })).toBe(archive.digest)
  })

  it('credentials from DOCKER_CONFIG auths, CA from NODE_EXTRA_CA_CERTS', async () => {
    const config = await dockerConfig({ auths: { [`https://${registry.host}`]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } })
    const { stdout } = await wasmOciOk(['push', archive.path, `${registry.host}/auths/hello:v1`, '--json'], { DOCKER_CONFIG: config, NODE_EXTRA_CA_CERTS: ca })
    expect(JSON.parse(stdout).images[0].digest).toBe(archive.digest)
  })

  it('credentials from a credHelpers entry (docker-credential-test on PATH, the host on stdin); pull with them', async () => {
    const helper = await credentialHelper(registry.host)
    const config = await dockerConfig({ auths: { [registry.host]: {} }, credHelpers: { [registry.host]: 'test' } })
    const env = { DOCKER_CONFIG: config, PATH: `${helper.bin}:${process.env.PATH}` }
    await wasmOciOk(['push', archive.path, `${registry.host}/helper/hello:v1`, '--ca-file', ca], env)
    const output = join(dir, 'pulled.tar')
    await wasmOciOk(['pull', `${registry.host}/helper/hello:v1`, '-o', output, '--ca-file', ca], env)
    expect((await verifyArchive(output)).problems).toEqual([])
    expect((await readFile(helper.log, 'utf8')).split('\n').filter(Boolean)).toEqual([registry.host, registry.host])
  })

  it('credentials from credsStore, and --username with --password-stdin; --insecure skips the CA check', async () => {
    const helper = await credentialHelper(registry.host)
    const config = await dockerConfig({ credsStore: 'test' })
    await wasmOciOk(['push', archive.path, `${registry.host}/store/hello:v1`, '--ca-file', ca], { DOCKER_CONFIG: config, PATH: `${helper.bin}:${process.env.PATH}` })
    await wasmOciOk(['push', archive.path, `${registry.host}/stdin/hello:v1`, '--ca-file', ca, '--username', USER, '--password-stdin'], {}, `${PASSWORD}\n`)
    await wasmOciOk(['push', archive.path, `${registry.host}/insecure/hello:v1`, '--insecure'], ENV_CREDS)
    for (const repo of ['store', 'stdin', 'insecure']) expect(await manifestStatus(registry, `${repo}/hello/manifests/v1`)).toBe(200)
  })
})
