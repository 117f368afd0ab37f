// PEP 503 name normalisation: runs of -, _ and . become one -, lower case.
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-')
}
