import { type UnpluginFactory, type UnpluginInstance, createUnplugin } from 'unplugin'
import { createEsbuildSetup } from './collect-esbuild.ts'
import { createWriteBundle } from './collect-rollup.ts'
import { createCompilerApply } from './collect-webpack.ts'
import { PLUGIN_NAME } from './errors.ts'
import { OCI_REQUEST } from './oci-id.ts'
import { type LoadContextLike, type ResolveContextLike, loadOciModule, resolveOciRequest } from './oci-import.ts'
import { resolveOptions } from './options.ts'
import { createSession } from './session.ts'
import type { Options } from './types.ts'

/** `\0wasm-oci:` as a regular expression esbuild's Go engine also reads (it has no `\0`). */
const OCI_ID = /^\x00wasm-oci:/

/**
 * One plugin object per call. `?oci` imports resolve to generated modules (unplugin's
 * `resolveId`/`load`, virtual modules in webpack and Rspack); each bundler gets its own native
 * hook that runs after the output is written (unplugin's generic `writeBundle` gets no
 * arguments outside Rollup and Vite), where the archives are written, pushed and reported.
 */
export const unpluginFactory: UnpluginFactory<Options | undefined, false> = (rawOptions) => {
  const session = createSession(resolveOptions(rawOptions))
  const newBuild = () => session.standardAnnotations.clear()
  return {
    name: PLUGIN_NAME,
    // Before Vite's resolver and asset plugin, which would take `x.wasm?oci` for an asset URL.
    enforce: 'pre',
    buildStart: newBuild,
    resolveId: {
      filter: { id: OCI_REQUEST },
      handler(this: unknown, id: string, importer: string | undefined) {
        return resolveOciRequest(this as ResolveContextLike, session, id, importer)
      },
    },
    load: {
      filter: { id: OCI_ID },
      handler(this: unknown, id: string) {
        return loadOciModule(this as LoadContextLike, session, id)
      },
    },
    vite: {
      configResolved(config: { root: string }) {
        session.root = config.root
      },
      writeBundle: createWriteBundle('vite', session),
    },
    rollup: { writeBundle: createWriteBundle('rollup', session) },
    rolldown: {
      // Rolldown resolves output and source paths against its `cwd`.
      buildStart(options: { cwd?: string }) {
        session.root = options.cwd ?? process.cwd()
        newBuild()
      },
      writeBundle: createWriteBundle('rolldown', session),
    },
    esbuild: { loader: 'js', onResolveFilter: OCI_REQUEST, onLoadFilter: OCI_ID, setup: createEsbuildSetup(session) },
    webpack: createCompilerApply('webpack', session),
    rspack: createCompilerApply('rspack', session),
  }
}

export const unplugin: UnpluginInstance<Options | undefined, false> = /* #__PURE__ */ createUnplugin(unpluginFactory)

export default unplugin
export { resolveOptions } from './options.ts'
export type {
  AnnotationKey,
  AnnotationsOption,
  AutoAnnotations,
  Bundler,
  FilterPattern,
  NoWasmAction,
  OciImage,
  OciLayer,
  Options,
  PushConfig,
  ResolvedOptions,
  ResolvedPush,
  WasmAsset,
} from './types.ts'
