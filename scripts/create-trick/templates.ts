import type { TrickNames } from './names.js'

/** Dependency versions the new package shares with the workspace (read from core's package.json). */
export interface Versions {
  readonly zod: string
  /** Peer range of @tensorflow/tfjs. */
  readonly tfjsPeer: string
  /** The exact @tensorflow/tfjs the workspace develops against. */
  readonly tfjs: string
}

/** The files of a new trick package, by path relative to the package folder. */
export function trickPackageFiles(n: TrickNames, v: Versions): Record<string, string> {
  return {
    'package.json': packageJson(n, v),
    'tsconfig.build.json': tsconfigBuild,
    'src/index.ts': index(n),
    [`src/${n.name}.ts`]: trick(n),
    'src/bench-suite.ts': benchSuite(n),
    'test/contract.test.ts': contractTest(n),
    'README.md': methodCard(n),
  }
}

const entry = (file: string) => ({ types: `./${file}.ts`, default: `./${file}.ts` })
const built = (file: string) => ({ types: `./dist/${file}.d.ts`, default: `./dist/${file}.js` })

function packageJson(n: TrickNames, v: Versions): string {
  const pkg = {
    name: n.packageName,
    version: '0.1.0',
    description: `${n.name}: a converge trick`,
    type: 'module',
    license: 'Apache-2.0',
    sideEffects: false,
    // In the workspace the sources are the entry points; a packed tarball points at dist/.
    exports: { '.': entry('src/index'), './bench': entry('src/bench-suite') },
    publishConfig: { exports: { '.': built('index'), './bench': built('bench-suite') } },
    files: ['dist', 'src', 'README.md'],
    scripts: { build: 'tsc -p tsconfig.build.json' },
    dependencies: { '@converge/core': 'workspace:*', zod: v.zod },
    peerDependencies: { '@tensorflow/tfjs': v.tfjsPeer, '@converge/tasks': 'workspace:^', '@converge/bench': 'workspace:^' },
    peerDependenciesMeta: { '@converge/tasks': { optional: true }, '@converge/bench': { optional: true } },
    devDependencies: { '@tensorflow/tfjs': v.tfjs, '@converge/tasks': 'workspace:*', '@converge/bench': 'workspace:*' },
  }
  return `${JSON.stringify(pkg, null, 2)}\n`
}

const tsconfigBuild = `{
  "extends": "../../../tsconfig.base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist" },
  "include": ["src"],
  "exclude": ["src/**/*.test.ts"]
}
`

const index = (n: TrickNames) => `export { ${n.camel}, ${n.camel}OptionsSchema, type ${n.pascal}Options, type Resolved${n.pascal}Options } from './${n.name}.js'
`

const trick = (n: TrickNames) => `import * as tf from '@tensorflow/tfjs'
import { parseOptions, type Trick } from '@converge/core'
import { z } from 'zod'

/**
 * Options of \`${n.camel}\`. Every field has a default; \`.strict()\` turns a misspelt option into an
 * error that names the nearest allowed one.
 */
export const ${n.camel}OptionsSchema = z
  .object({
    /** Noise scale η: the noise variance at step t is η / (1 + t)^γ. 0 switches the noise off. */
    eta: z.number().min(0).default(0.01),
    /** Decay exponent γ of the noise variance. */
    gamma: z.number().min(0).default(0.55),
  })
  .strict()

export type ${n.pascal}Options = z.input<typeof ${n.camel}OptionsSchema>
export type Resolved${n.pascal}Options = z.output<typeof ${n.camel}OptionsSchema>

/**
 * ${n.name}. Starter implementation, to be replaced by the method: annealed Gaussian gradient
 * noise (Neelakantan et al., 2015): before each optimizer step every gradient gets noise drawn
 * from N(0, η / (1 + t)^γ). It shows the shape a trick keeps: options parsed by the schema,
 * randomness from the run's seeded stream (\`ctx.rng()\`), no tensor outliving its step.
 */
export function ${n.camel}(options: ${n.pascal}Options = {}): Trick {
  const o = parseOptions(${n.camel}OptionsSchema, options, '${n.camel} options')
  return {
    name: '${n.name}',
    options: o,
    afterBackward(ctx, grads) {
      const std = Math.sqrt(o.eta / Math.pow(1 + ctx.step, o.gamma))
      const noisy: tf.NamedTensorMap = {}
      // The step's tf.tidy frees the noise; the loop owns the returned gradients.
      for (const [name, g] of Object.entries(grads)) noisy[name] = tf.add(g, tf.randomNormal(g.shape, 0, std, 'float32', ctx.rng().opSeed()))
      return noisy
    },
  }
}
`

