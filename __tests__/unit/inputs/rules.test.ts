import { describe, expect, it } from '@jest/globals';
import type { BadInput } from '../../fixtures/inputs.ts';
import { itNamesTheInput, parse, PULL_REQUEST, PUSH, TAG, VALID } from '../../fixtures/inputs.ts';

describe('rules across sections', () => {
  it('gives release tags from a semver tag ref', () => {
    expect(parse({ ...VALID, mode: 'release' }, TAG).releaseVersion).toEqual({
      major: 1,
      minor: 2,
      patch: 3,
    });
    expect(
      parse({ ...VALID, mode: 'release' }, { ...TAG, ref: 'refs/tags/2.0.0-rc.1' }).releaseVersion,
    ).toEqual({
      major: 2,
      minor: 0,
      patch: 0,
      prerelease: 'rc.1',
    });
  });

  it('accepts modes that need no build without model or image when a name is given', () => {
    expect(parse({ mode: 'revert', name: 'resnet' }).mode).toBe('revert');
    expect(parse({ mode: 'cleanup', name: 'resnet' }, PULL_REQUEST).run.pullRequest).toBe(7);
    // Outside a pull request, cleanup is for the canary target (what a dead run left on it).
    expect(parse({ mode: 'cleanup', name: 'resnet' }).run.pullRequest).toBeUndefined();
  });

  it('pairs expected outputs with the requests of the same key', () => {
    const settings = parse({
      ...VALID,
      'probe-payload': 'probe/request.json',
      'expected-outputs': 'probe/request.expected.json',
    });
    expect(settings.answers.expected?.entries.map((entry) => entry.id)).toEqual(['request']);
    expect(settings.probe.requests?.entries.map((entry) => entry.id)).toEqual(['request']);
  });

  it('leaves the comparison to the build when runtime auto has not found the protocol yet', () => {
    expect(parse({ ...VALID, compare: 'text' }).answers.compare).toBe('text');
    expect(parse({ ...VALID, compare: 'tensor' }).answers.compare).toBe('tensor');
  });

  it('takes TTFT and TPOT bounds for OpenAI probes that stream, and leaves runtime auto to the build', () => {
    const bounds = { 'max-regression-ttft': '20%', 'max-regression-tpot': '0.3' };
    expect(
      parse({ ...VALID, ...bounds, 'probe-protocol': 'openai', 'probe-payload': 'probe/chat.jsonl' }).gate,
    ).toMatchObject({ maxRegressionTtft: 0.2, maxRegressionTpot: 0.3 });
    expect(parse({ ...VALID, ...bounds, runtime: 'vllm' }).gate.maxRegressionTtft).toBe(0.2);
    expect(parse({ ...VALID, ...bounds }).gate.maxRegressionTpot).toBe(0.3);
  });

  it('lets a dry run go without a commit SHA', () => {
    expect(parse({ ...VALID, 'dry-run': 'true' }, { ...PUSH, sha: '' }).dryRun).toBe(true);
  });
});

const BAD_INPUTS_ACROSS_SECTIONS: BadInput[] = [
  ['canary without model', { image: 'ghcr.io/acme/x' }, 'model', /needs a model/],
  ['canary without image', { model: 'models/resnet50' }, 'image', /needs the repository/],
  ['preview outside a pull request', { ...VALID, mode: 'preview' }, 'mode', /pull_request event/],
  ['release on a branch', { ...VALID, mode: 'release' }, 'mode', /tag such as v1.2.3/],
  [
    'release with a non-semver tag',
    { ...VALID, mode: 'release' },
    'mode',
    /tag such as v1.2.3/,
    { ...PUSH, ref: 'refs/tags/latest' },
  ],
  ['canary outside a workflow', VALID, 'mode', /GITHUB_SHA/, { ...PUSH, sha: '' }],
  [
    'runtime dockerfile without a probe protocol',
    { ...VALID, dockerfile: 'serving/Dockerfile' },
    'probe-protocol',
    /runtime dockerfile has no known protocol/,
  ],
  [
    'tensor comparison of OpenAI answers',
    { ...VALID, compare: 'tensor', 'probe-protocol': 'openai' },
    'compare',
    /probe-protocol openai answers text/,
  ],
  [
    'tensor comparison of a vLLM model (OpenAI without probe-protocol)',
    { ...VALID, compare: 'tensor', runtime: 'vllm' },
    'compare',
    /runtime vllm answers text/,
  ],
  [
    'text comparison of a Triton model',
    { ...VALID, compare: 'text', runtime: 'triton' },
    'compare',
    /runtime triton answers tensors/,
  ],
  [
    'text comparison of V2 answers',
    { ...VALID, compare: 'text', 'probe-protocol': 'v2' },
    'compare',
    /probe-protocol v2 answers tensors/,
  ],
  [
    'expected outputs without a request set',
    { ...VALID, 'expected-outputs': 'probe/request.expected.json' },
    'expected-outputs',
    /set probe-payload too/,
  ],
  [
    'expected outputs with a key the request set lacks',
    { ...VALID, 'probe-payload': 'probe/set.jsonl', 'expected-outputs': 'probe/expected.jsonl' },
    'expected-outputs',
    /probe\/expected.jsonl line 2: key 'dog' is not a request of probe-payload \(its ids: cat, 3\)/,
  ],
  [
    'TTFT bound for a V2 probe',
    { ...VALID, 'probe-protocol': 'v2', 'max-regression-ttft': '20%' },
    'max-regression-ttft',
    /probe-protocol v2 sends no such request; remove it, or probe with probe-protocol openai/,
  ],
  [
    'TPOT bound for a Triton model',
    { ...VALID, runtime: 'triton', 'max-regression-tpot': '20%' },
    'max-regression-tpot',
    /runtime triton sends no such request/,
  ],
  [
    'pause-after in release mode',
    { ...VALID, mode: 'release', 'canary-steps': '10,50', 'pause-after': '10' },
    'pause-after',
    /moves the floating release tags when it promotes, which a later mode promote cannot do/,
    TAG,
  ],
  [
    'pause in preview mode',
    { ...VALID, mode: 'preview', pause: 'true' },
    'pause',
    /mode preview walks no canary steps/,
    PULL_REQUEST,
  ],
  [
    'pause in promote mode',
    { mode: 'promote', name: 'resnet', pause: 'true' },
    'pause',
    /mode promote walks no canary steps/,
  ],
  [
    'TPOT bound for OpenAI requests that do not stream',
    {
      ...VALID,
      'probe-protocol': 'openai',
      'probe-payload': 'probe/set.jsonl',
      'max-regression-tpot': '20%',
    },
    'max-regression-tpot',
    /no request of probe-payload sets "stream": true/,
  ],
];

describe('rules across sections: bad values', () => {
  itNamesTheInput(BAD_INPUTS_ACROSS_SECTIONS, [
    'compare',
    'expected-outputs',
    'image',
    'max-regression-tpot',
    'max-regression-ttft',
    'mode',
    'model',
    'pause',
    'pause-after',
    'probe-protocol',
  ]);
});
