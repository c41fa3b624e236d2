import { authsEntry, helperFor, readDockerConfig, runCredentialHelper } from './docker-config.ts'
import type { Credentials } from './types.ts'

export const ENV_USERNAME = 'WASM_OCI_USERNAME'
export const ENV_PASSWORD = 'WASM_OCI_PASSWORD'

export interface ResolvedCredentials extends Credentials {
  /** Where they came from, for messages: never the secret itself. */
  source: string
}

export interface CredentialSources {
  credentials?: Credentials
  dockerConfig?: string
  env?: NodeJS.ProcessEnv
}

/**
 * Finds credentials for `registry` the way docker, oras and skopeo do, first hit wins:
 * 1. `options.credentials`;
 * 2. `WASM_OCI_USERNAME` + `WASM_OCI_PASSWORD`;
 * 3. docker's config.json (`$DOCKER_CONFIG` or `~/.docker`): `credHelpers[host]`, else
 *    `credsStore`, through `docker-credential-<helper> get`; else `auths[host]` (`auth`,
 *    `identitytoken`). A helper that knows nothing of the host falls through to `auths`.
 * Undefined means anonymous.
 */
export async function resolveCredentials(registry: string, sources: CredentialSources = {}): Promise<ResolvedCredentials | undefined> {
  const env = sources.env ?? process.env
  const given = sources.credentials
  if (given && (given.password !== undefined || given.identityToken !== undefined)) return { ...given, source: 'the given credentials' }
  const password = env[ENV_PASSWORD]
  if (password !== undefined && password !== '') {
    return { username: given?.username ?? env[ENV_USERNAME] ?? '', password, source: `${ENV_USERNAME}/${ENV_PASSWORD}` }
  }
  const config = await readDockerConfig(sources.dockerConfig, env)
  if (!config) return undefined
  const helper = helperFor(config, registry)
  if (helper) {
    const found = await runCredentialHelper(helper, registry, env)
    if (found) return { ...found, source: `docker-credential-${helper}` }
  }
  const entry = authsEntry(config, registry)
  return entry && { ...entry, source: `${config.path} (auths)` }
}
