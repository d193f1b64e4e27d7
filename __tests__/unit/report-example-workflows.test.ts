/**
 * examples/workflows are what users copy: they must agree with README.md's snippets (triggers,
 * permissions, jobs, inputs) and with action.yml (every `with:` key an input, every output read
 * one the action sets).
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { adaptWorkflow } from '../e2e/act.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const WORKFLOWS = join(ROOT, 'examples/workflows');

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

interface Workflow {
  on: unknown;
  permissions?: Record<string, string>;
  jobs: Record<string, { if?: string; steps: Step[] }>;
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
};

const examples = readdirSync(WORKFLOWS)
  .filter((file) => file.endsWith('.yml'))
  .map((file) => ({ file, workflow: parse(readFileSync(join(WORKFLOWS, file), 'utf8')) as Workflow }));

/** README's yaml blocks that are whole workflows (they have `on:`). */
const snippets = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((match) => parse(match[1]!) as Workflow | null)
  .filter(
    (snippet): snippet is Workflow => snippet !== null && typeof snippet === 'object' && 'on' in snippet,
  );

function actionSteps(workflow: Workflow): Step[] {
  return Object.values(workflow.jobs).flatMap((job) =>
    job.steps.filter((step) => step.uses?.startsWith('model-canary/model-canary@')),
  );
}

describe('examples/workflows', () => {
  it('has one example per README workflow snippet, with the same triggers, permissions and jobs', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(4);
    expect(examples).toHaveLength(snippets.length);
    const inputsOf = (workflow: Workflow) =>
      JSON.stringify(actionSteps(workflow).map((step) => Object.keys(step.with ?? {}).sort()));
    for (const snippet of snippets) {
      // Two examples may share a trigger (push to main): the one with the snippet's inputs is its.
      const example = examples.find(
        ({ workflow }) =>
          JSON.stringify(workflow.on) === JSON.stringify(snippet.on) &&
          inputsOf(workflow) === inputsOf(snippet),
      );
      expect(example).toBeDefined();
      const { workflow } = example!;
      if (snippet.permissions !== undefined) expect(workflow.permissions).toEqual(snippet.permissions);
      expect(Object.keys(workflow.jobs)).toEqual(Object.keys(snippet.jobs));
      for (const [name, job] of Object.entries(snippet.jobs)) expect(workflow.jobs[name]!.if).toEqual(job.if);
      const exampleInputs = actionSteps(workflow).map((step) => Object.keys(step.with ?? {}).sort());
      const snippetInputs = actionSteps(snippet).map((step) => Object.keys(step.with ?? {}).sort());
      expect(exampleInputs).toEqual(snippetInputs);
      expect(actionSteps(workflow).map((step) => step.with?.mode)).toEqual(
        actionSteps(snippet).map((step) => step.with?.mode),
      );
    }
  });

  it.each(examples.map(({ file, workflow }) => [file, workflow] as const))(
    '%s passes only inputs action.yml declares and reads only outputs it sets',
    (_file, workflow) => {
      const steps = actionSteps(workflow);
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) {
        for (const input of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(input);
      }
      const ids = new Set(steps.map((step) => step.id).filter((id) => id !== undefined));
      const text = JSON.stringify(workflow);
      for (const [, id, output] of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        expect(ids).toContain(id);
        expect(Object.keys(action.outputs)).toContain(output);
      }
    },
  );

  it('points every model path at a model that exists in this repository (hf:// ones are fetched at build)', () => {
    for (const { workflow } of examples) {
      for (const step of actionSteps(workflow)) {
        const model = step.with?.model;
        if (typeof model === 'string' && !model.startsWith('hf://'))
          expect(readdirSync(join(ROOT, model)).length).toBeGreaterThan(0);
      }
    }
  });
});

describe('the examples that build, on a GitHub-hosted runner and under act', () => {
  it.each(['canary.yml', 'preview.yml'])(
    '%s sets up buildx before the action, and the offline e2e drops that step',
    (example) => {
      const text = readFileSync(join(WORKFLOWS, example), 'utf8');
      expect(text).toMatch(
        /- uses: docker\/setup-buildx-action@v3\n\s+(- id: \w+\n\s+)?(- )?uses: model-canary\/model-canary@/,
      );
      expect(adaptWorkflow(example, {})).not.toContain('setup-buildx-action');
    },
  );
});
