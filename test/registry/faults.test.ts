import { beforeAll, describe, expect, it } from 'vitest'
import { pushArchive } from '../../src/registry/push-archive.ts'
import type { RegistryEvent } from '../../src/registry/types.ts'
import { skopeoInspect } from '../helpers/consumers.ts'
import { type Registry, startRegistry } from '../helpers/daemons.ts'
import { makeTempDir, requireTools } from '../helpers/tools.ts'
import { type FaultProxy, type TestArchive, buildArchive, registryRequests, startFaultProxy, wasmOciOk } from './support.ts'

const MiB = 1 << 20

describe.skipIf(!requireTools('docker-registry', 'skopeo'))('faults between client and registry, through a TCP proxy', () => {
  let registry: Registry
  let proxy: FaultProxy
  let large: TestArchive
  let medium: TestArchive

  beforeAll(async () => {
    const dir = await makeTempDir('registry-faults')
    registry = await startRegistry()
    proxy = await startFaultProxy(registry.host)
    large = await buildArchive(dir, 'example.com/faults/large:v1', 20 * MiB)
    medium = await buildArchive(dir, 'example.com/faults/medium:v1', 2 * MiB)
  })

  const inspect = async (repoTag: string): Promise<string> => (await skopeoInspect(`docker://${registry.host}/${repoTag}`, ['--tls-verify=false'])).digest

  it('a reset in the middle of a chunked upload: the blob\'s upload starts over and the push succeeds', async () => {
    proxy.resetUploadOnce(4 * MiB)
    const { stderr } = await wasmOciOk(['push', large.path, `${proxy.host}/faults/large:v1`])
    expect(proxy.fired).toEqual([expect.stringMatching(/^reset \d+ bytes into an upload$/)])
    expect(stderr).toMatch(/^wasm-oci: upload of blob sha256:[0-9a-f]{64}: .*ECONNRESET.*; retrying in \d\.\d s \(attempt 2 of 4\)\n$/)
    expect(await inspect('faults/large:v1')).toBe(large.digest)
    // The large blob's upload was opened twice (the broken session is abandoned); three blobs were completed.
    const requests = await registryRequests(registry)
    const uploadsOf = (method: string) => requests.filter(r => r.method === method && r.uri.includes('/blobs/uploads/'))
    expect(uploadsOf('POST')).toHaveLength(4)
    // The registry logs the cut-off PATCH with an error status of its own choosing, then the whole one.
    expect(uploadsOf('PATCH').map(r => r.status)).toEqual([expect.any(Number), 202])
    expect(uploadsOf('PUT').map(r => r.status)).toEqual([201, 201, 201])
  })

  it('a reset in the middle of a monolithic upload, and a 500 on the manifest PUT: both retried', async () => {
    proxy.fired.length = 0
    proxy.resetUploadOnce(MiB)
    proxy.fail(/^PUT \/v2\/faults\/medium\/manifests\/v1 /)
    const events: RegistryEvent[] = []
    const [result] = await pushArchive(medium.path, `${proxy.host}/faults/medium:v1`, { retryDelayMs: 10, onEvent: event => event.type === 'retry' && events.push(event) })
    expect(result!.digest).toBe(medium.digest)
    expect(proxy.fired).toEqual([expect.stringMatching(/^reset/), expect.stringMatching(/^500 for PUT \/v2\/faults\/medium\/manifests\/v1/)])
    expect(events).toEqual([
      expect.objectContaining({ what: expect.stringMatching(/^upload of blob sha256:/), attempt: 2 }),
      expect.objectContaining({ what: `manifest PUT of ${proxy.host}/faults/medium:v1`, attempt: 2, reason: 'HTTP 500: UNKNOWN: injected by the fault proxy' }),
    ])
    expect(await inspect('faults/medium:v1')).toBe(medium.digest)
  })

  it('retries are bounded: a registry that keeps failing gives its own error text, and no tag', async () => {
    proxy.fired.length = 0
    proxy.fail(/^POST \/v2\/faults\/broken\/blobs\/uploads\//, 100)
    const push = pushArchive(medium.path, `${proxy.host}/faults/broken:v1`, { retries: 2, retryDelayMs: 10, concurrency: 1 })
    await expect(push).rejects.toThrow(`push of ${proxy.host}/faults/broken:v1 failed: the registry answered HTTP 500: UNKNOWN: injected by the fault proxy; the registry failed: try again later, or check its logs`)
    expect(proxy.fired).toHaveLength(3)
    proxy.clear()
    expect((await registryRequests(registry)).filter(r => r.uri.startsWith('/v2/faults/broken/') && r.method !== 'HEAD')).toEqual([])
  })
})
