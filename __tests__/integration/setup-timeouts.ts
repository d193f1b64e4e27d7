// Tests against the real cluster wait on pulls, schedulers and rollouts; each wait inside a test is
// bounded on its own (with a message saying what it waited for), so this only stops runaway tests.
import { jest } from '@jest/globals';

jest.setTimeout(10 * 60 * 1000);
