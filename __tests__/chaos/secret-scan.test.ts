/**
 * No secret reaches a log, an output, a file left behind, a command line, the cluster or an image
 * layer (issue #15): a first version and a canary through `node dist/index.js` on the local
 * cluster with a secret in every place a workflow puts one, then everything searched
 * (secret-scan.ts says what and where). The scan must have looked: both jobs promoted, buildctl
 * seen among the sampled command lines, objects and blobs read, and the pull Secret holds the login
 * as the design says.
 */
import { describe, expect, it } from '@jest/globals';
import { runSecretScan } from './secret-scan.ts';

describe('the secret scan', () => {
  it(
    'finds no planted secret anywhere the jobs wrote',
    async () => {
      const scan = await runSecretScan();
      expect([scan.decisions, scan.logs]).toEqual([['promoted', 'promoted'], scan.logs]);
      expect(scan.buildctlCommandLines).toBeGreaterThan(0);
      expect(scan.objects).toBeGreaterThan(0);
      expect(scan.blobs).toBeGreaterThan(0);
      expect(scan.pullSecretWrongs).toEqual([]);
      expect(scan.hits).toEqual([]);
    },
    15 * 60_000,
  );
});
