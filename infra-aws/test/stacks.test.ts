import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runRules, terraformResources, terraformRules } from '@hybrid/policy';
import type { TerraformStack } from 'cdktn';
import { Testing } from 'cdktn';
import { buildApp } from '../src/app';
import { environments } from '../src/environments';

// Independent of the HYBRID_STATE_BUCKET_* / HYBRID_AWS_ACCOUNT_* variables of whoever runs the tests.
const pinned = Object.values(environments).map((e) => ({
  ...e,
  stateBucket: undefined,
  accountId: e.name === 'dev' ? '111111111111' : '222222222222',
}));
const app = Testing.app();
const built = buildApp(app, pinned);
const stacks: [string, TerraformStack][] = Object.values(built).flatMap((s) =>
  [s.state, s.edge, s.cluster].map((st) => [st.node.id, st] as [string, TerraformStack]),
);

describe('infra-aws app', () => {
  it('has state, edge and cluster stacks for dev and prod', () => {
    expect(stacks.map(([id]) => id).sort()).toEqual([
      'cluster-dev',
      'cluster-prod',
      'edge-dev',
      'edge-prod',
      'state-dev',
      'state-prod',
    ]);
  });

  describe.each(stacks)('%s', (id, stack) => {
    // Keep the `//` comments: they carry the policy acknowledgements.
    const tf = JSON.parse(JSON.stringify(stack.toTerraform())) as Record<string, unknown>;

    it('matches its snapshot', () => {
      expect(Testing.synth(stack)).toMatchSnapshot();
    });

    it('has no unacknowledged policy finding', () => {
      const resources = terraformResources(id, tf);
      const open = runRules(terraformRules, resources, { unit: id, resources }).filter(
        (f) => !f.acknowledged,
      );
      expect(open).toEqual([]);
    });

    it('carries no credentials in its provider block and pins the account', () => {
      const provider = (tf.provider as { aws: Record<string, unknown>[] }).aws[0]!;
      expect(Object.keys(provider)).not.toEqual(expect.arrayContaining(['access_key']));
      expect(provider).toMatchObject({
        region: 'ap-northeast-2',
        allowed_account_ids: [expect.stringMatching(/^\d{12}$/)],
      });
    });
  });

  it('uses a local backend when no state bucket is configured and S3 with lockfile when one is', () => {
    const local = Testing.synth(built.dev!.edge);
    expect(JSON.parse(local).terraform.backend).toEqual({
      local: { path: '../../../terraform.edge-dev.tfstate' },
    });
    const app2 = Testing.app();
    const remote = buildApp(app2, [{ ...pinned[0]!, stateBucket: 'hybrid-tfstate-dev-111111111111' }]);
    expect(JSON.parse(Testing.synth(remote.dev!.cluster)).terraform.backend).toEqual({
      s3: {
        bucket: 'hybrid-tfstate-dev-111111111111',
        key: 'cluster-dev/terraform.tfstate',
        region: 'ap-northeast-2',
        encrypt: true,
        use_lockfile: true,
      },
    });
    // The state stack creates the bucket, so it always keeps its own state locally.
    expect(JSON.parse(Testing.synth(remote.dev!.state)).terraform.backend).toHaveProperty('local');
  });

  it('sizes the cluster from the catalog topology of each environment', () => {
    const count = (env: 'dev' | 'prod') => {
      const tf = JSON.parse(Testing.synth(built[env]!.cluster)) as {
        resource: Record<string, Record<string, { desired_capacity?: number }>>;
      };
      return (
        1 +
        Object.values(tf.resource.aws_autoscaling_group ?? {}).reduce(
          (n, g) => n + (g.desired_capacity ?? 0),
          0,
        )
      );
    };
    expect(count('dev')).toBe(4);
    expect(count('prod')).toBe(14);
  });
});

describe('the cluster stack gives the nodes what the committed kubeadm manifests expect', () => {
  const dist = resolve(__dirname, '../../infra-k8s/dist/kubeadm');
  const manifest = (file: string) => readFileSync(join(dist, file), 'utf8');
  type Statement = { Effect: string; Action: string[]; Resource: string | string[] };
  const tfOf = (env: 'dev' | 'prod') =>
    JSON.parse(Testing.synth(built[env]!.cluster)) as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
  /** Whether some node-role policy allows `action` on a resource matching `target` (`*` as in IAM). */
  const allows = (statements: Statement[], action: string, target: string) =>
    statements.some(
      (st) =>
        st.Effect === 'Allow' &&
        st.Action.includes(action) &&
        [st.Resource].flat().some((r) => {
          const pattern = r.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
          return new RegExp(`^${pattern}$`).test(target);
        }),
    );

  it.each(['dev', 'prod'] as const)('%s', (env) => {
    const tf = tfOf(env);
    const account = pinned.find((e) => e.name === env)!.accountId;
    const statements = Object.values(tf.resource.aws_iam_role_policy!)
      .filter((p) => String(p.role).includes('Cluster_NodeRole'))
      .flatMap((p) => (JSON.parse(String(p.policy)) as { Statement: Statement[] }).Statement);

    // Every secret an ExternalSecret reads (through the ClusterSecretStore) and nothing wider.
    const keys = readdirSync(join(dist, 'waste-coach'))
      .filter((f) => f.startsWith('externalsecret-'))
      .flatMap((f) => [...manifest(`waste-coach/${f}`).matchAll(/^ +key: (\S+)$/gm)].map((m) => m[1]!));
    expect(keys.length).toBeGreaterThan(5);
    for (const key of new Set(keys)) {
      const arn = `arn:aws:secretsmanager:ap-northeast-2:${account}:secret:${key}-AbCdEf`;
      expect([key, allows(statements, 'secretsmanager:GetSecretValue', arn)]).toEqual([key, true]);
    }
    const other = `arn:aws:secretsmanager:ap-northeast-2:${account}:secret:rds!db-1234-AbCdEf`;
    expect(allows(statements, 'secretsmanager:GetSecretValue', other)).toBe(false);

    // The images bucket, scoped to its ARN.
    const buckets = tf.resource.aws_s3_bucket!;
    const images = Object.entries(buckets).find(([, b]) =>
      String(b.bucket).startsWith('waste-coach-images'),
    )!;
    const imagesArn = `\${aws_s3_bucket.${images[0]}.arn}`;
    for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'])
      expect([action, allows(statements, action, `${imagesArn}/scans/x.jpg`)]).toEqual([action, true]);
    expect(allows(statements, 's3:GetObject', 'arn:aws:s3:::someone-else/x')).toBe(false);

    // The backup job writes to `<base>-<account id>`: the stack creates that bucket, the nodes may put to it.
    const base = /bucket="([a-z0-9.-]+)-\$\(aws sts get-caller-identity/.exec(
      manifest('data/cronjob-postgres-backup.yaml'),
    )![1]!;
    const backups = Object.entries(buckets).find(([, b]) => b.bucket === `${base}-${account}`);
    expect(backups).toBeDefined();
    const backupsArn = `\${aws_s3_bucket.${backups![0]}.arn}`;
    expect(allows(statements, 's3:PutObject', `${backupsArn}/postgres/auth/20250101T031700Z.dump`)).toBe(
      true,
    );
    expect(allows(statements, 's3:DeleteObject', `${backupsArn}/postgres/auth/x.dump`)).toBe(false);
  });
});
