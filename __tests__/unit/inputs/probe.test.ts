import { describe } from '@jest/globals';
import { parseProbe } from '../../../src/inputs/probe.ts';
import type { BadInput } from '../../fixtures/inputs.ts';
import { inputsReadBy, itNamesTheInput, VALID } from '../../fixtures/inputs.ts';

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

describe('probe inputs: bad values', () => {
  itNamesTheInput(BAD_PROBE_INPUTS, inputsReadBy(parseProbe));
});
