#!/usr/bin/env node
// node bench/push.mjs: packs a 256 MiB image (one wasm module whose custom section is random
// bytes) and pushes it to local registries (Debian's docker-registry on 127.0.0.1, a fresh one for
// each push so nothing is skipped) with `wasm-oci push` and with `skopeo copy oci-archive:`,
// alternating; prints the median throughput of each, their ratio (target ≥ 1.5), the peak RSS of
// wasm-oci, and what a second push of the same image uploads (target 0 bytes). For comparison it
// also times skopeo from an already-unpacked `oci:` directory, and the registry's own floor: one
// `curl -T` PUT of the module's bytes. Needs a built dist/ (npm run build), skopeo and curl.
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, createWriteStream, existsSync, openSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLI = join(ROOT, 'dist', 'cli', 'wasm-oci.js')
const SIZE_MIB = Number(process.env.BENCH_SIZE_MIB ?? 256)
const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const TARGET_RATIO = 1.5

if (!existsSync(CLI)) {
  console.error('bench: dist/ is missing: run `npm run build` first')
  process.exit(2)
}
const { packImage } = await import(join(ROOT, 'dist', 'index.js'))
const work = await mkdtemp(join(tmpdir(), 'wasm-oci-bench-push-'))
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

/** A valid core module: the header, then one custom section "bench" holding `size` random bytes. */
async function writeBigModule(path, size) {
  const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b) } while (n); return out }
  const name = Buffer.from('bench')
  const payload = size - 8 - 1 - leb(size).length - 1 - name.length
  const out = createWriteStream(path)
  out.write(Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, ...leb(1 + name.length + payload), name.length]))
  out.write(name)
  for (let left = payload; left > 0; left -= 1 << 20) {
    if (!out.write(randomBytes(Math.min(left, 1 << 20)))) await new Promise((resolve) => out.once('drain', resolve))
  }
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())))
}

