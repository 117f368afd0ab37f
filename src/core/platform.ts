// The runner's OS and CPU, in the words uv's release assets and wheel tags use.
export interface Platform {
  os: NodeJS.Platform
  arch: string
  /** Linux only: which C library, so musl runners get musl builds. */
  libc?: 'gnu' | 'musl'
}

let current: Platform | undefined
export function currentPlatform(): Platform {
  if (current) return { ...current }
  const p: Platform = { os: process.platform, arch: process.arch }
  if (p.os === 'linux') {
    // A whole diagnostic report (a few ms) for one header field: asked once per run.
    const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
    p.libc = header?.glibcVersionRuntime ? 'gnu' : 'musl'
  }
  current = p
  return { ...p }
}

const CPU: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' }

/** uv's release target triple and archive type, or null for a platform uv does not ship. */
export function uvTarget(p: Platform): { target: string; ext: 'tar.gz' | 'zip' } | null {
  const cpu = CPU[p.arch]
  if (!cpu) return null
  switch (p.os) {
    case 'linux':
      return { target: `${cpu}-unknown-linux-${p.libc === 'musl' ? 'musl' : 'gnu'}`, ext: 'tar.gz' }
    case 'darwin':
      return { target: `${cpu}-apple-darwin`, ext: 'tar.gz' }
    case 'win32':
      return { target: `${cpu}-pc-windows-msvc`, ext: 'zip' }
    default:
      return null
  }
}

export const describePlatform = (p: Platform) => `${p.os}/${p.arch}${p.libc ? `/${p.libc}` : ''}`

/**
 * Whether a wheel's platform tag (one of the dot-separated parts) can install here.
 * Python and ABI tags are not checked: which interpreter the commands pick is theirs to say.
 */
function platformTagFits(tag: string, p: Platform): boolean {
  if (tag === 'any') return true
  const cpu = CPU[p.arch]
  switch (p.os) {
    case 'linux': {
      const archOk = tag.endsWith(`_${cpu}`)
      if (!archOk) return false
      if (tag.startsWith('manylinux')) return p.libc !== 'musl'
      if (tag.startsWith('musllinux')) return p.libc === 'musl'
      return tag === `linux_${cpu}`
    }
    case 'darwin': {
      if (!tag.startsWith('macosx_')) return false
      const macArch = p.arch === 'arm64' ? ['arm64', 'universal2'] : ['x86_64', 'intel', 'universal2', 'universal']
      return macArch.some((a) => tag.endsWith(`_${a}`))
    }
    case 'win32':
      return tag === (p.arch === 'arm64' ? 'win_arm64' : 'win_amd64')
    default:
      return false
  }
}

/** Whether a wheel filename can install here; false for anything that is not a wheel. */
export function wheelFits(filename: string, p: Platform): boolean {
  if (!filename.endsWith('.whl')) return false
  const parts = filename.slice(0, -4).split('-')
  const plat = parts[parts.length - 1]
  return plat !== undefined && parts.length >= 5 && plat.split('.').some((t) => platformTagFits(t, p))
}
