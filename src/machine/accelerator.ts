import {VmError} from '../errors.js'
import type {Accelerator} from '../vmfile/types.js'

export type AcceleratorFacts = {
  /** Virtualization types libvirt offers for the host's architecture (e.g. ['qemu', 'kvm']). */
  readonly offered: readonly string[]
  /** Why /dev/kvm cannot be used by us, or undefined when it can (or cannot be checked remotely). */
  readonly kvmDeviceProblem?: string
}

export type DomainTypeChoice = {readonly type: 'kvm' | 'qemu'; readonly note?: string}

/**
 * Turns the Vmfile's accelerator into libvirt's domain type. auto = kvm where libvirt offers it
 * and /dev/kvm is usable, else QEMU's software emulation (TCG) with a note saying why. Pure.
 */
export function chooseDomainType(requested: Accelerator, facts: AcceleratorFacts): DomainTypeChoice {
  const kvmProblem = !facts.offered.includes('kvm') ? 'libvirt offers no KVM on this host' : facts.kvmDeviceProblem
  if (requested === 'tcg') return {type: 'qemu'}
  if (requested === 'kvm') {
    if (kvmProblem) {
      throw new VmError(`accelerator: kvm was asked for, but ${kvmProblem}.`, {
        code: 'KVM_UNAVAILABLE',
        hint: 'Set `accelerator: tcg` in the Vmfile (or VM_ACCELERATOR=tcg) to use software emulation, or run `vm` where KVM works.',
      })
    }
    return {type: 'kvm'}
  }
  if (kvmProblem) return {type: 'qemu', note: `KVM is not usable (${kvmProblem}); using software emulation, which is much slower.`}
  return {type: 'kvm'}
}