/** Runs a command; resolves with its exit code, output, wall time and (when asked) peak RSS. */
function runTimed(cmd, args, { trackRss = false, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env })
    let stdout = ''
    let stderr = ''
    let peakKiB = 0
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const poll = trackRss && setInterval(() => {
      try {
        peakKiB = Math.max(peakKiB, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0))
      } catch {}
    }, 20)
    child.on('error', reject)
    child.on('close', (code) => {
      if (poll) clearInterval(poll)
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`))
      else resolve({ stdout, stderr, seconds, peakMiB: peakKiB / 1024 })
    })
  })
}

/** docker-registry on 127.0.0.1 at a port the kernel picks, with fresh storage. */
async function startRegistry(name) {
  const dir = join(work, `registry-${name}`)
  await mkdir(dir, { recursive: true })
  const config = { version: '0.1', log: { level: 'info', accesslog: { disabled: true } }, storage: { filesystem: { rootdirectory: join(dir, 'storage') } }, http: { addr: '127.0.0.1:0' } }
  await writeFile(join(dir, 'config.yml'), JSON.stringify(config))
  const logPath = join(dir, 'registry.log')
  const fd = openSync(logPath, 'w')
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', fd, fd] })
  closeSync(fd)
  for (let i = 0; i < 200; i++) {
    const host = /listening on (127\.0\.0\.1:\d+)/.exec(await readFile(logPath, 'utf8'))?.[1]
    if (host) return { host, logPath, stop: async () => { child.kill(); await rm(dir, { recursive: true, force: true }) } }
    await sleep(50)
  }
  child.kill()
  throw new Error(`docker-registry did not start: see ${logPath}`)
}

/** POST /v2/REPO/blobs/uploads/ on a plain-HTTP registry: the upload session's URL. */
async function openUpload(host, repository) {
  const response = await fetch(`http://${host}/v2/${repository}/blobs/uploads/`, { method: 'POST' })
  if (response.status !== 202) throw new Error(`POST upload answered ${response.status}`)
  return new URL(response.headers.get('location'), `http://${host}`)
}

async function sha256File(path) {
  const hash = createHash('sha256')
  for await (const chunk of (await import('node:fs')).createReadStream(path)) hash.update(chunk)
  return `sha256:${hash.digest('hex')}`
}

/** Blob-upload requests (POST/PATCH/PUT under /blobs/uploads/) in a registry's log. */
async function uploadRequests(logPath) {
  const log = await readFile(logPath, 'utf8')
  return [...log.matchAll(/msg="response completed[^"]*".*?http\.request\.uri="?([^"\s]+)/g)].filter(([, uri]) => uri.includes('/blobs/uploads/')).length
}

try {
  const modulePath = join(work, 'big.wasm')
  await writeBigModule(modulePath, SIZE_MIB << 20)
  const archive = join(work, 'big.tar')
  await packImage({ name: 'big', repo: 'example.com/bench', tag: 'v1', modules: [modulePath], output: archive })
  const ociDir = join(work, 'oci-dir')
  await runTimed('skopeo', ['--tmpdir', work, 'copy', `oci-archive:${archive}`, `oci:${ociDir}:v1`])
  console.log(`bench: ${SIZE_MIB} MiB image, ${RUNS} runs each, fresh registry per push`)

  // Dirty pages of one push would slow the next one's fsyncs: flush before each timed push.
  const settle = () => runTimed('sync', [])
  const results = { wasmOci: [], skopeo: [], skopeoOciDir: [], curl: [], rss: [] }
  const moduleDigest = await sha256File(modulePath)
  let repush
  for (let run = 0; run < RUNS; run++) {
    const registry = await startRegistry(`w${run}`)
    await settle()
    const pushed = await runTimed(process.execPath, [CLI, 'push', archive, `${registry.host}/bench/big:v1`, '--json'], { trackRss: true })
    results.wasmOci.push(pushed.seconds)
    results.rss.push(pushed.peakMiB)
    if (run === 0) {
      const before = await uploadRequests(registry.logPath)
      const again = await runTimed(process.execPath, [CLI, 'push', archive, `${registry.host}/bench/big:v1`, '--json'])
      repush = { bytes: JSON.parse(again.stdout).images[0].bytesUploaded, requests: (await uploadRequests(registry.logPath)) - before, seconds: again.seconds }
    }
    await registry.stop()

    for (const [key, source] of [['skopeo', `oci-archive:${archive}`], ['skopeoOciDir', `oci:${ociDir}:v1`]]) {
      const other = await startRegistry(`${key}${run}`)
      await settle()
      const copied = await runTimed('skopeo', ['--tmpdir', work, 'copy', '--dest-tls-verify=false', source, `docker://${other.host}/bench/big:v1`])
      results[key].push(copied.seconds)
      await other.stop()
    }

    const floor = await startRegistry(`curl${run}`)
    const location = await openUpload(floor.host, 'bench/big')
    location.searchParams.set('digest', moduleDigest)
    await settle()
    results.curl.push((await runTimed('curl', ['-sSf', '-o', '/dev/null', '-T', modulePath, '-H', 'content-type: application/octet-stream', location.href])).seconds)
    await floor.stop()
  }

  const rate = (seconds) => SIZE_MIB / seconds
  const row = (label, seconds) => console.log(`  ${label.padEnd(34)} ${median(seconds).toFixed(2)} s  ${rate(median(seconds)).toFixed(0).padStart(5)} MiB/s`)
  row('wasm-oci push (from the archive)', results.wasmOci)
  row('skopeo copy oci-archive:', results.skopeo)
  row('skopeo copy oci: (pre-unpacked)', results.skopeoOciDir)
  row('floor: curl -T of the blob alone', results.curl)
  const ratio = median(results.skopeo) / median(results.wasmOci)
  console.log(`  throughput ratio wasm-oci / skopeo (oci-archive): ${ratio.toFixed(2)}x (target >= ${TARGET_RATIO}x) ${ratio >= TARGET_RATIO ? 'ok' : 'BELOW TARGET'}`)
  console.log(`  throughput ratio wasm-oci / skopeo (oci: dir):    ${(median(results.skopeoOciDir) / median(results.wasmOci)).toFixed(2)}x`)
  console.log(`  wasm-oci peak RSS: ${median(results.rss).toFixed(0)} MiB for a ${SIZE_MIB} MiB blob`)
  console.log(`  re-push: ${repush.bytes} bytes uploaded, ${repush.requests} upload requests in the registry log, ${repush.seconds.toFixed(2)} s (target 0 bytes) ${repush.bytes === 0 && repush.requests === 0 ? 'ok' : 'FAILED'}`)
} finally {
  await rm(work, { recursive: true, force: true })
}