const benchSuite = (n: TrickNames) => `import { syntheticClassification } from '@converge/core'
import { defineSuite, type ArmSpec } from '@converge/core/suite'
import { ${n.camel} } from './${n.name}.js'

/**
 * Every arm trains with Adam at this rate: the task's default, not a tuned rate (the optimizer-sanity
 * suite tunes Adam over 3e-3, 1e-2 and 3e-2 on this task and may choose another). Before quoting
 * numbers, tune each arm as carefully as the baseline (an arm's \`tune\` grid) and say how in \`notes\`.
 */
const LEARNING_RATE = 3e-3
const optimizer = { name: 'adam', learningRate: LEARNING_RATE } as const

const arms: ArmSpec[] = [
  { name: 'adam', description: \`Adam, lr \${LEARNING_RATE}, no trick (baseline)\`, tricks: () => [], optimizer },
  { name: '${n.name}', description: \`${n.name} with its default options; lr \${LEARNING_RATE}\`, tricks: () => [${n.camel}()], optimizer },
  {
    // Negative control: the trick's code path with its mechanism switched off (η = 0 adds exactly
    // zero). Its speed-up must be 1: anything else is a bug in the plumbing, not an effect of the
    // method. Replace it with the setting where the method's own math predicts no gain.
    name: '${n.name}-off',
    description: \`negative control: ${n.name} with η = 0 (no noise); must tie the baseline; lr \${LEARNING_RATE}\`,
    tricks: () => [${n.camel}({ eta: 0 })],
    optimizer,
  },
]

export const ${n.suite} = defineSuite({
  name: '${n.name}',
  description: '${n.name} vs Adam on the synthetic classification task, with a negative control; steps to 85% held-out accuracy.',
  task: () => syntheticClassification({ targetAccuracy: 0.85 }),
  arms,
  baseline: 'adam',
  sizes: {
    quick: { seeds: 3, maxSteps: 1200, evalEvery: 25 },
    full: { seeds: 10, maxSteps: 2000, evalEvery: 25 },
  },
  target: { kind: 'explicit', target: { metric: 'accuracy', direction: 'max', value: 0.85 } },
  notes: \`Every arm uses Adam at lr \${LEARNING_RATE}, the baseline's best rate on this task (optimizer-sanity suite); the trick's rate is not tuned. The negative control runs the trick with its mechanism off and must tie the baseline.\`,
})
`

const contractTest = (n: TrickNames) => `import { trickContractSuite } from '@converge/core/testing'
import { ${n.camel} } from '../src/index.js'

// No tensor leaks, determinism, hook order, state round trip, still trainable. The kit's default
// task (a small synthetic classification) fits a trick that needs no capability; pass \`task\` for
// one that does, and \`steps\` long enough to cover any setup phase.
trickContractSuite('${n.name}', { makeTrick: () => ${n.camel}(), backend: 'cpu' })
trickContractSuite('${n.name} (off)', { makeTrick: () => ${n.camel}({ eta: 0 }), backend: 'cpu' })
`

const methodCard = (n: TrickNames) => `# ${n.packageName}

One paragraph: the method, the paper it comes from (with a link), and the claim it makes.

The package currently holds a starter implementation, annealed Gaussian gradient noise
(Neelakantan et al., 2015, [arXiv:1511.06807](https://arxiv.org/abs/1511.06807)), to be replaced
by the method.

\`\`\`ts
import { train, syntheticClassification } from '@converge/core'
import { ${n.camel} } from '${n.packageName}'

const result = await train({ task: syntheticClassification(), tricks: [${n.camel}()], maxSteps: 500, seed: 1 })
\`\`\`

## What it does

Before each optimizer step, every gradient \`g\` becomes \`g + ε\` with \`ε ~ N(0, η / (1 + t)^γ)\`,
\`t\` the step. The noise is drawn from the run's seeded stream, so the same seed gives the same
numbers. State the update as the code computes it, and where it runs in the loop (which hooks).

## When to use it

The setting the method is for, and where it has nothing to gain (say which of the bench's tasks
show each).

## Options

| option | default | meaning |
|---|---|---|
| \`eta\` | 0.01 | noise scale η; 0 switches the noise off |
| \`gamma\` | 0.55 | decay exponent γ of the noise variance |

## Measured results

Not measured yet. Run \`pnpm bench --suite ${n.name} --full\` and quote the report's table here with
the command, the seeds, the target, how each arm's learning rate was chosen, and the negative
control's result. If the trick does not beat the baseline, say so with the numbers.

## Differences from the paper

What differs from the paper and its official code (defaults, schedules, models), and why.

## Pitfalls

What goes wrong in practice: settings that diverge, interactions with other tricks, costs that
steps do not show.
`
