/**
 * Writes the small ISO 9660 image that carries a cloud-init NoCloud seed (volume label `cidata`),
 * so that vm needs neither genisoimage nor xorriso.
 *
 * The image holds a flat root folder of regular files and names each file three ways:
 * - plain ISO 9660 (ECMA-119 2nd edition, 1987; the clause numbers in ./iso9660/ refer to it) at
 *   interchange level 1: upper-case 8.3 names such as `USER_DAT.;1`, which every reader
 *   understands and nobody wants to see;
 * - Rock Ridge (RRIP 1.09, "RRIP_1991A", recorded with SUSP): the real names plus POSIX modes and
 *   times. Linux's isofs prefers it over Joliet, so this is what cloud-init sees in the guest;
 * - Joliet (UCS-2 level 3): the real names again, for readers without Rock Ridge.
 * blkid and cloud-init take the volume label from the Primary Volume Descriptor, which (like
 * genisoimage -volid) records it exactly as given.
 *
 * Nothing depends on the clock or the machine: the caller passes the timestamp, so the same spec
 * always renders the same bytes.
 *
 * The writer lives in ./iso9660/: render.ts lays out the sectors (its header maps them) and
 * assembles the image from spec.ts (the input, checked), names.ts (level 1 and Joliet names),
 * dates.ts, directory.ts and directory-record.ts (the root folders and their records), susp.ts
 * (SUSP and Rock Ridge entries), descriptors.ts (volume descriptors and path tables), sectors.ts
 * and bytes.ts (both-endian numbers and byte helpers).
 */
export {renderIso9660} from './iso9660/render.js'
export type {IsoFile, IsoSpec} from './iso9660/spec.js'
