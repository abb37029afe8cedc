// All English messages as one module, so choosing English costs one request, not one per area
// (lib/i18n.js keys them by area, as it does the Chinese).
export default import.meta.glob('./en/*.json', { eager: true })
