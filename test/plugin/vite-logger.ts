/** A Vite `customLogger` that keeps what it is told, for assertions on the plugin's lines. */
export interface CapturedLogger {
  logger: {
    info(message: string): void
    warn(message: string): void
    warnOnce(message: string): void
    error(message: string): void
    clearScreen(): void
    hasErrorLogged(): boolean
    hasWarned: boolean
  }
  infos: string[]
  warnings: string[]
  errors: string[]
}

export function captureViteLogger(): CapturedLogger {
  const infos: string[] = []
  const warnings: string[] = []
  const errors: string[] = []
  const logger: CapturedLogger['logger'] = {
    info: (message) => void infos.push(message),
    warn: (message) => {
      warnings.push(message)
      logger.hasWarned = true
    },
    warnOnce: (message) => logger.warn(message),
    error: (message) => void errors.push(message),
    clearScreen: () => {},
    hasErrorLogged: () => errors.length > 0,
    hasWarned: false,
  }
  return { logger, infos, warnings, errors }
}

/** The plugin's summary lines among a logger's info lines. */
export function summaryLines(infos: string[]): string[] {
  return infos.filter((line) => /\b(wrote|unchanged) \S+\.tar: /.test(line))
}
