// All English messages as one module, so choosing English costs one request, not one per area.
const modules = import.meta.glob('./en/*.json', { eager: true })

export default Object.fromEntries(Object.entries(modules).map(([path, module]) =>
  [path.split('/').pop().replace(/\.json$/, ''), module.default ?? module]))
