import { posix } from 'node:path'

/** Whether a path (with `/` separators) is selected: some `include` pattern matches and no `exclude` one does. */
export type PathFilter = (paths: ReadonlyArray<string | undefined>) => boolean

export function createFilter(include: ReadonlyArray<string | RegExp>, exclude: ReadonlyArray<string | RegExp>): PathFilter {
  const includes = include.map(toMatcher)
  const excludes = exclude.map(toMatcher)
  return (paths) => {
    const given = paths.filter((path): path is string => path !== undefined)
    const matches = (matcher: (path: string) => boolean) => given.some(matcher)
    return includes.some(matches) && !excludes.some(matches)
  }
}

function toMatcher(pattern: string | RegExp): (path: string) => boolean {
  if (pattern instanceof RegExp) return (path) => pattern.test(path)
  const regexp = globToRegExp(pattern)
  // As in .gitignore: a pattern without '/' matches the base name at any depth.
  return pattern.includes('/') ? (path) => regexp.test(path) : (path) => regexp.test(posix.basename(path))
}

/** `**` any number of path components, `*` anything but `/`, `?` one character but `/`; the rest literal. */
export function globToRegExp(pattern: string): RegExp {
  const glob = pattern.replace(/^\.\//, '')
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!
    if (char === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/'
      source += slash ? '(?:.*/)?' : '.*'
      i += slash ? 2 : 1
    } else if (char === '*') source += '[^/]*'
    else if (char === '?') source += '[^/]'
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}
