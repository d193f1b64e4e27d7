import { describe, expect, it } from '@jest/globals';
import {
  concreteShape,
  firstOpenAiModel,
  openAiChatRequest,
  openAiStreamScanner,
  parseModelMetadata,
  parseV2InferPath,
  plainHttpRequest,
  prepareProbe,
  probeProtocolFor,
  readinessChecks,
  requestsOfSet,
  v2InferRequest,
  v2RequestFromMetadata,
  type ArmGet,
} from '../../../src/load/protocols.ts';
import { xoshiro128, type Random } from '../../../src/stats/random.ts';
import { ARM_HEADER, describeArm, serviceProxyPath, urlArmTarget } from '../../../src/load/targets.ts';

const RESNET_METADATA = {
  name: 'resnet',
  versions: ['1'],
  platform: 'onnxruntime_onnx',
  inputs: [
    { name: 'input', datatype: 'FP32', shape: [-1, 3, 2, 2] },
    { name: 'mask', datatype: 'BOOL', shape: [3] },
    { name: 'ids', datatype: 'INT64', shape: [-1, -1] },
    { name: 'prompt', datatype: 'BYTES', shape: [1] },
  ],
  outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 1000] }],
};

describe('v2 (Open Inference Protocol)', () => {
  it('reads the model and version from an infer path', () => {
    expect(parseV2InferPath('/v2/models/resnet/infer')).toEqual({ model: 'resnet' });
    expect(parseV2InferPath('/v2/models/resnet/versions/3/infer')).toEqual({ model: 'resnet', version: '3' });
    expect(parseV2InferPath('/v2/models/resnet/ready')).toBeUndefined();
    expect(parseV2InferPath('/predict')).toBeUndefined();
  });

  it('builds a valid request from the metadata: -1 dims as 1, deterministic values per datatype', () => {
    const request = v2RequestFromMetadata(parseModelMetadata(RESNET_METADATA));
    expect(request).toEqual({
      inputs: [
        {
          name: 'input',
          shape: [1, 3, 2, 2],
          datatype: 'FP32',
          data: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 0],
        },
        { name: 'mask', shape: [3], datatype: 'BOOL', data: [true, false, true] },
        { name: 'ids', shape: [1, 1], datatype: 'INT64', data: [0] },
        { name: 'prompt', shape: [1], datatype: 'BYTES', data: ['model-canary'] },
      ],
    });
    // The same request every time: both arms and every run see identical input.
    expect(v2RequestFromMetadata(parseModelMetadata(RESNET_METADATA))).toEqual(request);
  });

  it('says what is wrong with metadata it cannot use', () => {
    expect(() => parseModelMetadata({ name: 'x', inputs: [] })).toThrow(/lists no inputs/);
    expect(() => parseModelMetadata({ inputs: [{ name: 'a', shape: [1] }] })).toThrow(
      /lacks a name, datatype/,
    );
    expect(() => parseModelMetadata({ inputs: [{ name: 'a', datatype: 'FP32', shape: [-2] }] })).toThrow(
      /shape/,
    );
    expect(() =>
      v2RequestFromMetadata({ name: 'x', inputs: [{ name: 'a', datatype: 'COMPLEX', shape: [1] }] }),
    ).toThrow(/unknown datatype 'COMPLEX'/);
    expect(() =>
      v2RequestFromMetadata({ name: 'x', inputs: [{ name: 'big', datatype: 'FP32', shape: [4096, 4096] }] }),
    ).toThrow(/give a probe-payload/);
  });

  it('keeps positive dims and replaces only -1', () => {
    expect(concreteShape([-1, 224, 224, 3])).toEqual([1, 224, 224, 3]);
  });

  it('posts the user payload unchanged when one is given', () => {
    const payload = '{"inputs":[]}';
    expect(v2InferRequest('m', '2', payload, undefined)).toEqual({
      method: 'POST',
      path: '/v2/models/m/versions/2/infer',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: payload,
    });
  });

  it('checks readiness of the named model before measuring', () => {
    expect(
      readinessChecks({ protocol: 'v2', path: '/v2/models/resnet/infer', defaultModel: 'fallback' }),
    ).toEqual([['/v2/models/resnet/ready', "model 'resnet' ready"]]);
    expect(readinessChecks({ protocol: 'v2', defaultModel: 'fallback' })[0]![0]).toBe(
      '/v2/models/fallback/ready',
    );
    expect(readinessChecks({ protocol: 'http', path: '/predict', defaultModel: 'x' })).toEqual([]);
  });
});

