import { usageError } from '../core/errors.ts'
import { ENV_PASSWORD, ENV_USERNAME } from '../registry/credentials.ts'
import type { RegistryEvent, RegistryOptions } from '../registry/types.ts'
import { formatBytes } from './shared.ts'

/** The connection and credential flags `push` and `pull` share, for `parseCommandArgs`. */
export const REGISTRY_FLAGS = {
  'insecure': { type: 'boolean' },
  'ca-file': { type: 'string' },
  'username': { type: 'string', short: 'u' },
  'password-stdin': { type: 'boolean' },
  'json': { type: 'boolean' },
} as const

export const REGISTRY_HELP = `  --insecure             allow plain HTTP and skip TLS certificate checks (trusted networks only)
  --ca-file PEM          also trust the CA certificates in PEM (NODE_EXTRA_CA_CERTS works too)
  -u, --username USER    the user name; the password comes from --password-stdin or ${ENV_PASSWORD}
  --password-stdin       read the password (or an access token) from standard input

Credentials, the first found wins:
  1. --username with --password-stdin
  2. ${ENV_USERNAME} and ${ENV_PASSWORD}
  3. docker's config.json ($DOCKER_CONFIG, else ~/.docker): credHelpers[REGISTRY] or credsStore
     through docker-credential-HELPER, then auths[REGISTRY] (auth, identitytoken)
  Store them with \`docker login REGISTRY\`; wasm-oci has no login command of its own.
Plain HTTP only for localhost, 127.0.0.1 and [::1] when they do not speak TLS, or with --insecure.
`

/** Below this a blob is too quick to deserve a progress line. */
const PROGRESS_MIN_BYTES = 4 << 20
const PROGRESS_INTERVAL_MS = 200

interface FlagValues {
  'insecure'?: boolean
  'ca-file'?: string
  'username'?: string
  'password-stdin'?: boolean
}

/** Registry options from the flags: reads the password from stdin when asked. */
export async function registryOptions(command: string, values: FlagValues): Promise<RegistryOptions> {
  let password: string | undefined
  if (values['password-stdin']) {
    if (values.username === undefined) throw usageError(`${command}: --password-stdin needs --username: give both, e.g. --username me --password-stdin < token.txt`)
    password = (await readStdin()).replace(/\r?\n$/, '')
    if (password === '') throw usageError(`${command}: --password-stdin read an empty password: pipe the password or token into wasm-oci`)
  }
  const credentials = values.username === undefined ? undefined : { username: values.username, ...(password !== undefined && { password }) }
  return {
    ...(credentials && { credentials }),
    ...(values.insecure && { insecure: true }),
    ...(values['ca-file'] !== undefined && { caFile: values['ca-file'] }),
    onEvent: reporter(process.stderr),
  }
}

/**
 * Renders events on stderr: retries always (one line each), progress of large blobs only on a
 * terminal, redrawn in place at most every PROGRESS_INTERVAL_MS.
 */
export function reporter(stream: NodeJS.WriteStream): (event: RegistryEvent) => void {
  const tty = stream.isTTY === true
  let last = 0
  let open = false
  const clear = (): void => {
    if (open) stream.write('\r\x1b[K')
    open = false
  }
  return (event) => {
    if (event.type === 'retry') {
      clear()
      stream.write(`wasm-oci: ${event.what}: ${event.reason}; retrying in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt} of ${event.attempts})\n`)
      return
    }
    if (!tty) return
    if (event.type === 'progress' && event.size >= PROGRESS_MIN_BYTES) {
      const now = Date.now()
      if (now - last < PROGRESS_INTERVAL_MS && event.done < event.size) return
      last = now
      const percent = Math.floor((event.done / event.size) * 100)
      stream.write(`\r\x1b[K${event.action === 'upload' ? 'uploading' : 'downloading'} ${event.digest.slice(7, 19)}  ${formatBytes(event.done)} / ${formatBytes(event.size)}  ${percent}%`)
      open = true
    } else if (event.type === 'blob' || event.type === 'manifest') clear()
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}
