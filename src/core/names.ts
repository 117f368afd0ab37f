// PEP 503 name normalisation: runs of -, _ and . become one -, lower case.
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}

/** What a leg name may hold: it becomes part of a file name and of Slack keys. */
export const LEG_NAME = /^[A-Za-z0-9._-]{1,100}$/

/**
 * The default `leg`: `<package>-<channel>`, plus the runner OS (lower case) when it is not Linux,
 * so a macOS and a Linux leg of one channel are two legs. `unknown` stands for what is not known.
 */
export function defaultLeg(pkg: string, channel: string, runnerOs = ''): string {
  const os = runnerOs && runnerOs.toLowerCase() !== 'linux' ? `-${runnerOs.toLowerCase()}` : ''
  return `${pkg || 'unknown'}-${channel || 'unknown'}${os}`.replace(/[^A-Za-z0-9._-]/g, '_')
}
