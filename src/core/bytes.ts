// Sizes in words a user reads at a glance: "512 bytes", "4 KiB", "2.5 MiB", "3 GiB".

export function formatBytes(n: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`
  let value = n
  let unit = 'bytes'
  for (const u of units) {
    if (value < 1024) break
    value /= 1024
    unit = u
  }
  return `${Number(value.toFixed(1))} ${unit}`
}
