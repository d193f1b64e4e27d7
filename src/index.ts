/**
 * The entry point of both steps. action.yml runs dist/index.js as the main step and dist/post.js,
 * which only imports this file (hack/finish-bundle.ts), as the post step: the runner's own choice,
 * known from the file it started, so a main step killed at any moment, even before its first line
 * ran, cannot make its post step run as a main step. dist/index.js started with the saved state
 * (STATE_isPost, which the main step saves first) is the post step too, as scripts that run the
 * bundle by hand do. Each step's module is imported only when that step runs (docs/bundle.md).
 */
import { basename } from 'node:path';
import { isPostStep } from './github/step-state.ts';

const postStep = basename(process.argv[1] ?? '') === 'post.js' || isPostStep();
await (postStep ? await import('./post.ts') : await import('./main.ts')).run();
