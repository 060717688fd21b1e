// A module resolution hook for running the dashboard's modules in Node.js: the node serves the JavaScript
// client's modules (clients/js/src) at /ui/client/, beside the dashboard's own files, so the dashboard imports
// them as ../client/….js. On disk they live in clients/js/src; this maps the one onto the other.
const site = '/src/Chainlab.Node/Dashboard/site/client/';

export async function resolve(specifier, context, next) {
  if (specifier.startsWith('.') && context.parentURL?.startsWith('file:')) {
    const url = new URL(specifier, context.parentURL).href;
    const at = url.indexOf(site);
    if (at >= 0) return next(url.slice(0, at) + '/clients/js/src/' + url.slice(at + site.length), context);
  }
  return next(specifier, context);
}
