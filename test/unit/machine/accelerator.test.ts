import {expect} from 'chai'

import {chooseDomainType, type AcceleratorFacts} from '../../../src/machine/accelerator.js'
import type {Accelerator} from '../../../src/vmfile/types.js'
import {thrownVmError} from '../fixture.js'

const USABLE: AcceleratorFacts = {offered: ['qemu', 'kvm']}
const NOT_OFFERED: AcceleratorFacts = {offered: ['qemu']}
const NO_DEVICE: AcceleratorFacts = {offered: ['qemu', 'kvm'], kvmDeviceProblem: '/dev/kvm does not exist'}

const NOTE_NOT_OFFERED = 'KVM is not usable (libvirt offers no KVM on this host); using software emulation, which is much slower.'
const NOTE_NO_DEVICE = 'KVM is not usable (/dev/kvm does not exist); using software emulation, which is much slower.'

describe('machine/accelerator', () => {
  const table: Array<[Accelerator, AcceleratorFacts, {type: 'kvm' | 'qemu'; note?: string}]> = [
    ['auto', USABLE, {type: 'kvm'}],
    ['auto', NOT_OFFERED, {type: 'qemu', note: NOTE_NOT_OFFERED}],
    ['auto', NO_DEVICE, {type: 'qemu', note: NOTE_NO_DEVICE}],
    ['kvm', USABLE, {type: 'kvm'}],
    ['tcg', USABLE, {type: 'qemu'}],
    ['tcg', NOT_OFFERED, {type: 'qemu'}],
    ['tcg', NO_DEVICE, {type: 'qemu'}],
  ]
  for (const [requested, facts, choice] of table) {
    it(`${requested} with offered=[${facts.offered.join(',')}]${facts.kvmDeviceProblem ? ' and no /dev/kvm' : ''} → ${choice.type}`, () => {
      expect(chooseDomainType(requested, facts)).to.deep.equal(choice)
    })
  }

  it('kvm where libvirt offers none: KVM_UNAVAILABLE with the tcg hint', () => {
    const error = thrownVmError(() => chooseDomainType('kvm', NOT_OFFERED))
    expect(error.code).to.equal('KVM_UNAVAILABLE')
    expect(error.exitCode).to.equal(1)
    expect(error.message).to.equal('accelerator: kvm was asked for, but libvirt offers no KVM on this host.')
    expect(error.hint).to.equal('Set `accelerator: tcg` in the Vmfile (or VM_ACCELERATOR=tcg) to use software emulation, or run `vm` where KVM works.')
  })

  it("kvm where /dev/kvm is not usable: the device's problem in the message", () => {
    const error = thrownVmError(() => chooseDomainType('kvm', {offered: ['qemu', 'kvm'], kvmDeviceProblem: '/dev/kvm is not usable (EACCES)'}))
    expect(error.code).to.equal('KVM_UNAVAILABLE')
    expect(error.message).to.equal('accelerator: kvm was asked for, but /dev/kvm is not usable (EACCES).')
  })
})
