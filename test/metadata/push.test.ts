import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as esbuild from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'
import wasmOci from '../../src/esbuild.ts'
import type { OciImage, Options } from '../../src/plugin/types.ts'
import { registryManifestDigest } from '../helpers/consumers.ts'
import { type Registry, startRegistry } from '../helpers/daemons.ts'
import { makeTempDir, requireTools } from '../helpers/tools.ts'
import { compileWat, createProject } from '../plugin/helpers.ts'
import { runBuiltScript } from '../plugin/oci-builds.ts'
import { HTPASSWD, USER, registryRequests, startFaultProxy } from '../registry/support.ts'

const TIMEOUT = { timeout: 60_000 }

function buildOptions(root: string, options: Options): esbuild.BuildOptions {
  return { absWorkingDir: root, entryPoints: ['main.js'], bundle: true, format: 'iife', outdir: 'dist', logLevel: 'silent', plugins: [wasmOci(options)] }
}

/** Manifest PUTs the registry answered 201, as `repository:tag`. */
async function manifestPuts(registry: Registry): Promise<string[]> {
  return (await registryRequests(registry))
    .filter((request) => request.method === 'PUT' && request.status === 201 && request.uri.includes('/manifests/'))
    .map((request) => request.uri.replace(/^\/v2\/(.*)\/manifests\/(.*)$/, '$1:$2'))
}

describe.skipIf(!requireTools('docker-registry'))('push from an esbuild build', () => {
  let registry: Registry
  let dockerConfig: string

  beforeAll(async () => {
    registry = await startRegistry()
    dockerConfig = await makeTempDir('docker-config')
  })

  it('pushes each ?oci image to a templated reference with extra tags; a rebuild pushes only what changed', TIMEOUT, async () => {
    const root = await createProject('oci')
    const options: Options = { push: { reference: `${registry.host}/esb/[name]:[tag]`, tags: ['stable'], dockerConfig }, report: true }
    const context = await esbuild.context(buildOptions(root, options))
    try {
      await context.rebuild()
      const first = (await runBuiltScript(root)) as Record<string, OciImage>
      const targets = [['add', 'latest', 'add'], ['hello', 'v2', 'hello'], ['hello-compat', 'v3', 'helloCompat']] as const
      for (const [name, tag, key] of targets) {
        // The deploy-by-digest promise: what the bundle says is what the registry serves, under both tags.
        expect(await registryManifestDigest(registry.host, `esb/${name}`, tag)).toBe(first[key]!.digest)
        expect(await registryManifestDigest(registry.host, `esb/${name}`, 'stable')).toBe(first[key]!.digest)
      }
      const pushed = await manifestPuts(registry)
      expect(pushed.sort()).toEqual(['esb/add:latest', 'esb/add:stable', 'esb/hello-compat:stable', 'esb/hello-compat:v3', 'esb/hello:stable', 'esb/hello:v2'])

      // Nothing changed: nothing is pushed again.
      await context.rebuild()
      expect(await manifestPuts(registry)).toHaveLength(6)

      // add.wasm changes: only add is pushed, and the bundle states its new digest.
      const wat = (await readFile(new URL('../fixtures/plugin/add.wat', import.meta.url), 'utf8')).replace('add: padding', 'add: changed padding')
      await writeFile(join(root, 'add.wasm'), await compileWat('add', wat))
      await context.rebuild()
      const second = (await runBuiltScript(root)) as Record<string, OciImage>
      expect(second.add!.digest).not.toBe(first.add!.digest)
      expect(second.hello!.digest).toBe(first.hello!.digest)
      expect((await manifestPuts(registry)).slice(6).sort()).toEqual(['esb/add:latest', 'esb/add:stable'])
      expect(await registryManifestDigest(registry.host, 'esb/add', 'stable')).toBe(second.add!.digest)
      const report = JSON.parse(await readFile(join(root, 'dist/oci/oci-report.json'), 'utf8')) as { images: Array<{ name: string; pushed: Array<{ digest: string }> }> }
      expect(report.images.map((image) => [image.name, image.pushed[0]!.digest])).toEqual([
        ['add', second.add!.digest],
        ['hello-compat', second.helloCompat!.digest],
        ['hello', second.hello!.digest],
      ])
    } finally {
      await context.dispose()
    }
  })

  it("a push the registry refuses fails the build with the reference and the registry's answer", { timeout: 90_000 }, async () => {
    const dir = await makeTempDir('push-refused')
    await writeFile(join(dir, 'htpasswd'), HTPASSWD)
    const locked = await startRegistry({ auth: { htpasswd: { realm: 'wasm-oci-test', path: join(dir, 'htpasswd') } } })
    const root = await createProject('oci')
    const wrong: Options = { push: { reference: `${locked.host}/locked/[name]`, credentials: { username: USER, password: 'not-the-password' }, dockerConfig } }
    const refused = (await esbuild.build(buildOptions(root, wrong)).catch((error: unknown) => error)) as esbuild.BuildFailure
    expect(refused.errors).toHaveLength(1)
    expect(refused.errors[0]!.text).toMatch(new RegExp(`^unplugin-wasm-oci: image "[\\w-]+" \\(\\S+\\.tar\\): push of ${locked.host}/locked/[\\w-]+:(latest|v2|v3) failed: ${locked.host} refused the credentials of user "tester" from the given credentials: check them, or log in again with \`docker login ${locked.host}\`$`))
    expect(refused.errors[0]!.text).not.toContain('not-the-password')
    expect(await manifestPuts(locked)).toEqual([])

    // A registry that fails: its own error text ends up in the build error.
    const proxy = await startFaultProxy(registry.host)
    proxy.fail(/^PUT \/v2\/\S+\/manifests\//, 100)
    const failing = (await esbuild.build(buildOptions(root, { push: { reference: `${proxy.host}/failing/[name]`, dockerConfig } })).catch((error: unknown) => error)) as esbuild.BuildFailure
    expect(failing.errors[0]!.text).toMatch(new RegExp(`^unplugin-wasm-oci: image "[\\w-]+" \\(\\S+\\.tar\\): push of ${proxy.host}/failing/[\\w-]+:(latest|v2|v3) failed: the registry answered HTTP 500: UNKNOWN: injected by the fault proxy; the registry failed`))
    proxy.clear()
  })
})
