import {readFile} from 'node:fs/promises'

import type {Virsh} from '../../../src/libvirt/virsh.js'

type Volume = {capacity: number; backing?: string; bytes?: Buffer}

/**
 * An in-memory libvirt storage API: the pools and volumes the box modules use. Faster than real
 * libvirt, and able to show states real libvirt reaches only through a crash (a half-uploaded volume).
 */
export class FakeVirsh {
  readonly uri = 'qemu:///system'
  readonly pools = new Map<string, Map<string, Volume>>()
  readonly calls: string[] = []
  /** Set to make the next upload fail. */
  failUpload?: Error

  addPool(name: string): Map<string, Volume> {
    const pool = new Map<string, Volume>()
    this.pools.set(name, pool)
    return pool
  }

  asVirsh(): Virsh {
    return this as unknown as Virsh
  }

  async poolInfo(pool: string) {
    return this.pools.has(pool) ? {Name: pool, State: 'running'} : undefined
  }

  async volumeInfo(pool: string, volume: string) {
    const vol = this.pools.get(pool)?.get(volume)
    return vol ? {Name: volume, Capacity: `${vol.capacity} bytes`} : undefined
  }

  async listVolumes(pool: string) {
    return [...(this.pools.get(pool)?.keys() ?? [])].sort()
  }

  async volumeXml(pool: string, volume: string) {
    const vol = this.pools.get(pool)?.get(volume)
    if (!vol) return undefined
    const backing = vol.backing ? `<backingStore><path>/pools/${pool}/${vol.backing}</path></backingStore>` : ''
    return `<volume type='file'><name>${volume}</name><capacity unit='bytes'>${vol.capacity}</capacity>${backing}</volume>`
  }

  async createVolume(pool: string, volume: string, capacity: number) {
    this.calls.push(`create ${pool}/${volume}`)
    this.pool(pool).set(volume, {capacity})
  }

  async uploadVolume(pool: string, volume: string, file: string) {
    this.calls.push(`upload ${pool}/${volume}`)
    if (this.failUpload) throw this.failUpload
    this.pool(pool).get(volume)!.bytes = await readFile(file)
  }

  async cloneVolumeFrom(pool: string, volume: string, fromPool: string, fromVolume: string, capacity: number) {
    this.calls.push(`clone ${fromPool}/${fromVolume} -> ${pool}/${volume}`)
    this.pool(pool).set(volume, {capacity, bytes: this.pool(fromPool).get(fromVolume)!.bytes})
  }

  async deleteVolume(pool: string, volume: string) {
    this.calls.push(`delete ${pool}/${volume}`)
    this.pool(pool).delete(volume)
  }

  async deleteVolumeIfPresent(pool: string, volume: string) {
    if (!this.pools.get(pool)?.has(volume)) return false
    await this.deleteVolume(pool, volume)
    return true
  }

  private pool(name: string): Map<string, Volume> {
    const pool = this.pools.get(name)
    if (!pool) throw new Error(`no pool ${name}`)
    return pool
  }
}