describe('probeProtocolFor', () => {
  it('takes the input, else the runtime, else what the path looks like', () => {
    expect(probeProtocolFor('http', 'triton', '/v2/models/m/infer')).toBe('http');
    expect(probeProtocolFor(undefined, 'vllm', undefined)).toBe('openai');
    expect(probeProtocolFor(undefined, 'mlserver', undefined)).toBe('v2');
    expect(probeProtocolFor(undefined, 'auto', '/v2/models/m/infer')).toBe('v2');
    expect(probeProtocolFor(undefined, 'dockerfile', '/v1/chat/completions')).toBe('openai');
    expect(probeProtocolFor(undefined, 'dockerfile', '/predict')).toBe('http');
  });
});

describe('prepareProbe', () => {
  /** A model server answering from a table of paths, recording what each arm was asked. */
  function modelServer(answers: Record<string, { status: number; json?: unknown }>) {
    const asked: string[] = [];
    const get: ArmGet = async (path) => {
      asked.push(path);
      const answer = answers[path] ?? { status: 404 };
      return { status: answer.status, json: answer.json };
    };
    return { get, asked };
  }

  it('checks both arms are ready, then builds the v2 request from the stable arm metadata', async () => {
    const stable = modelServer({
      '/v2/models/resnet/ready': { status: 200 },
      '/v2/models/resnet': { status: 200, json: RESNET_METADATA },
    });
    const canary = modelServer({ '/v2/models/resnet/ready': { status: 200 } });
    const probe = await prepareProbe({ protocol: 'v2', path: '/v2/models/resnet/infer', defaultModel: 'x' }, [
      stable.get,
      canary.get,
    ]);
    expect(probe.path).toBe('/v2/models/resnet/infer');
    expect(JSON.parse(probe.body!).inputs[0].shape).toEqual([1, 3, 2, 2]);
    expect(stable.asked).toEqual(['/v2/models/resnet/ready', '/v2/models/resnet']);
    expect(canary.asked).toEqual(['/v2/models/resnet/ready']);
  });

  it('refuses to measure an arm whose model is not ready', async () => {
    const stable = modelServer({ '/v2/models/m/ready': { status: 200 } });
    const canary = modelServer({ '/v2/models/m/ready': { status: 503 } });
    await expect(
      prepareProbe({ protocol: 'v2', defaultModel: 'm', payload: '{}' }, [stable.get, canary.get]),
    ).rejects.toThrow("model 'm' ready: GET /v2/models/m/ready answered 503");
  });

  it('asks an OpenAI server for its model when there is no payload', async () => {
    const server = modelServer({ '/v1/models': { status: 200, json: { data: [{ id: 'llama-3-8b' }] } } });
    const probe = await prepareProbe({ protocol: 'openai', defaultModel: 'x' }, [server.get, server.get]);
    expect(probe.path).toBe('/v1/chat/completions');
    expect(JSON.parse(probe.body!)).toMatchObject({ model: 'llama-3-8b', stream: true, temperature: 0 });
    expect(probe.stream).toBeDefined();
  });
});

describe('requestsOfSet', () => {
  const first = plainHttpRequest('/predict', 'POST', '{"x":1}');

  it('is the generated request alone when there is no probe-payload', () => {
    expect(requestsOfSet('v2', first, [])).toEqual([first]);
    expect(requestsOfSet('http', first, [])).toEqual([first]);
  });

  it('keeps the prepared first request and builds one per further payload, in order', () => {
    const set = requestsOfSet('http', first, ['{"x":1}', '{"x":2}', '{"x":3}']);
    expect(set).toHaveLength(3);
    expect(set[0]).toBe(first);
    expect(set.map((request) => request.body)).toEqual(['{"x":1}', '{"x":2}', '{"x":3}']);
    expect(requestsOfSet('v2', { ...first, path: '/v2/models/m/infer' }, ['a', 'b'])[1]).toMatchObject({
      path: '/v2/models/m/infer',
      body: 'b',
    });
  });
});

