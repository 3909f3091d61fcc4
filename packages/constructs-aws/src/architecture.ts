import { instanceShapes } from '@hybrid/catalog';

export type Architecture = 'x86_64' | 'arm64';

/**
 * The CPU architecture of an EC2 instance type: from the catalog's shapes when known, else from the
 * family name (Graviton families carry a `g` after the generation: t4g, m7g, c7gn, r8g).
 */
export function instanceArchitecture(instanceType: string): Architecture {
  const known = instanceShapes[instanceType];
  if (known) return known.arch;
  const family = instanceType.split('.')[0] ?? '';
  return /^[a-z]+\d+[a-z]*g[a-z]*$/.test(family) ? 'arm64' : 'x86_64';
}

/** Ubuntu 24.04 LTS server images, published by Canonical's AWS account. */
export const UBUNTU_OWNER = '099720109477';
export const ubuntuImageName = (arch: Architecture): string =>
  `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${arch === 'arm64' ? 'arm64' : 'amd64'}-server-*`;
