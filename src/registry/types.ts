/** Public options, results and events of the registry client. */

export interface Credentials {
  username?: string
  password?: string
  /**
   * A refresh token (docker's `identitytoken`, what `docker login` stores for registries with
   * OAuth2), exchanged for an access token in the bearer flow instead of a password.
   */
  identityToken?: string
}

export type BlobAction = 'exists' | 'mounted' | 'uploaded'

/** What the client reports as it works; the CLI renders these on stderr, the plugin may log them. */
export type RegistryEvent =
  | { type: 'blob'; action: BlobAction | 'downloaded'; digest: string; size: number; from?: string }
  | { type: 'progress'; action: 'upload' | 'download'; digest: string; size: number; done: number }
  | { type: 'retry'; what: string; attempt: number; attempts: number; delayMs: number; reason: string }
  | { type: 'manifest'; reference: string; digest: string }

export interface RegistryOptions {
  /** Credentials for the registry: win over the environment and the docker config. */
  credentials?: Credentials
  /**
   * Skip TLS certificate checks and allow plain HTTP, as docker's `insecure-registries`. Plain
   * HTTP is always allowed for `localhost`, `127.0.0.1` and `[::1]` (HTTPS is tried first).
   * @default false
   */
  insecure?: boolean
  /** A PEM file of CA certificates to trust besides Node's own and `NODE_EXTRA_CA_CERTS`. */
  caFile?: string
  /** The directory holding docker's `config.json`. @default $DOCKER_CONFIG, else ~/.docker */
  dockerConfig?: string
  /**
   * Where `WASM_OCI_USERNAME`/`WASM_OCI_PASSWORD`, `DOCKER_CONFIG`, `HOME` and `PATH` (for
   * `docker-credential-*` helpers) are read. @default process.env
   */
  env?: NodeJS.ProcessEnv
  /** Further attempts of a request or a whole blob upload after a 5xx, a 429 or a reset. @default 3 */
  retries?: number
  /** The first backoff delay, doubled for each further attempt. @default 500 */
  retryDelayMs?: number
  /** Idle time after which a request counts as failed (and is retried). @default 120000 */
  timeoutMs?: number
  /** Called for each step: a blob skipped, mounted or uploaded, upload progress, a retry. */
  onEvent?: (event: RegistryEvent) => void
}

export interface PushOptions extends RegistryOptions {
  /** More tags for the same manifest, pushed after the reference's own tag. */
  tags?: string[]
  /** Repositories on the same registry that may hold the blobs: tried as cross-repository mounts. */
  mountFrom?: string[]
  /** Blobs of at least this many bytes are uploaded in chunks (PATCH). @default 16 MiB */
  chunkThreshold?: number
  /** Bytes per PATCH. @default 64 MiB */
  chunkSize?: number
  /** Blobs checked or uploaded at once. @default 3 */
  concurrency?: number
}

export interface PushedBlob {
  digest: string
  size: number
  mediaType: string
  action: BlobAction
}

export interface PushResult {
  /** Where the image went: `registry/repository:tag` (or `@digest` when pushed by digest). */
  reference: string
  /** The manifest digest, as the registry confirmed it. */
  digest: string
  mediaType: string
  size: number
  /** Every tag that now points at the manifest. */
  tags: string[]
  blobs: PushedBlob[]
  /** Blob bytes actually sent (0 when the registry had everything). */
  bytesUploaded: number
}