describe('openai', () => {
  it('reads streams event by event and plain requests whole', () => {
    expect(openAiChatRequest('/v1/chat/completions', '{"model":"m","stream":true}', undefined).stream).toBe(
      openAiStreamScanner,
    );
    expect(
      openAiChatRequest('/v1/chat/completions', '{"model":"m","stream":false}', undefined).stream,
    ).toBeUndefined();
  });

  it("asks for a streamed answer of many tokens and the server's own token count by default", () => {
    const body = JSON.parse(openAiChatRequest('/v1/chat/completions', undefined, 'm').body!);
    expect(body).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 16 });
  });

  it('counts the events carrying text, not the role-only opening chunk, even split across chunks', () => {
    const scanner = openAiStreamScanner();
    expect(scanner.push(utf8('data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n'))).toBe(0);
    expect(scanner.push(utf8('data: {"choices":[{"delta":{"con'))).toBe(0);
    expect(scanner.push(utf8('tent":"Ready"}}]}\n\ndata: {"choices":[{"delta":{"content":"!"}}]}\n\n'))).toBe(
      2,
    );
    expect(scanner.reportedTokens).toBeUndefined();
    expect(scanner.push(utf8('data: {"choices":[],"usage":{"completion_tokens":3}}\n\n'))).toBe(0);
    expect(scanner.reportedTokens).toBe(3);
    expect(scanner.push(utf8('data: [DONE]\n\ndata: {"choices":[{"delta":{"content":"late"}}]}\n'))).toBe(0);
  });

  it('counts a legacy completion text and reasoning text as tokens, and an empty content as none', () => {
    const scanner = openAiStreamScanner();
    expect(scanner.push(utf8('data: {"choices":[{"delta":{"content":""}}]}\n'))).toBe(0);
    expect(scanner.push(utf8('data: {"choices":[{"text":"Hi"}]}\n'))).toBe(1);
    expect(scanner.push(utf8('data: {"choices":[{"delta":{"reasoning_content":"Hm"}}]}\n'))).toBe(1);
    expect(scanner.push(utf8('data: not json\n: a comment\nevent: ping\ndata: null\n'))).toBe(0);
  });

  it('finds every event of random streams split at random bytes (mid-line, mid-character)', () => {
    const random = xoshiro128(16);
    let splits = 0;
    for (let body = 0; body < 300; body++) {
      const stream = randomStream(random);
      for (let split = 0; split < 5; split++) {
        const pieces = splitAtRandom(stream.bytes, random);
        const scanner = openAiStreamScanner();
        const counted = pieces.map((piece) => scanner.push(piece));
        // Each event is counted by the piece that holds the first byte of its line's end.
        let offset = 0;
        const expected = pieces.map((piece) => {
          const inPiece = stream.eventEnds.filter(
            (end) => end >= offset && end < offset + piece.length,
          ).length;
          offset += piece.length;
          return inPiece;
        });
        expect(counted).toEqual(expected);
        expect(scanner.reportedTokens).toBe(stream.usage);
        splits += pieces.length;
      }
    }
    // The pieces were small enough that lines and characters were cut many times over.
    expect(splits).toBeGreaterThan(10_000);
  });
  it('reads the first model id, and fails clearly on an empty list', () => {
    expect(firstOpenAiModel({ object: 'list', data: [{ id: 'a' }, { id: 'b' }] })).toBe('a');
    expect(() => firstOpenAiModel({ data: [] })).toThrow('GET /v1/models listed no model');
  });
});

describe('http', () => {
  it('sends GET without a payload and POST with one, typed by its content', () => {
    expect(plainHttpRequest('/healthz', undefined, undefined)).toEqual({
      method: 'GET',
      path: '/healthz',
      headers: {},
    });
    expect(plainHttpRequest('/predict', undefined, '{"x":[1,2]}')).toEqual({
      method: 'POST',
      path: '/predict',
      headers: { 'content-type': 'application/json' },
      body: '{"x":[1,2]}',
    });
    expect(plainHttpRequest('/predict', 'POST', 'raw bytes').headers).toEqual({
      'content-type': 'application/octet-stream',
    });
    expect(() => plainHttpRequest('/predict', 'GET', '{}')).toThrow(/GET probe cannot send/);
  });
});

