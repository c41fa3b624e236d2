import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { WasmOciError, errnoCode } from '../core/errors.ts'
import { DOCKER_HUB, DOCKER_HUB_CONFIG_KEY } from './target.ts'
import type { Credentials } from './types.ts'

/** The parts of docker's config.json that say where credentials are. */
export interface DockerConfig {
  path: string
  auths: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>
  credHelpers: Record<string, string>
  credsStore?: string
}

const HELPER_TIMEOUT_MS = 30_000
/** What a helper prints (docker-credential-helpers' protocol) when it has nothing for the host. */
const NOT_FOUND = /credentials not found/i
/** A helper's Username for an identity (refresh) token rather than a password. */
const TOKEN_USERNAME = '<token>'

/** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; undefined when there is none. */
export async function readDockerConfig(dir: string | undefined, env: NodeJS.ProcessEnv): Promise<DockerConfig | undefined> {
  const path = join(dir ?? env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker'), 'config.json')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined
    throw new WasmOciError(`cannot read docker config "${path}" (${errnoCode(error) ?? String(error)}): check its permissions`, { cause: error })
  }
  let raw: Partial<DockerConfig>
  try {
    raw = JSON.parse(text) as Partial<DockerConfig>
  } catch {
    // The parser's message may quote the file, which holds secrets: say only where.
    throw new WasmOciError(`docker config "${path}" is not valid JSON: fix or remove it (\`docker login\` rewrites it)`, { cause: new Error('JSON.parse failed') })
  }
  return { path, auths: raw.auths ?? {}, credHelpers: raw.credHelpers ?? {}, ...(raw.credsStore && { credsStore: raw.credsStore }) }
}

/** The host a config key names: `https://index.docker.io/v1/` → `index.docker.io` (docker's ConvertToHostname). */
export function keyHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0]!.toLowerCase()
}

/** The names `docker login` may have stored a registry under, the exact form first. */
export function configKeys(registry: string): string[] {
  return registry === DOCKER_HUB ? [DOCKER_HUB_CONFIG_KEY, 'index.docker.io', 'docker.io', 'registry-1.docker.io'] : [registry]
}

/** `auths[host]`: `auth` (base64 `user:password`), or `username`/`password`, plus `identitytoken`. */
export function authsEntry(config: DockerConfig, registry: string): Credentials | undefined {
  const hosts = configKeys(registry).map(keyHost)
  const key = configKeys(registry).find((k) => k in config.auths) ?? Object.keys(config.auths).find((k) => hosts.includes(keyHost(k)))
  if (key === undefined) return undefined
  const entry = config.auths[key]!
  const credentials: Credentials = {}
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1) throw new WasmOciError(`docker config "${config.path}": auths["${key}"].auth is not base64 of "user:password": run \`docker login ${registry}\` again`)
    credentials.username = decoded.slice(0, colon)
    credentials.password = decoded.slice(colon + 1)
  } else if (entry.username) {
    credentials.username = entry.username
    if (entry.password) credentials.password = entry.password
  }
  if (entry.identitytoken) credentials.identityToken = entry.identitytoken
  return credentials.password !== undefined || credentials.identityToken !== undefined ? credentials : undefined
}

/** The helper for a registry: `credHelpers[host]` first, then `credsStore` (docker's order). */
export function helperFor(config: DockerConfig, registry: string): string | undefined {
  const hosts = configKeys(registry).map(keyHost)
  const key = Object.keys(config.credHelpers).find((k) => hosts.includes(keyHost(k)))
  return key !== undefined ? config.credHelpers[key] : config.credsStore
}

/**
 * `docker-credential-HELPER get` with the server URL on stdin; prints `{ServerURL, Username, Secret}`.
 * A helper that has nothing for the host (exit 1, "credentials not found") means anonymous.
 */
export async function runCredentialHelper(helper: string, registry: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`
  const serverUrl = configKeys(registry)[0]!
  const { code, stdout, stderr } = await spawnHelper(program, serverUrl, env)
  if (code !== 0) {
    if (NOT_FOUND.test(stdout) || NOT_FOUND.test(stderr)) return undefined
    // A helper's output may echo what it holds: report only its exit code.
    throw new WasmOciError(`credential helper ${program} failed for ${registry} (exit ${code}): run \`${program} get\` yourself to see why, or \`docker login ${registry}\``)
  }
  let parsed: { Username?: unknown; Secret?: unknown }
  try {
    parsed = JSON.parse(stdout) as typeof parsed
  } catch {
    throw new WasmOciError(`credential helper ${program} printed no JSON for ${registry}: expected {"Username": …, "Secret": …}`)
  }
  if (typeof parsed.Secret !== 'string' || parsed.Secret === '') return undefined
  if (parsed.Username === TOKEN_USERNAME) return { identityToken: parsed.Secret }
  return { username: typeof parsed.Username === 'string' ? parsed.Username : '', password: parsed.Secret }
}

function spawnHelper(program: string, input: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: HELPER_TIMEOUT_MS })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk))
    child.stdin.on('error', () => {})
    child.stdin.end(input)
    child.on('error', (error) => {
      const fix = errnoCode(error) === 'ENOENT' ? `install it, put it on PATH, or remove "${program.slice('docker-credential-'.length)}" from the docker config` : 'check that it is executable'
      reject(new WasmOciError(`cannot run credential helper ${program} (${errnoCode(error) ?? error.message}): ${fix}`, { cause: error }))
    })
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }))
  })
}
