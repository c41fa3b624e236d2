import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { httpRequest, makeTempDir, onCleanup, run, type RunOptions, type RunResult } from './tools.ts'

const START_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 5_000
const POLL_MS = 50
const LOG_TAIL = 1500

/** Children still running: killed when the worker exits, should a test file's afterAll never run. */
const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

interface Daemon {
  child: ChildProcess
  logPath: string
  /** Throws with the log's tail when the daemon has exited. */
  assertAlive(what: string): Promise<void>
  stop(): Promise<void>
}

async function logTail(logPath: string): Promise<string> {
  const log = await readFile(logPath, 'utf8').catch(() => '')
  return log.slice(-LOG_TAIL).trim() || '(empty log)'
}

/** Spawns `cmd args…` directly (its real PID, no shell), logging to `dir/CMD.log`; stop() removes `dir`. */
function spawnDaemon(cmd: string, args: readonly string[], dir: string): Daemon {
  const logPath = join(dir, `${cmd}.log`)
  const fd = openSync(logPath, 'w')
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] })
  closeSync(fd)
  live.add(child)
  let startError: Error | undefined
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.once('error', (error) => {
      startError = error
      resolve()
    })
  })
  void exited.then(() => live.delete(child))
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null || startError !== undefined
  let stopping: Promise<void> | undefined
  const daemon: Daemon = {
    child,
    logPath,
    async assertAlive(what) {
      if (startError) throw new Error(`${what}: cannot run ${cmd}: ${startError.message}`, { cause: startError })
      if (hasExited()) throw new Error(`${what}: ${cmd} exited (${child.exitCode ?? child.signalCode}); its log ${logPath} ends:\n${await logTail(logPath)}`)
    },
    stop() {
      stopping ??= (async () => {
        if (!hasExited()) {
          child.kill('SIGTERM')
          const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS, false)])
          if (!stopped) child.kill('SIGKILL')
          await exited
        }
        await rm(dir, { recursive: true, force: true })
      })()
      return stopping
    },
  }
  onCleanup(() => daemon.stop())
  return daemon
}

/** Polls `probe` until it returns a value, the daemon dies, or START_TIMEOUT_MS passes. */
async function waitFor<T>(daemon: Daemon, what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline) {
    await daemon.assertAlive(what)
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    await sleep(POLL_MS)
  }
  const tail = await logTail(daemon.logPath)
  await daemon.stop()
  throw new Error(`${what}: gave up after ${START_TIMEOUT_MS} ms; its log ended:\n${tail}`)
}

export interface RegistryOptions {
  /** `htpasswd.path` holds bcrypt entries (`user:$2y$…`); `token` is the bearer flow of FORMATS.md §6. */
  auth?:
    | { htpasswd: { realm: string, path: string } }
    | { token: { realm: string, service: string, issuer: string, rootcertbundle: string } }
  /** Serve HTTPS with these PEM files (then `url` is https://). */
  tls?: { certificate: string, key: string }
}

export interface Registry {
  /** `127.0.0.1:PORT`, for image references. */
  host: string
  /** `http://127.0.0.1:PORT` or `https://…` with `tls`. */
  url: string
  /** The registry's own log (level info: it says why a token was refused). */
  logPath: string
  pid: number
  /** Kills it, waits for it to exit, removes its storage. */
  stop(): Promise<void>
}

/** Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 at a port the kernel picks. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const dir = await makeTempDir('registry')
  // JSON is YAML: no serializer needed, and paths need no quoting rules.
  const config = {
    version: '0.1',
    log: { level: 'info', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'storage') }, delete: { enabled: true } },
    http: { addr: '127.0.0.1:0', ...(opts.tls && { tls: opts.tls }) },
    ...(opts.auth && { auth: opts.auth }),
  }
  const configPath = join(dir, 'config.yml')
  await writeFile(configPath, JSON.stringify(config, null, 2))
  const daemon = spawnDaemon('docker-registry', ['serve', configPath], dir)
  // Port 0 is race-free; the registry logs the port it got ("listening on 127.0.0.1:PORT[, tls]").
  const host = await waitFor(daemon, 'docker-registry start', async () => {
    return /listening on (127\.0\.0\.1:\d+)/.exec(await readFile(daemon.logPath, 'utf8'))?.[1]
  })
  const url = `${opts.tls ? 'https' : 'http'}://${host}`
  // Any answer is up: 401 is what an auth-protected registry says.
  await waitFor(daemon, `docker-registry at ${url}/v2/`, async () => (await httpRequest(`${url}/v2/`)).status || undefined)
  return { host, url, logPath: daemon.logPath, pid: daemon.child.pid!, stop: daemon.stop }
}

export interface ContainerdOptions {
  /** The namespace `ctr` works in. @default 'wasm-oci-test' */
  namespace?: string
}

export interface Containerd {
  /** The daemon's private gRPC unix socket. */
  address: string
  namespace: string
  logPath: string
  pid: number
  /** `ctr --address … --namespace … args…`; resolves whatever the exit code (see `assertOk`). */
  ctr(args: readonly string[], opts?: RunOptions): Promise<RunResult>
  /** Kills it, waits for it to exit, removes its root, state and socket. */
  stop(): Promise<void>
}

/** Kubernetes' CRI and the snapshotters that need a particular filesystem or device: unused here, and noisy when they fail to load. */
const DISABLED_CONTAINERD_PLUGINS = [
  'io.containerd.grpc.v1.cri',
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
]

/** containerd with a private root, state and socket; nothing touches /var/lib or /run/containerd. */
export async function startContainerd(opts: ContainerdOptions = {}): Promise<Containerd> {
  const dir = await makeTempDir('containerd', { short: true })
  const address = join(dir, 'containerd.sock')
  const config = `version = 2
root = ${JSON.stringify(join(dir, 'root'))}
state = ${JSON.stringify(join(dir, 'state'))}
disabled_plugins = ${JSON.stringify(DISABLED_CONTAINERD_PLUGINS)}

[grpc]
  address = ${JSON.stringify(address)}

[ttrpc]
  address = ${JSON.stringify(`${address}.ttrpc`)}

[plugins."io.containerd.internal.v1.opt"]
  path = ${JSON.stringify(join(dir, 'opt'))}
`
  const configPath = join(dir, 'config.toml')
  await writeFile(configPath, config)
  const daemon = spawnDaemon('containerd', ['--config', configPath], dir)
  const namespace = opts.namespace ?? 'wasm-oci-test'
  const ctr = (args: readonly string[], runOpts?: RunOptions): Promise<RunResult> =>
    run('ctr', ['--address', address, '--namespace', namespace, ...args], runOpts)
  await waitFor(daemon, `containerd at ${address}`, async () => (await ctr(['version'], { timeout: 5000 })).code === 0 || undefined)
  return { address, namespace, logPath: daemon.logPath, pid: daemon.child.pid!, ctr, stop: daemon.stop }
}
