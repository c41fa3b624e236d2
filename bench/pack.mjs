#!/usr/bin/env node
// npm run bench: packs a 512 MiB module and compares, in the same run, with the floor any packer
// pays: one `openssl dgst -sha256` pass (the digest) plus one `cat` copy (the archive write).
// Prints the median of each over RUNS runs, their ratio and the packer's peak RSS; figures go
// into the README's performance section. Needs a built dist/ (npm run build).
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUT = join(ROOT, 'bench', '.out')
const SIZE_MIB = Number(process.env.BENCH_MIB ?? 512)
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const DIST = join(ROOT, 'dist', 'index.js')

if (!existsSync(DIST)) {
  console.error('bench: dist/ is missing: run `npm run build` first')
  process.exit(2)
}

async function makeModule(path, mib) {
  const handle = await open(path, 'w')
  await handle.write(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))
  const chunk = randomBytes(1 << 20)
  for (let i = 0; i < mib; i++) await handle.write(chunk)
  await handle.close()
}

function timed(command, args, options = {}) {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`)
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, stdout: result.stdout.toString() }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** Packs in a fresh node process; returns wall time and that process's peak RSS. */
function pack(module, output) {
  const script = `const { packImage } = await import(${JSON.stringify(DIST)});
await packImage({ name: 'bench', repo: 'localhost/bench', tag: 'v1', modules: [${JSON.stringify(module)}], output: ${JSON.stringify(output)} });
process.stdout.write(String(process.resourceUsage().maxRSS / 1024))`
  const { seconds, stdout } = timed(process.execPath, ['--input-type=module', '-e', script])
  return { seconds, rssMiB: Number(stdout) }
}

await mkdir(OUT, { recursive: true })
const module = join(OUT, 'big.wasm')
const tiny = join(OUT, 'tiny.wasm')
await makeModule(module, SIZE_MIB)
await makeModule(tiny, 0)
const copy = join(OUT, 'copy.bin')
const archive = join(OUT, 'big.tar')
execFileSync('cat', [module], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: Infinity }) // warm the page cache

const floor = []
const ours = []
const rss = []
for (let run = 0; run < RUNS; run++) {
  const digest = timed('openssl', ['dgst', '-sha256', module]).seconds
  const cat = timed('sh', ['-c', 'cat "$1" > "$2"', 'sh', module, copy]).seconds
  floor.push(digest + cat)
  const result = pack(module, archive)
  ours.push(result.seconds)
  rss.push(result.rssMiB)
}
const small = pack(tiny, join(OUT, 'tiny.tar'))
const floorS = median(floor)
const oursS = median(ours)

console.log(`module: ${SIZE_MIB} MiB, ${RUNS} runs, medians`)
console.log(`floor (openssl dgst -sha256 + cat): ${floorS.toFixed(2)} s  (${(SIZE_MIB / floorS).toFixed(0)} MiB/s)`)
console.log(`packImage (fresh node process):     ${oursS.toFixed(2)} s  (${(SIZE_MIB / oursS).toFixed(0)} MiB/s)`)
console.log(`ratio: ${(oursS / floorS).toFixed(3)}  (target <= 1.15)`)
console.log(`peak RSS: ${Math.max(...rss).toFixed(0)} MiB packing ${SIZE_MIB} MiB, ${small.rssMiB.toFixed(0)} MiB packing a 8-byte module  (target <= 96 MiB)`)
await rm(OUT, { recursive: true, force: true })
