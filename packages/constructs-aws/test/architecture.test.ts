import { instanceArchitecture, ubuntuImageName } from '../src';

describe('instanceArchitecture', () => {
  it('reads the catalog shapes and Graviton family names', () => {
    expect(instanceArchitecture('t3.large')).toBe('x86_64');
    expect(instanceArchitecture('t4g.small')).toBe('arm64');
    for (const t of ['m7g.large', 'c7gn.xlarge', 'r8g.medium', 'g5g.xlarge', 'x2gd.large', 'im4gn.large'])
      expect([t, instanceArchitecture(t)]).toEqual([t, 'arm64']);
    for (const t of ['m7i.large', 'g4dn.xlarge', 'c5ad.large', 'p4d.24xlarge', 'm5.large'])
      expect([t, instanceArchitecture(t)]).toEqual([t, 'x86_64']);
  });

  it('names the Ubuntu 24.04 image of each architecture', () => {
    expect(ubuntuImageName('arm64')).toBe('ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*');
    expect(ubuntuImageName('x86_64')).toBe('ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*');
  });
});
