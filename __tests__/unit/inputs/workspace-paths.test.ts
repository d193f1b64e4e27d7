/**
 * Repository paths resolved through real symbolic links in a temporary workspace: anything that
 * leads outside it (a linked file, a linked parent folder, a link inside a model folder) is
 * refused as an input error naming the input and where the link really goes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, type InputProblem } from '../../../src/errors.ts';
import type { InputName } from '../../../src/inputs/input-names.ts';
import { parseInputs, repositoryFiles } from '../../../src/inputs/read.ts';
import { PUSH } from '../../fixtures/inputs.ts';

let base: string;
let workspace: string;
let outside: string;

beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'model-canary-paths-')));
  workspace = join(base, 'repo');
  outside = join(base, 'runner-home');
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.onnx'), 'not ours');
  writeFileSync(join(outside, 'Dockerfile'), 'FROM scratch');
  writeFileSync(join(outside, 'requests.jsonl'), '{"id": "a", "inputs": []}\n');
  mkdirSync(join(outside, 'models'));
  writeFileSync(join(outside, 'models', 'model.onnx'), 'not ours');

  mkdirSync(join(workspace, 'models', 'resnet'), { recursive: true });
  writeFileSync(join(workspace, 'models', 'resnet', 'model.onnx'), 'ours');
  writeFileSync(join(workspace, 'requests.jsonl'), '{"id": "a", "inputs": []}\n');
  writeFileSync(join(workspace, 'expected.jsonl'), '{"id": "a", "outputs": []}\n');
  writeFileSync(join(workspace, 'Dockerfile'), 'FROM scratch');
  // Links that stay inside the workspace are fine.
  symlinkSync(join(workspace, 'models', 'resnet'), join(workspace, 'current'));
  // Links out: a file, a parent folder, and one inside a model folder (dangling ones too).
  symlinkSync(join(outside, 'secret.onnx'), join(workspace, 'linked.onnx'));
  symlinkSync(outside, join(workspace, 'vendor'));
  mkdirSync(join(workspace, 'models', 'leaky', 'weights'), { recursive: true });
  writeFileSync(join(workspace, 'models', 'leaky', 'config.json'), '{}');
  symlinkSync(join(outside, 'secret.onnx'), join(workspace, 'models', 'leaky', 'weights', 'model.onnx'));
  mkdirSync(join(workspace, 'models', 'dangling'));
  writeFileSync(join(workspace, 'models', 'dangling', 'model.onnx'), 'ours');
  symlinkSync(join(outside, 'gone'), join(workspace, 'models', 'dangling', 'extra'));
  symlinkSync(join(outside, 'Dockerfile'), join(workspace, 'Dockerfile.linked'));
  symlinkSync(join(outside, 'requests.jsonl'), join(workspace, 'requests.linked.jsonl'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

function problemsOf(inputs: Partial<Record<InputName, string>>, root = workspace): InputProblem[] {
  const all: Partial<Record<InputName, string>> = { image: 'ghcr.io/acme/resnet', ...inputs };
  try {
    parseInputs({ get: (name) => all[name] ?? '', run: PUSH, ...repositoryFiles(root) });
    return [];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return [...error.problems];
  }
}

describe('repository paths and symbolic links', () => {
  it.each<[string, Partial<Record<InputName, string>>, InputName, () => string]>([
    ['a linked model file', { model: 'linked.onnx' }, 'model', () => join(outside, 'secret.onnx')],
    [
      'a model under a linked parent folder',
      { model: 'vendor/models' },
      'model',
      () => join(outside, 'models'),
    ],
    [
      'a model folder with a link out inside it',
      { model: 'models/leaky' },
      'model',
      () => join(outside, 'secret.onnx'),
    ],
    [
      'a model folder with a dangling link out',
      { model: 'models/dangling' },
      'model',
      () => join(outside, 'gone'),
    ],
    [
      'a linked Dockerfile',
      { model: 'models/resnet', dockerfile: 'Dockerfile.linked' },
      'dockerfile',
      () => join(outside, 'Dockerfile'),
    ],
    [
      'a linked probe-payload',
      { model: 'models/resnet', 'probe-payload': 'requests.linked.jsonl' },
      'probe-payload',
      () => join(outside, 'requests.jsonl'),
    ],
    [
      'an expected-outputs file under a linked folder',
      {
        model: 'models/resnet',
        'probe-payload': 'requests.jsonl',
        'expected-outputs': 'vendor/requests.jsonl',
      },
      'expected-outputs',
      () => join(outside, 'requests.jsonl'),
    ],
  ])('refuses %s, naming the input and the real target', (_, inputs, input, target) => {
    const problem = problemsOf(inputs).find((p) => p.input === input);
    expect(problem?.message).toContain(`leads outside the workspace, to ${target()}`);
  });

  it('accepts paths, and links, that stay inside the workspace', () => {
    expect(
      problemsOf({
        model: 'current',
        dockerfile: 'Dockerfile',
        'probe-protocol': 'v2',
        'probe-payload': 'requests.jsonl',
      }),
    ).toEqual([]);
    expect(
      problemsOf({
        model: 'models/resnet',
        'probe-payload': 'requests.jsonl',
        'expected-outputs': 'expected.jsonl',
      }),
    ).toEqual([]);
  });

  it('accepts a workspace that is itself reached through a link', () => {
    const linkedWorkspace = join(base, 'workspace-link');
    symlinkSync(workspace, linkedWorkspace);
    expect(problemsOf({ model: 'models/resnet/model.onnx' }, linkedWorkspace)).toEqual([]);
    expect(problemsOf({ model: 'linked.onnx' }, linkedWorkspace)[0]?.input).toBe('model');
  });
});
