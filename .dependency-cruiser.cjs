/**
 * The layers of src/, kept by `npm run lint` (dependency-cruiser). From the top:
 *   commands, cli, api, rl, eval, report, policy, rollout, tasks, model, config, onnx, util.
 * A folder imports at run time only folders below it; type-only imports (`import type`) are exempt
 * from the layer rule. No module-level import cycle is allowed (type-only imports included), and so
 * neither is a folder-level one: a strict order of folders admits none.
 * test/lint/layers.test.ts shows that an upward import fails this check.
 */
const LAYERS = ['commands', 'cli', 'api', 'rl', 'eval', 'report', 'policy', 'rollout', 'tasks', 'model', 'config', 'onnx', 'util'];

/** One rule per layer: nothing in it may import a layer above it at run time. */
const layerRules = LAYERS.slice(1).map((layer, i) => ({
  name: `layer-${layer}`,
  comment: `src/${layer} may import at run time only the layers below it (${LAYERS.slice(i + 2).join(', ') || 'none'}); move shared code down or the caller up`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${LAYERS.slice(0, i + 1).join('|')})/`, dependencyTypesNot: ['type-only'] },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'an import cycle between modules; break it with a leaf module (e.g. model/types.ts)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that does not resolve to a file or an installed package',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'only-known-layers',
      comment: `every folder of src/ is one of the layers: ${LAYERS.join(', ')}`,
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${LAYERS.join('|')})/` },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // resolve packages as Node's ESM loader does (package.json `exports`, the `import` condition)
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
