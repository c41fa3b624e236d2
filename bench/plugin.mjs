#!/usr/bin/env node
// node bench/plugin.mjs: builds the playground (three wasm modules) with Vite, without and with
// the plugin, alternating in one process, and prints the median of each and their ratio; the pack
// time is the plugin's writeBundle hook, timed inside the build, and for comparison the packer
// called directly on the same modules. Target: with ≤ 1.10 × without + pack. Needs a built dist/
// (npm run build).
import { existsSync } from 'node:fs'
import { mkdir, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PLAYGROUND = join(ROOT, 'playground')
const OUT = join(ROOT, 'bench', '.out', 'plugin')
const RUNS = Number(process.env.BENCH_RUNS ?? 30)
const WARMUP = 3
const TARGET_RATIO = 1.1
const DIST = join(ROOT, 'dist')

if (!existsSync(join(DIST, 'vite.js'))) {
  console.error('bench: dist/ is missing: run `npm run build` first')
  process.exit(2)
}
const { default: wasmOci } = await import(join(DIST, 'vite.js'))
const { packImage } = await import(join(DIST, 'index.js'))
const { compileWat } = await import(join(PLAYGROUND, 'scripts', 'compile-wat.mjs'))

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const ms = (seconds) => `${(seconds * 1000).toFixed(1)} ms`

async function timed(fn) {
  const start = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - start) / 1e9
}

const hookSeconds = []

/** The plugin, its writeBundle timed: the time the build spends packing. */
function timedPlugin() {
  const plugin = wasmOci({ repo: 'localhost/playground' })
  const writeBundle = plugin.writeBundle
  plugin.writeBundle = async function (...args) {
    hookSeconds.push(await timed(() => writeBundle.apply(this, args)))
  }
  return plugin
}

/** The playground's own build settings, with or without the plugin, into its own directory. */
function buildPlayground(withPlugin) {
  return build({
    root: PLAYGROUND,
    configFile: false,
    logLevel: 'silent',
    build: {
      outDir: join(OUT, withPlugin ? 'with' : 'without'),
      emptyOutDir: true,
      assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
    },
    plugins: withPlugin ? [timedPlugin()] : [],
  })
}

/** The packer alone, on the three modules the build emitted, as the plugin calls it (concurrently). */
async function packAlone() {
  const assets = join(OUT, 'without', 'assets')
  const modules = (await readdir(assets)).filter((file) => file.endsWith('.wasm'))
  const output = join(OUT, 'pack-only')
  await rm(output, { recursive: true, force: true })
  await Promise.all(modules.map((file) => packImage({
    name: file.replace(/-[\w-]{8}\.wasm$/, ''),
    repo: 'localhost/playground',
    tag: 'latest',
    modules: [join(assets, file)],
    output: join(output, `${file}.tar`),
    skipUnchanged: true,
  })))
  return modules.length
}

await compileWat()
await mkdir(OUT, { recursive: true })
for (let i = 0; i < WARMUP; i++) {
  await buildPlayground(false)
  await buildPlayground(true)
}
const without = []
const withPlugin = []
const packAloneSeconds = []
hookSeconds.length = 0
let modules = 0
for (let i = 0; i < RUNS; i++) {
  // Alternate which goes first, so neither always follows the other's writes.
  const order = i % 2 === 0 ? [false, true] : [true, false]
  for (const plugin of order) (plugin ? withPlugin : without).push(await timed(() => buildPlayground(plugin)))
}
// Apart from the builds, so its writes do not land between them.
for (let i = 0; i < RUNS; i++) packAloneSeconds.push(await timed(async () => (modules = await packAlone())))
const archives = (await readdir(join(OUT, 'with', 'oci'))).length
if (archives !== modules) throw new Error(`bench: the plugin wrote ${archives} archives for ${modules} modules`)

const [a, b, hook, alone] = [median(without), median(withPlugin), median(hookSeconds), median(packAloneSeconds)]
const budget = TARGET_RATIO * a + hook
console.log(`vite build of the playground (${modules} wasm modules), median of ${RUNS} runs each, Node ${process.version}`)
console.log(`  without the plugin   ${ms(a)}`)
console.log(`  with the plugin      ${ms(b)}   ratio ${(b / a).toFixed(3)}×`)
console.log(`  pack (its hook)      ${ms(hook)}   the packer called directly: ${ms(alone)}`)
console.log(`  ratio less packing   ${((b - hook) / a).toFixed(3)}×   target ≤ ${TARGET_RATIO.toFixed(2)}×: ${b <= budget ? 'met' : 'MISSED'} (with ≤ ${ms(budget)})`)
