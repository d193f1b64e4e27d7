import { describe, expect, it } from '@jest/globals';
import { compareQuantities, isQuantity, parseQuantity } from '../../../src/kube/quantities.ts';

describe('parseQuantity', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['2.', 2],
    ['100m', 0.1],
    ['500m', 0.5],
    ['1.1k', 1100],
    ['2k', 2000],
    ['3M', 3e6],
    ['4G', 4e9],
    ['5T', 5e12],
    ['6P', 6e15],
    ['7E', 7e18],
    ['1Ki', 1024],
    ['500Mi', 500 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['2Ti', 2 * 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1Ei', 2 ** 60],
    ['1e3', 1000],
    ['1E3', 1000],
    ['1e+3', 1000],
    ['25e-2', 0.25],
    ['0e400', 0],
  ])('reads %s as %d', (text, amount) => {
    expect(parseQuantity(text)).toBe(amount);
    expect(isQuantity(text)).toBe(true);
  });

  it.each([
    '',
    ' 1',
    '1 ',
    '2GB',
    '1gi',
    '1KI',
    '1K',
    'Gi',
    'm',
    '-1',
    '+1',
    '1e',
    '1e1.5',
    '1.2.3',
    '1Gi1',
    '0x10',
    'one',
  ])('refuses %j', (text) => {
    expect(parseQuantity(text)).toBeUndefined();
    expect(isQuantity(text)).toBe(false);
  });

  it('checks quantities', () => {
    expect(['1', '500m', '2Gi', '1.5', '1e3'].every(isQuantity)).toBe(true);
    expect(['2GB', '-1', 'Gi', ''].some(isQuantity)).toBe(false);
  });
});

describe('compareQuantities', () => {
  it('compares amounts across suffixes', () => {
    expect(compareQuantities('32Gi', '16Gi')).toBeGreaterThan(0);
    expect(compareQuantities('500m', '1')).toBeLessThan(0);
    expect(compareQuantities('1Gi', '1G')).toBeGreaterThan(0);
    expect(compareQuantities('1k', '1e3')).toBe(0);
    expect(compareQuantities('1024', '1Ki')).toBe(0);
    expect(compareQuantities('0', '0m')).toBe(0);
    expect(compareQuantities('1500m', '1.5')).toBe(0);
    expect(compareQuantities('1E', '1e18')).toBe(0);
    expect(compareQuantities('2E', '1Ei')).toBeGreaterThan(0);
  });
});
