import { createHash } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest'
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER_TAR,
  MEDIA_TYPE_OCI_MANIFEST,
  MEDIA_TYPE_WASM_COMPONENT_LAYER,
} from '../../src/core/constants.ts'
import {
  ctrImageCheck,
  ctrImageNames,
  ctrImport,
  extractTar,
  podmanLoad,
  registryBlobSize,
  registryManifestDigest,
  skopeoCopyToOciDir,
  skopeoInspect,
  skopeoPush,
  umociRawUnpack,
  umociStat,
} from './consumers.ts'
import { startContainerd, startRegistry } from './daemons.ts'
import { hasTool, httpRequest, makeTempDir, requireTools, run, runOk } from './tools.ts'

/** The smallest valid core module: magic and version, no sections. */
const WASM_BYTES = Buffer.from([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00])
/** htpasswd line for tester:s3cret (bcrypt cost 4, from Python's crypt.crypt with METHOD_BLOWFISH). */
const HTPASSWD = 'tester:$2b$04$z5Hhd2tN9BgTdepdBZR88e46XtiAwWdmc3n9MMkIiFKtqgJKQJHte\n'
const TOOLS = ['skopeo', 'docker-registry', 'containerd', 'ctr', 'umoci', 'podman', 'tar', 'openssl']

interface Blob { mediaType: string, digest: string, size: number }
interface TestArchive { path: string, name: string, ref: string, manifest: Blob, blobs: Blob[] }

function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/**
 * Writes an OCI layout by hand (FORMATS.md §1-2) and tars it with the system tar: an archive that
 * owes nothing to the project's packer, for proving the helpers alone.
 */
async function buildArchive(dir: string, image: { name: string, config: object, layers: Array<{ mediaType: string, bytes: Uint8Array }>, platform?: object }): Promise<TestArchive> {
  const layout = join(dir, 'layout')
  await mkdir(join(layout, 'blobs/sha256'), { recursive: true })
  const blobs: Blob[] = []
  const addBlob = async (mediaType: string, bytes: Uint8Array | string): Promise<Blob> => {
    const blob = { mediaType, digest: sha256(bytes), size: Buffer.byteLength(bytes) }
    await writeFile(join(layout, 'blobs/sha256', blob.digest.slice('sha256:'.length)), bytes)
    blobs.push(blob)
    return blob
  }
  const layers = await Promise.all(image.layers.map(layer => addBlob(layer.mediaType, layer.bytes)))
  const config = await addBlob(MEDIA_TYPE_OCI_CONFIG, JSON.stringify(image.config))
  const ref = image.name.slice(image.name.lastIndexOf(':') + 1)
  const annotations = { [ANNOTATION_CONTAINERD_NAME]: image.name, [ANNOTATION_REF_NAME]: ref }
  const manifest = await addBlob(MEDIA_TYPE_OCI_MANIFEST, JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_MANIFEST, config, layers }))
  const index = { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [{ ...manifest, annotations, ...(image.platform && { platform: image.platform }) }] }
  await writeFile(join(layout, 'index.json'), JSON.stringify(index))
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  const path = join(dir, 'image.tar')
  await runOk('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-cf', path, '-C', layout, 'oci-layout', 'index.json', 'blobs'])
  return { path, name: image.name, ref, manifest, blobs }
}

/** Format A: one raw wasm layer, `"diff_ids": []`, platform wasm/wasip1. */
async function buildWasmArchive(): Promise<TestArchive> {
  return buildArchive(await makeTempDir('harness-wasm'), {
    name: 'example.com/harness/hello:v1',
    config: { architecture: 'wasm', os: 'wasip1', config: { Entrypoint: ['hello.wasm'] }, rootfs: { type: 'layers', diff_ids: [] } },
    layers: [{ mediaType: MEDIA_TYPE_WASM_COMPONENT_LAYER, bytes: WASM_BYTES }],
    platform: { architecture: 'wasm', os: 'wasip1' },
  })
}

/** Format C: the module as /hello.wasm in an uncompressed tar layer, which everything unpacks. */
async function buildCompatArchive(): Promise<TestArchive> {
  const dir = await makeTempDir('harness-compat')
  await mkdir(join(dir, 'rootfs'))
  await writeFile(join(dir, 'rootfs/hello.wasm'), WASM_BYTES)
  await runOk('tar', ['--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-cf', join(dir, 'layer.tar'), '-C', join(dir, 'rootfs'), 'hello.wasm'])
  const layer = await readFile(join(dir, 'layer.tar'))
  return buildArchive(dir, {
    name: 'example.com/harness/compat:v1',
    config: { architecture: 'wasm', os: 'wasi', config: { Entrypoint: ['/hello.wasm'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } },
    layers: [{ mediaType: MEDIA_TYPE_OCI_LAYER_TAR, bytes: layer }],
  })
}

function isPortOpen(host: string): Promise<boolean> {
  const [hostname, port] = host.split(':') as [string, string]
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname)
    socket.once('connect', () => socket.end(() => resolve(true)))
    socket.once('error', () => resolve(false))
  })
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  }
  catch {
    return false
  }
}

