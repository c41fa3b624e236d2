import { usageError } from '../errors.ts'
import { validateRepository, validateTag } from '../reference.ts'

/** How every format names its image: `repo/name:tag`, as runwasi's `-r`, `-n` and `-t`. */
export interface ImageName {
  /** The image name, one repository path component: also the module's file name in the image (`name.wasm`). */
  name: string
  /** The repository the image lives in, optionally with a registry host: `ghcr.io/acme`. */
  repo: string
  tag: string
}

export function imageReference({ name, repo, tag }: ImageName): { reference: string; tag: string } {
  if (name.includes('/')) throw usageError(`image name "${name}" contains '/': put the path in the repository (-r/--repo) and give the last component as the name`)
  validateRepository(name, 'image name')
  const repository = repo === '' ? name : `${repo.replace(/\/+$/, '')}/${name}`
  validateRepository(repository, `repository "${repo}" with image name "${name}"`)
  validateTag(tag)
  return { reference: `${repository}:${tag}`, tag }
}
