import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffManifests, snapshotTree } from '../src/manifest-diff';

const deployment = (image: string, replicas = 2) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: auth
spec:
  replicas: ${replicas}
  template:
    spec:
      initContainers:
        - name: migrate
          image: ${image}
      containers:
        - name: auth
          image: ${image}
          ports:
            - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: auth
`;

describe('diffManifests', () => {
  const before = new Map([['kubeadm/auth/deployment-auth.yaml', deployment('hybrid/auth:0.1.0')]]);

  it('sorts container and init-container image changes apart from everything else', () => {
    const after = new Map([['kubeadm/auth/deployment-auth.yaml', deployment('hybrid/auth:0.2.0')]]);
    const d = diffManifests(before, after);
    expect(d.otherChanges).toEqual([]);
    expect(d.imageChanges.map((c) => c.path)).toEqual([
      'doc[0].spec.template.spec.initContainers[0].image',
      'doc[0].spec.template.spec.containers[0].image',
    ]);
    expect(d.imageChanges[0]).toMatchObject({ before: 'hybrid/auth:0.1.0', after: 'hybrid/auth:0.2.0' });
  });

  it('reports a changed non-image field', () => {
    const after = new Map([['kubeadm/auth/deployment-auth.yaml', deployment('hybrid/auth:0.1.0', 3)]]);
    expect(diffManifests(before, after).otherChanges).toEqual([
      { file: 'kubeadm/auth/deployment-auth.yaml', path: 'doc[0].spec.replicas', before: 2, after: 3 },
    ]);
  });

  it('reports added and removed files and documents', () => {
    const after = new Map([
      ['kubeadm/auth/deployment-auth.yaml', deployment('hybrid/auth:0.1.0').split('---')[0]!],
      ['kubeadm/auth/extra.yaml', 'kind: ConfigMap\n'],
    ]);
    const d = diffManifests(before, after);
    expect(d.otherChanges.map((c) => [c.file, c.path])).toEqual([
      ['kubeadm/auth/deployment-auth.yaml', 'doc[1]'],
      ['kubeadm/auth/extra.yaml', ''],
    ]);
  });

  it('ignores formatting-only differences in YAML', () => {
    const after = new Map([['kubeadm/auth/deployment-auth.yaml', deployment('"hybrid/auth:0.1.0"')]]);
    expect(diffManifests(before, after)).toEqual({ imageChanges: [], otherChanges: [] });
  });
});

describe('snapshotTree', () => {
  it('reads every file under a directory by relative path, and nothing for a missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'delivery-tree-'));
    try {
      mkdirSync(join(dir, 'pi/game'), { recursive: true });
      writeFileSync(join(dir, 'pi/game/a.yaml'), 'a: 1\n');
      writeFileSync(join(dir, 'top.yaml'), 'b: 2\n');
      expect([...snapshotTree(dir)]).toEqual([
        ['pi/game/a.yaml', 'a: 1\n'],
        ['top.yaml', 'b: 2\n'],
      ]);
      expect(snapshotTree(join(dir, 'missing')).size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
