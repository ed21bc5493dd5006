import {createHash} from 'node:crypto'
import {basename} from 'node:path'

/**
 * libvirt names for a project's machines. The project folder's name makes them readable in
 * `virsh list`; a hash of its absolute path keeps two projects in folders of the same name apart.
 */
export function domainName(projectDir: string, machine: string): string {
  return `${projectSlug(projectDir)}-${machine}-${projectHash(projectDir)}`
}

export function overlayVolumeName(domain: string): string {
  return `${domain}.qcow2`
}

export function seedVolumeName(domain: string): string {
  return `${domain}-seed.iso`
}

/** One base volume per box per libvirt host, named by content so every project shares it. */
export function baseVolumeName(boxSha256: string): string {
  return `${boxSha256}.qcow2`
}

/** The folder name reduced to what libvirt and hostnames accept, at most 24 characters. */
export function projectSlug(projectDir: string): string {
  const slug = basename(projectDir)
    .toLowerCase()
    .replaceAll(/[^a-z0-9]+/g, '-')
    .replaceAll(/^-+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/, '')
  return slug || 'project'
}

export function projectHash(projectDir: string): string {
  return createHash('sha256').update(projectDir).digest('hex').slice(0, 8)
}
