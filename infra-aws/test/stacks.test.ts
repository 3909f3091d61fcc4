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
