/**
 * The entry point of both steps (action.yml: main and post are dist/index.js). Each step's module
 * is imported only when that step runs, so neither loads the other's code (docs/bundle.md).
 */
import { isPostStep } from './github/step-state.ts';

await (isPostStep() ? await import('./post.ts') : await import('./main.ts')).run();
