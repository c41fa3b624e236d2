import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { verifyArchive } from '../../src/core/verify.ts'
import { skopeoInspect } from '../helpers/consumers.ts'
import { type Containerd, type Registry, startContainerd, startRegistry } from '../helpers/daemons.ts'
import { makeTempDir, requireTools } from '../helpers/tools.ts'
import { type TestArchive, buildArchive, ctrFetchDigest, registryRequests, uploads, wasmOci, wasmOciOk } from './support.ts'

/** Past the 16 MiB chunk threshold: uploaded with PATCH (one 64 MiB chunk holds it). */
const LARGE_LAYER = 20 << 20

describe.skipIf(!requireTools('docker-registry', 'skopeo', 'containerd', 'ctr'))('wasm-oci push and pull against an anonymous registry', () => {
  let registry: Registry
  let containerd: Containerd
  let archive: TestArchive
  let dir: string

  beforeAll(async () => {
    dir = await makeTempDir('registry-anon');
    [registry, containerd] = await Promise.all([startRegistry(), startContainerd()])
    archive = await buildArchive(dir, `${registry.host}/demo/hello:v1`, LARGE_LAYER)
  })

  it('pushes an archive to the name it carries; skopeo and ctr read back the same manifest digest', async () => {
    const { stdout } = await wasmOciOk(['push', archive.path, '--json', '--tag', 'latest'])
    const [image] = JSON.parse(stdout).images
    expect(image).toMatchObject({ reference: archive.reference, digest: archive.digest, tags: ['v1', 'latest'] })
    expect(image.blobs.map((blob: { action: string }) => blob.action)).toEqual(['uploaded', 'uploaded', 'uploaded'])
    expect(image.bytesUploaded).toBeGreaterThan(LARGE_LAYER)

    const requests = await registryRequests(registry)
    expect(requests.filter(r => r.method === 'PATCH').map(r => r.status)).toEqual([202])
    expect(requests.filter(r => r.method === 'PUT' && r.uri.includes('/manifests/')).map(r => r.uri)).toEqual(['/v2/demo/hello/manifests/v1', '/v2/demo/hello/manifests/latest'])

    for (const tag of ['v1', 'latest'])
      expect((await skopeoInspect(`docker://${registry.host}/demo/hello:${tag}`, ['--tls-verify=false'])).digest).toBe(archive.digest)
    expect(await ctrFetchDigest(containerd, archive.reference)).toBe(archive.digest)
  })

  it('a second push uploads no blob (every HEAD finds it)', async () => {
    const before = (await registryRequests(registry)).length
    const { stdout } = await wasmOciOk(['push', archive.path, '--json'])
    expect(JSON.parse(stdout).images[0]).toMatchObject({ digest: archive.digest, bytesUploaded: 0 })
    const requests = (await registryRequests(registry)).slice(before)
    expect(uploads(requests)).toEqual([])
    expect(requests.filter(r => r.method === 'HEAD').map(r => r.status)).toEqual([200, 200, 200])
  })

  it('a push into another repository of the same registry mounts every blob', async () => {
    const before = (await registryRequests(registry)).length
    const { stdout } = await wasmOciOk(['push', archive.path, `${registry.host}/other/hello:v2`])
    expect(stdout).toMatch(new RegExp(`^pushed ${registry.host}/other/hello:v2@${archive.digest}: 0 uploaded \\(0 B\\), 3 mounted, 0 already there\\n$`))
    const posted = uploads((await registryRequests(registry)).slice(before))
    expect(posted).toHaveLength(3)
    for (const request of posted) expect(request).toMatchObject({ method: 'POST', status: 201, uri: expect.stringMatching(/^\/v2\/other\/hello\/blobs\/uploads\/\?mount=sha256%3A[0-9a-f]{64}&from=demo%2Fhello$/) })
    expect((await skopeoInspect(`docker://${registry.host}/other/hello:v2`, ['--tls-verify=false'])).digest).toBe(archive.digest)
  })

  it('--from mounts from a repository the archive does not name', async () => {
    const renamed = await buildArchive(await makeTempDir('registry-renamed'), 'example.com/elsewhere/hello:v1')
    // Same module bytes, so the same wasm layer: only the config and manifest differ.
    const { stdout } = await wasmOciOk(['push', renamed.path, `${registry.host}/third/hello:v1`, '--from', 'demo/hello', '--json'])
    const actions = JSON.parse(stdout).images[0].blobs.map((blob: { action: string }) => blob.action)
    expect(actions).toEqual(['uploaded', 'mounted'])
  })

  it('pulls into an archive that verifies, runs, and matches what was pushed', async () => {
    const output = join(dir, 'pulled.tar')
    const { stdout } = await wasmOciOk(['pull', `${registry.host}/other/hello:v2`, '-o', output, '--json'])
    expect(JSON.parse(stdout)).toMatchObject({ reference: `${registry.host}/other/hello:v2`, digest: archive.digest, archive: output })
    const verification = await verifyArchive(output)
    expect(verification.problems).toEqual([])
    expect(verification.images).toMatchObject([{ reference: `${registry.host}/other/hello:v2`, refName: 'v2', platform: { architecture: 'wasm', os: 'wasip1' }, manifest: { digest: archive.digest } }])
    expect((await wasmOciOk(['run', output])).stdout).toBe('hello\n')
    // The pulled archive pushes back unchanged: the same digest under its own name.
    expect(JSON.parse((await wasmOciOk(['push', output, '--json'])).stdout).images[0]).toMatchObject({ digest: archive.digest, bytesUploaded: 0 })
  })

  it('usage errors exit 2 and name the fix; registry errors exit 1 with the registry\'s own text', async () => {
    const noArchive = await wasmOci(['push'])
    expect(noArchive).toMatchObject({ code: 2, stderr: expect.stringContaining('give the archive to push') })
    const badRef = await wasmOci(['push', archive.path, `${registry.host}/Bad Name`])
    expect(badRef).toMatchObject({ code: 2, stderr: expect.stringContaining('not a valid') })
    const noImage = await wasmOci(['push', archive.path, '--image', 'nope'])
    expect(noImage).toMatchObject({ code: 2, stderr: expect.stringContaining(`has no image named "nope": it holds "${archive.reference}"`) })
    const missing = await wasmOci(['pull', `${registry.host}/demo/hello:nope`, '-o', join(dir, 'never.tar')])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`pull of ${registry.host}/demo/hello:nope failed: the registry answered HTTP 404: MANIFEST_UNKNOWN: manifest unknown`)
    const refused = await wasmOci(['push', archive.path, '127.0.0.1:1/demo/hello:v1'])
    expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining('is the registry 127.0.0.1:1 running') })
  })

  it('prints help for push and pull', async () => {
    expect((await wasmOciOk(['push', '--help'])).stdout).toMatch(/^Usage: wasm-oci push ARCHIVE \[REF\]/)
    expect((await wasmOciOk(['pull', '--help'])).stdout).toMatch(/^Usage: wasm-oci pull REF/)
    expect((await wasmOciOk(['--help'])).stdout).toMatch(/push\s+push the images of an archive to a registry\n\s+pull\s+pull an image/)
  })
})
