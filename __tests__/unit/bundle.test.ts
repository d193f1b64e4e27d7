/**
 * Runs the committed bundle the way the runner does: `node dist/index.js` with INPUT_* variables
 * and the GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files, then the post step: the same
 * file again, given the state the main step saved as STATE_* variables.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

interface StepResult {
  status: number | null;
  stdout: string;
  outputs: Record<string, string>;
  /** What the step saved for the post step (core.saveState). */
  state: Record<string, string>;
  summary: string;
}

/** Parses the runner's file-command format: `name<<DELIMITER\nvalue\nDELIMITER`. */
function readFileCommands(path: string): Record<string, string> {
  const result: Record<string, string> = {};
  const pattern = /^(.+?)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const [, name, , value] of readFileSync(path, 'utf8').matchAll(pattern)) result[name!] = value!;
  return result;
}

function runStep(
  entry: string,
  inputs: Record<string, string>,
  extraEnv: Record<string, string> = {},
): StepResult {
  const dir = mkdtempSync(join(tmpdir(), 'model-canary-step-'));
  const files = { GITHUB_OUTPUT: 'output', GITHUB_STATE: 'state', GITHUB_STEP_SUMMARY: 'summary' };
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', GITHUB_WORKSPACE: process.cwd() };
  for (const [variable, file] of Object.entries(files)) {
    env[variable] = join(dir, file);
    writeFileSync(env[variable]!, '');
  }
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  Object.assign(env, extraEnv);
  const child = spawnSync(process.execPath, [entry], { env, encoding: 'utf8' });
  return {
    status: child.status,
    stdout: child.stdout + child.stderr,
    outputs: readFileCommands(env['GITHUB_OUTPUT']!),
    state: readFileCommands(env['GITHUB_STATE']!),
    summary: readFileSync(env['GITHUB_STEP_SUMMARY']!, 'utf8'),
  };
}

const SHA = 'feedfacefeedfacefeedfacefeedfacefeedface';

describe('dist/index.js as the runner runs it', () => {
  it('renders the plan of a dry run and changes nothing', () => {
    const step = runStep('dist/index.js', {
      model: 'hack',
      image: 'localhost:5000/demo',
      name: 'demo',
      'canary-steps': '10,50',
      'dry-run': 'true',
    });
    expect(step.status).toBe(0);
    expect(step.outputs['decision']).toBe('skipped');
    expect(step.outputs['reason']).toMatch(/^dry-run/);
    expect(step.outputs['image']).toBe('localhost:5000/demo:dry-run');
    expect(step.stdout).toContain('stages: build → deploy-canary → analyse → decide');
    expect(step.summary).toContain('| traffic | auto, canary steps 10% → 50% |');
  });

  it('exits 1 with an annotation naming each bad input, and no secret in the log', () => {
    const step = runStep('dist/index.js', {
      model: 'hack',
      image: 'localhost:5000/demo',
      'probe-rate': 'fast',
      'registry-username': 'bot',
      'registry-password': 'hunter2-registry-secret',
      'build-secrets': 'hf_token=hf_abcdefSECRET',
    });
    expect(step.status).toBe(1);
    expect(step.stdout).toMatch(
      /^::error title=model-canary%3A input probe-rate::probe-rate: expected requests/m,
    );
    expect(step.stdout).toMatch(
      /^::error title=model-canary%3A input mode::mode: mode canary tags the image/m,
    );
    expect(step.stdout).toContain('::add-mask::hunter2-registry-secret');
    expect(step.stdout).toContain('::add-mask::hf_abcdefSECRET');
    const withoutMaskCommands = step.stdout.replace(/^::add-mask::.*$/gm, '');
    expect(withoutMaskCommands).not.toContain('hunter2-registry-secret');
    expect(withoutMaskCommands).not.toContain('hf_abcdefSECRET');
    expect(step.outputs['decision']).toBe('skipped');
    expect(step.outputs['reason']).toContain('probe-rate: expected requests per second');
  });

  it('stops at a missing builder before any cluster change, naming input builder', () => {
    const step = runStep(
      'dist/index.js',
      {
        model: 'examples/models/tiny-mlp',
        image: 'localhost:5000/demo',
        builder: 'buildctl',
        cache: 'none',
        // A usable kubeconfig (its server is never called: the build comes first).
        kubeconfig: [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]',
          'users: [{ name: u, user: { token: not-used } }]',
          'contexts: [{ name: x, context: { cluster: c, user: u } }]',
          'current-context: x',
        ].join('\n'),
      },
      // Only node itself on PATH: no buildctl, whatever the developer's machine has.
      { GITHUB_SHA: SHA, PATH: dirname(process.execPath) },
    );
    expect(step.status).toBe(1);
    expect(step.stdout).toMatch(
      /^::error title=model-canary%3A image build \(input builder\)::buildctl is not installed on the runner/m,
    );
    expect(step.stdout).not.toContain('Unexpected error');
    expect(step.stdout).not.toMatch(/model-canary: deploy-canary/);
    expect(step.outputs['decision']).toBe('failed');
    expect(step.outputs['reason']).toMatch(/^buildctl is not installed/);
  });
});

describe('the post step, as the runner starts it (dist/post.js) and by hand (dist/index.js with the state)', () => {
  it('reports that nothing is pending after a main step that changed nothing', () => {
    const main = runStep('dist/index.js', { model: 'hack', image: 'localhost:5000/demo', 'dry-run': 'true' });
    expect(main.status).toBe(0);
    expect(main.state['isPost']).toBe('true');
    const savedState = Object.fromEntries(
      Object.entries(main.state).map(([name, value]) => [`STATE_${name}`, value]),
    );
    const post = runStep('dist/index.js', {}, savedState);
    expect(post.status).toBe(0);
    expect(post.stdout).toContain('nothing pending');
    // action.yml's post entry is the post step whatever the state holds: even with none saved
    // (a main step killed before its first line), it never runs the main step.
    const runnersPost = runStep('dist/post.js', {}, {});
    expect(runnersPost.status).toBe(0);
    expect(runnersPost.stdout).toContain('nothing pending');
    // The post step, not the main step again: no plan, no outputs.
    for (const step of [post, runnersPost]) {
      expect(step.stdout).not.toContain('model-canary: plan');
      expect(step.outputs).toEqual({});
    }
  });
});