describe('tools', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.restoreAllMocks()
  })

  test('run reports exit code and output without throwing; runOk throws with stderr', async () => {
    const result = await run('sh', ['-c', 'echo out; echo oops >&2; exit 3'])
    expect(result).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'oops\n', timedOut: false })
    await expect(runOk('sh', ['-c', 'echo oops >&2; exit 3'])).rejects.toThrow(/exited with 3: oops/)
    expect((await run('cat', [], { input: 'stdin' })).stdout).toBe('stdin')
  })

  test('run kills at the timeout; a missing command rejects naming it', async () => {
    expect(await run('sleep', ['10'], { timeout: 100 })).toMatchObject({ code: null, signal: 'SIGKILL', timedOut: true })
    await expect(run('no-such-tool-xyz', [])).rejects.toThrow(/cannot run no-such-tool-xyz/)
  })

  test('requireTools skips with a reason, and fails under CI=true', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    vi.stubEnv('CI', '')
    expect(requireTools('tar')).toBe(true)
    expect(requireTools('tar', 'no-such-tool-xyz')).toBe(false)
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/skipping: no-such-tool-xyz not on PATH; install with `apt-get install -y --no-install-recommends no-such-tool-xyz`/))
    vi.stubEnv('CI', 'true')
    expect(() => requireTools('no-such-tool-xyz')).toThrow(/no-such-tool-xyz not on PATH, and under CI=true a missing tool fails/)
    expect(hasTool('sh')).toBe(true)
  })
})

describe.skipIf(!requireTools(...TOOLS))('helpers against the real tools', () => {
  let wasm: TestArchive
  let compat: TestArchive
  beforeAll(async () => {
    [wasm, compat] = await Promise.all([buildWasmArchive(), buildCompatArchive()])
  })

  test('system tar reads the hand-made archive', async () => {
    const entries = await extractTar(wasm.path, await makeTempDir('harness-extract'))
    expect(entries).toEqual(['oci-layout', 'index.json', 'blobs/', 'blobs/sha256/', ...wasm.blobs.map(b => `blobs/sha256/${b.digest.slice(7)}`).sort()])
  })

  test('docker-registry starts on a free port, answers /v2/, and is gone after stop', async () => {
    const registry = await startRegistry()
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/)
    expect((await httpRequest(`${registry.url}/v2/`)).status).toBe(200)
    await registry.stop()
    expect(await isPortOpen(registry.host)).toBe(false)
    expect(isProcessAlive(registry.pid)).toBe(false)
  })

  test('skopeo copies to an oci: layout that umoci stats; skopeo inspect sees the same manifest', async () => {
    const copy = await skopeoCopyToOciDir(wasm.path)
    expect((await skopeoInspect(copy.transportRef)).digest).toBe(wasm.manifest.digest)
    expect((await skopeoInspect(`oci-archive:${wasm.path}`)).digest).toBe(wasm.manifest.digest)
    expect(await umociStat(copy.dir, copy.tag)).toEqual({ history: null })
    await expect(umociStat(copy.dir, 'no-such-tag')).rejects.toThrow(/umoci stat/)
  })

  test('skopeo pushes to the registry, which stores the manifest under index.json\'s digest', async () => {
    const registry = await startRegistry()
    const pushed = await skopeoPush(wasm.path, registry.host, 'harness/hello:v1', { preserveDigests: true })
    expect(pushed).toEqual({ reference: `${registry.host}/harness/hello:v1`, digest: wasm.manifest.digest, skopeoDigest: wasm.manifest.digest })
    expect(await registryManifestDigest(registry.host, 'harness/hello', 'v1')).toBe(wasm.manifest.digest)
    for (const blob of wasm.blobs.filter(b => b !== wasm.manifest))
      expect(await registryBlobSize(registry.host, 'harness/hello', blob.digest)).toBe(blob.size)
  })

  test('registry with htpasswd over TLS: anonymous is refused, credentials push', async () => {
    const dir = await makeTempDir('harness-tls')
    const [key, certificate, htpasswd] = ['key.pem', 'cert.pem', 'htpasswd'].map(name => join(dir, name)) as [string, string, string]
    await writeFile(htpasswd, HTPASSWD)
    await runOk('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', certificate])
    const registry = await startRegistry({ auth: { htpasswd: { realm: 'harness', path: htpasswd } }, tls: { certificate, key } })
    expect(registry.url).toBe(`https://${registry.host}`)
    expect((await httpRequest(`${registry.url}/v2/`)).status).toBe(401)
    const access = { tls: true, username: 'tester', password: 's3cret' }
    await expect(skopeoPush(wasm.path, registry.host, 'harness/hello:v1', { username: 'tester', password: 'wrong' })).rejects.toThrow(/skopeo/)
    expect((await skopeoPush(wasm.path, registry.host, 'harness/hello:v1', { ...access, preserveDigests: true })).digest).toBe(wasm.manifest.digest)
    await expect(registryManifestDigest(registry.host, 'harness/hello', 'v1', { tls: true })).rejects.toThrow(/answered 401/)
  })

  test('ctr imports the wasm image without unpacking, named from io.containerd.image.name, complete', async () => {
    const containerd = await startContainerd()
    expect(await ctrImageNames(containerd)).toEqual([])
    expect(await ctrImport(containerd, wasm.path)).toEqual([wasm.name])
    expect(await ctrImageCheck(containerd, wasm.name)).toBe(true)
    await containerd.stop()
    expect(isProcessAlive(containerd.pid)).toBe(false)
  })

  test('ctr unpacks, umoci raw-unpacks and podman loads the tar-layer image', async () => {
    const containerd = await startContainerd()
    expect(await ctrImport(containerd, compat.path, { unpack: true })).toEqual([compat.name])
    expect(await ctrImageCheck(containerd, compat.name)).toBe(true)

    const layout = await makeTempDir('harness-layout')
    await extractTar(compat.path, layout)
    const rootfs = join(await makeTempDir('harness-umoci'), 'rootfs')
    await umociRawUnpack(layout, compat.ref, rootfs)
    expect(await readFile(join(rootfs, 'hello.wasm'))).toEqual(WASM_BYTES)

    const loaded = await podmanLoad(compat.path)
    expect(loaded).toMatchObject({ digest: compat.manifest.digest, names: [compat.name] })
  })
})
