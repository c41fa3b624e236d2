import { type UnpluginFactory, type UnpluginInstance, createUnplugin } from 'unplugin'
import { createEsbuildSetup } from './collect-esbuild.ts'
import { createWriteBundle } from './collect-rollup.ts'
import { createCompilerApply } from './collect-webpack.ts'
import { PLUGIN_NAME } from './errors.ts'
import { resolveOptions } from './options.ts'
import { createSession } from './pack-wasm.ts'
import type { Options } from './types.ts'

/**
 * One plugin object per call; each bundler gets its own native hook that runs after the
 * output is written (unplugin's generic `writeBundle` gets no arguments outside Rollup and Vite).
 */
export const unpluginFactory: UnpluginFactory<Options | undefined, false> = (rawOptions) => {
  const session = createSession(resolveOptions(rawOptions))
  // Vite reports source paths relative to its root; Rolldown, output paths too to its cwd.
  let viteRoot = process.cwd()
  let rolldownCwd = process.cwd()
  return {
    name: PLUGIN_NAME,
    vite: {
      // The dev server never writes a bundle.
      apply: 'build',
      configResolved(config: { root: string }) {
        viteRoot = config.root
      },
      writeBundle: createWriteBundle('vite', session, () => viteRoot),
    },
    rollup: { writeBundle: createWriteBundle('rollup', session) },
    rolldown: {
      buildStart(options: { cwd?: string }) {
        rolldownCwd = options.cwd ?? process.cwd()
      },
      writeBundle: createWriteBundle('rolldown', session, () => rolldownCwd),
    },
    esbuild: { setup: createEsbuildSetup(session) },
    webpack: createCompilerApply('webpack', session),
    rspack: createCompilerApply('rspack', session),
  }
}

export const unplugin: UnpluginInstance<Options | undefined, false> = /* #__PURE__ */ createUnplugin(unpluginFactory)

export default unplugin
export { resolveOptions } from './options.ts'
export type { Bundler, FilterPattern, NoWasmAction, Options, ResolvedOptions, WasmAsset } from './types.ts'
