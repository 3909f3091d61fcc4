import { cidrsOverlap, parseCidr, subnetCidr, type Cidr } from '../src';

const c = (t: string): Cidr => parseCidr(t) as Cidr;

describe('cidr', () => {
  it('parses canonical CIDRs and explains bad ones', () => {
    expect(c('10.0.0.0/16')).toMatchObject({ prefix: 16 });
    expect(parseCidr('10.0.0.1/16')).toBe(
      '"10.0.0.1/16" has host bits set: the network address is 10.0.0.0/16',
    );
    expect(parseCidr('10.0.0.256/24')).toMatch(/not an IPv4 CIDR/);
    expect(parseCidr('10.0.0.0')).toMatch(/not an IPv4 CIDR/);
  });

  it('detects overlaps', () => {
    expect(cidrsOverlap(c('10.0.0.0/16'), c('10.0.128.0/20'))).toBe(true);
    expect(cidrsOverlap(c('10.0.0.0/16'), c('10.1.0.0/16'))).toBe(false);
    expect(cidrsOverlap(c('100.64.0.0/10'), c('100.100.0.0/16'))).toBe(true);
  });

  it('carves subnets like cidrsubnet', () => {
    expect(subnetCidr(c('10.0.0.0/16'), 4, 0)).toBe('10.0.0.0/20');
    expect(subnetCidr(c('10.0.0.0/16'), 4, 9)).toBe('10.0.144.0/20');
    expect(() => subnetCidr(c('10.0.0.0/16'), 4, 16)).toThrow(/cannot carve/);
  });
});
