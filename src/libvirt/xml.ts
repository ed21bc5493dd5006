import {XMLBuilder, XMLParser} from 'fast-xml-parser'

/**
 * The one XML builder: attributes are keys starting with "@_", every text and attribute value is
 * escaped by the builder, and empty elements come out as <x/>. Nothing user-supplied is ever
 * concatenated into XML by hand.
 */
const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
})

export type XmlNode = {[key: string]: XmlValue}
export type XmlValue = string | number | XmlNode | XmlNode[] | undefined

export function renderXml(root: XmlNode): string {
  return builder.build(root) as string
}

/**
 * Parses libvirt's XML keeping every value a string: the default would turn <name>007</name>
 * into the number 7. Elements named in `arrays` are always arrays, even when there is one.
 */
export function parseXml(text: string, arrays: readonly string[] = []): XmlNode {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    removeNSPrefix: false,
    isArray: (name) => arrays.includes(name),
  })
  return parser.parse(text) as XmlNode
}