describe('targets', () => {
  it('builds the API server service-proxy path for an arm Service', () => {
    expect(serviceProxyPath('ml', 'resnet-canary', 'http')).toBe(
      '/api/v1/namespaces/ml/services/resnet-canary:http/proxy',
    );
    expect(serviceProxyPath('ml', 'resnet-stable', 8080)).toBe(
      '/api/v1/namespaces/ml/services/resnet-stable:8080/proxy',
    );
  });

  it('pins each arm of a url target with the arm header and keeps the URL path as prefix', () => {
    const canary = urlArmTarget('https://models.example.com/serving/', 'canary', {});
    expect(canary).toEqual({
      arm: 'canary',
      origin: 'https://models.example.com',
      pathPrefix: '/serving',
      headers: { [ARM_HEADER]: 'canary' },
    });
    expect(ARM_HEADER).toBe('x-model-canary-arm');
  });

  it.each([
    [{ HTTPS_PROXY: 'proxy.corp:3128' }, 'https://models.example.com/', 'http://proxy.corp:3128/'],
    [
      { https_proxy: 'http://u:p@proxy:8080', NO_PROXY: 'other.example' },
      'https://models.example.com/',
      'http://u:p@proxy:8080/',
    ],
    [
      { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '.example.com' },
      'https://models.example.com/',
      undefined,
    ],
    [{ HTTP_PROXY: 'http://proxy:3128' }, 'https://models.example.com/', undefined],
    [{ HTTP_PROXY: 'http://proxy:3128' }, 'http://10.0.0.5:8080/', 'http://proxy:3128/'],
  ])('takes the proxy the environment %j names for %s', (environment, url, proxy) => {
    expect(urlArmTarget(url, 'stable', environment).proxy?.href).toBe(proxy);
  });

  it('names the proxy but never its credentials when describing a target', () => {
    const target = urlArmTarget('https://models.example.com/', 'canary', {
      HTTPS_PROXY: 'http://u:secret@proxy:3128',
    });
    expect(describeArm(target)).toBe('canary: https://models.example.com/ via proxy http://proxy:3128');
  });

  it('describes a target without its headers (credentials stay out of logs)', () => {
    const target = {
      ...urlArmTarget('https://api.example:6443', 'stable', {}),
      headers: { authorization: 'Bearer secret-token' },
    };
    expect(describeArm(target)).toBe('stable: https://api.example:6443/');
    expect(describeArm(target)).not.toContain('secret-token');
  });
});

const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Text with several-byte characters, so random cuts fall inside them. */
const PIECES = ['Hello', ' wörld', ' 你好', ' 🦙', ' naïve', ' ∑', '', ' \\"quoted\\"', ' a\\nb'];
const LINE_ENDS = ['\n', '\r\n', '\r'];

/**
 * A random OpenAI stream as bytes, with the byte offset at which each event carrying text ends
 * (the first byte of its line's end) and the usage count it reports last, if any.
 */
function randomStream(random: Random): { bytes: Buffer; eventEnds: number[]; usage: number | undefined } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const parts: Buffer[] = [];
  const eventEnds: number[] = [];
  let length = 0;
  const line = (text: string, carriesText = false): void => {
    const head = utf8(text);
    if (carriesText) eventEnds.push(length + head.length);
    const end = utf8(pick(LINE_ENDS));
    // The blank line between events is sometimes left out, as some servers do.
    const blank = random() < 0.8 ? utf8(pick(LINE_ENDS)) : Buffer.alloc(0);
    // A lone CR followed by an LF would be one CRLF: a blank line after a lone CR is never an LF.
    const safeBlank = end.toString() === '\r' && blank.toString().startsWith('\n') ? utf8('\r') : blank;
    for (const part of [head, end, safeBlank]) {
      parts.push(part);
      length += part.length;
    }
  };
  line('data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}');
  const events = Math.floor(random() * 12);
  for (let i = 0; i < events; i++) {
    if (random() < 0.1) line(': keep-alive');
    const piece = pick(PIECES);
    const chunk = { choices: [{ index: 0, delta: { content: JSON.parse(`"${piece}"`) as string } }] };
    line(`data: ${JSON.stringify(chunk)}`, piece !== '');
  }
  line('data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}');
  const usage = random() < 0.5 ? Math.floor(random() * 40) : undefined;
  if (usage !== undefined) line(`data: {"choices":[],"usage":{"completion_tokens":${usage}}}`);
  line(random() < 0.5 ? 'data: [DONE]' : 'data:[DONE]');
  // Nothing after [DONE] counts.
  line('data: {"choices":[{"delta":{"content":"after the end"}}]}');
  return { bytes: Buffer.concat(parts), eventEnds, usage };
}

/** The bytes cut at random points into pieces of 1 to 16 bytes (some empty reads too). */
function splitAtRandom(bytes: Buffer, random: Random): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const size = random() < 0.05 ? 0 : 1 + Math.floor(random() * 16);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}
