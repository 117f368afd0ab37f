// Fetches one project's page from a simple index (PEP 691 JSON preferred, PEP 503 HTML accepted).
import { HttpStatusError, getText } from './http'
import { normalizeName } from '../core/names'
import { IndexFormatError, SIMPLE_ACCEPT, parsePage, type ProjectPage } from '../core/simple-api'
import { UserError } from '../core/vocabulary'
import { redactUrl } from './secrets'

export const PYPI = 'https://pypi.org/simple/'
export const TEST_PYPI = 'https://test.pypi.org/simple/'

const withSlash = (u: string) => (u.endsWith('/') ? u : `${u}/`)

export function projectUrl(indexUrl: string, project: string): string {
  return new URL(`${normalizeName(project)}/`, withSlash(indexUrl)).toString()
}

/** Same index, spelled with or without a trailing slash. */
export function sameIndex(a: string, b: string): boolean {
  return withSlash(a) === withSlash(b)
}

export async function fetchProject(indexUrl: string, project: string): Promise<ProjectPage> {
  const url = projectUrl(indexUrl, project)
  try {
    const page = await getText(url, { accept: SIMPLE_ACCEPT })
    return parsePage(page.text, page.contentType, page.url, project)
  } catch (e) {
    if (e instanceof HttpStatusError && e.status === 404) {
      throw new UserError(`Package '${project}' was not found on ${redactUrl(indexUrl)} (HTTP 404 for ${redactUrl(url)}): check 'package', 'companion-packages' and 'index-url'.`)
    }
    if (e instanceof HttpStatusError) {
      throw new UserError(`The index ${redactUrl(indexUrl)} answered HTTP ${e.status} for '${project}' (${redactUrl(e.url)}), also after retries: try again later or check 'index-url'.`)
    }
    if (e instanceof IndexFormatError) {
      throw new UserError(`The index page ${redactUrl(url)} could not be read: ${e.message}. Check that 'index-url' is the root of a simple index (PEP 503/691).`)
    }
    throw e
  }
}
