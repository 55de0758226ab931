// A module resolve hook for the tests: imports of @zohocrm/nodejs-sdk-8.0
// and its files resolve to the stand-in next to this file, laid out like the
// installed package. The test file registers it (module.register) before it
// imports the store; a real project has the SDK in node_modules and no hook.
const SDK = "@zohocrm/nodejs-sdk-8.0";
const base = new URL("./@zohocrm/nodejs-sdk-8.0/", import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  if (specifier === SDK) {
    return nextResolve(new URL("lib/index.js", base).href, context);
  }
  if (specifier.startsWith(SDK + "/")) {
    return nextResolve(new URL(specifier.slice(SDK.length + 1), base).href, context);
  }
  return nextResolve(specifier, context);
}
