import { describe, expect, it } from '@jest/globals';
import { parseProbe } from '../../../src/inputs/probe.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, parse, VALID } from '../../fixtures/inputs.ts';

const BAD_PROBE_INPUTS: BadInput[] = [
  ['probe path without slash', { ...VALID, 'probe-path': 'v2/models' }, 'probe-path', /starting with '\/'/],
  [
    'http protocol without path',
    { ...VALID, 'probe-protocol': 'http' },
    'probe-path',
    /needs the request path/,
  ],
  ['unknown protocol', { ...VALID, 'probe-protocol': 'grpc' }, 'probe-protocol', /one of v2, openai, http/],
  [
    'missing payload file',
    { ...VALID, 'probe-payload': 'probe/missing.json' },
    'probe-payload',
    /does not exist/,
  ],
  [
    'method without http protocol',
    { ...VALID, 'probe-method': 'POST' },
    'probe-method',
    /only used with probe-protocol http/,
  ],
  [
    'GET with a payload',
    {
      ...VALID,
      'probe-protocol': 'http',
      'probe-path': '/p',
      'probe-method': 'GET',
      'probe-payload': 'probe/request.json',
    },
    'probe-method',
    /cannot send probe-payload/,
  ],
  [
    'request set line that is not JSON',
    { ...VALID, 'probe-payload': 'probe/broken.jsonl' },
    'probe-payload',
    /probe\/broken.jsonl line 2 is not JSON/,
  ],
  [
    'empty request set',
    { ...VALID, 'probe-payload': 'probe/empty.jsonl' },
    'probe-payload',
    /holds no entries/,
  ],
  [
    'request set with an id twice',
    { ...VALID, 'probe-payload': 'probe/twice.jsonl' },
    'probe-payload',
    /id 'a' of probe\/twice.jsonl line 2 is also probe\/twice.jsonl line 1's/,
  ],
  [
    'model request that is not JSON',
    { ...VALID, 'probe-protocol': 'v2', 'probe-payload': 'probe/raw.bin' },
    'probe-payload',
    /probe\/raw.bin is not JSON/,
  ],
  ['zero probe rate', { ...VALID, 'probe-rate': '0' }, 'probe-rate', /from 0.1 to 5000/],
  ['probe rate with unit', { ...VALID, 'probe-rate': '20rps' }, 'probe-rate', /requests per second/],
  ['probe duration without unit', { ...VALID, 'probe-duration': '60' }, 'probe-duration', /30s, 5m/],
  ['probe duration too short', { ...VALID, 'probe-duration': '1s' }, 'probe-duration', /from 5s to 1h/],
  ['warmup too long', { ...VALID, warmup: '11m' }, 'warmup', /from 0s to 10m/],
  ['unknown probe target', { ...VALID, 'probe-target': 'port-forward' }, 'probe-target', /one of proxy, url/],
  ['url target without url', { ...VALID, 'probe-target': 'url' }, 'probe-url', /needs the service URL/],
  [
    'url with proxy target',
    { ...VALID, 'probe-url': 'https://x.example.com' },
    'probe-url',
    /only used with probe-target url/,
  ],
  [
    'url that is not http',
    { ...VALID, 'probe-target': 'url', 'probe-url': 'ftp://x.example.com' },
    'probe-url',
    /http:\/\/ or https:\/\//,
  ],
];

describe('probe inputs: request sets', () => {
  it('keeps one request file as a set of one, named by the file', () => {
    expect(parse({ ...VALID, 'probe-payload': 'probe/request.json' }).probe.requests).toEqual({
      kind: 'file',
      entries: [{ id: 'request', body: '{"inputs": []}', where: 'probe/request.json' }],
    });
  });

  it('sends plain HTTP bodies as they are, JSON or not', () => {
    const probe = parse({
      ...VALID,
      'probe-protocol': 'http',
      'probe-path': '/predict',
      'probe-payload': 'probe/raw.bin',
    }).probe;
    expect(probe.requests?.entries[0]?.body).toBe('not json');
  });

  it('reads a JSON Lines file: the id field, else the line number; blank lines skipped', () => {
    const set = parse({ ...VALID, 'probe-payload': 'probe/set.jsonl' }).probe.requests!;
    expect(set.kind).toBe('lines');
    expect(set.entries.map(({ id, where }) => [id, where])).toEqual([
      ['cat', 'probe/set.jsonl line 1'],
      ['3', 'probe/set.jsonl line 3'],
    ]);
  });

  it('reads a folder: its .json files in name order, expected answers and other files left out', () => {
    const set = parse({ ...VALID, 'probe-payload': 'probe/set' }).probe.requests!;
    expect(set.entries.map(({ id, body }) => [id, body])).toEqual([
      ['a', '{"inputs": [1]}'],
      ['b', '{"inputs": [2]}'],
    ]);
  });
});

describe('probe inputs: bad values', () => {
  itNamesTheInput(BAD_PROBE_INPUTS, inputsReadBy(parseProbe));
});
