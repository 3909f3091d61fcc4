import { AutoscalingGroup } from '@cdktn/provider-aws/lib/autoscaling-group';
import { Instance } from '@cdktn/provider-aws/lib/instance';
import { LaunchTemplate } from '@cdktn/provider-aws/lib/launch-template';
import { nodeRoleKey, topologies, type ClusterTopology } from '@hybrid/catalog';
import { Testing } from 'cdktn';
import { KubeadmCluster, Network, SecureBucket, type KubeadmClusterProps } from '../src';
import { cloudInitSchema, resourcesOf, shellSyntaxErrors, synth } from './helpers';

Testing.setupJest();

function build(props: Partial<Omit<KubeadmClusterProps, 'network'>> = {}) {
  let cluster: KubeadmCluster | undefined;
  const out = synth((s) => {
    const network = new Network(s, 'Net', { cidr: '10.0.0.0/16', zones: 3 });
    cluster = new KubeadmCluster(s, 'Cluster', {
      network,
      topology: topologies['tiered-4'],
      clusterName: 'waste-coach-test',
      adminCidrs: ['203.0.113.0/24'],
      region: 'ap-northeast-2',
      accountId: '111111111111',
      ...props,
    });
  });
  return { ...out, cluster: cluster as KubeadmCluster };
}

type Rule = {
  from_port?: number;
  to_port?: number;
  ip_protocol: string;
  cidr_ipv4?: string;
  referenced_security_group_id?: string;
  security_group_id: string;
};

describe('KubeadmCluster', () => {
  it('launches the tiered-4 topology: one control plane instance, an Auto Scaling group per other pool', () => {
    const { text, json, cluster } = build();
    expect(text).toHaveResourceWithProperties(Instance, {
      instance_type: 't3.large',
      private_ip: '10.0.128.10',
      metadata_options: expect.objectContaining({ http_tokens: 'required' }),
    });
    const groups = resourcesOf(json, 'aws_autoscaling_group');
    expect(groups).toHaveLength(3);
    expect(groups.map((g) => [g.min_size, g.max_size])).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ]);
    expect(text).toHaveResourceWithProperties(LaunchTemplate, {
      instance_type: 't3.medium',
      block_device_mappings: [
        expect.objectContaining({ ebs: expect.objectContaining({ encrypted: 'true' }) }),
      ],
      metadata_options: expect.objectContaining({ http_tokens: 'required' }),
    });
    expect(text).toHaveResourceWithProperties(AutoscalingGroup, {
      vpc_zone_identifier: expect.arrayContaining([expect.stringMatching(/aws_subnet\.Net_Private/)]),
    });
    expect(Object.keys(cluster.userData).sort()).toEqual(['api', 'control-plane', 'storage', 'worker']);
  });

  it('labels every pool by role and taints the tainted ones, through kubelet registration', () => {
    const { cluster } = build();
    const t = topologies['tiered-4'];
    for (const pool of t.pools) {
      const ud = cluster.userData[pool.name]!;
      expect(ud).toContain(`${nodeRoleKey(pool.role)}=true,hybrid.dev/pool=${pool.name}`);
      const tainted = ud.includes(`key: ${nodeRoleKey(pool.role)}`);
      expect([pool.name, tainted]).toEqual([pool.name, pool.tainted]);
    }
  });

  it('gives kubelet its AWS provider id and installs Calico with VXLAN on the pod network', () => {
    const { cluster } = build();
    for (const doc of Object.values(cluster.userData)) {
      expect(doc).toContain('value: "aws:///$az/$instance_id"');
      expect(doc).toContain('X-aws-ec2-metadata-token-ttl-seconds');
    }
    const cp = cluster.userData['control-plane']!;
    expect(cp).toContain('projectcalico/calico/v3.29.1/manifests/tigera-operator.yaml');
    expect(cp).toMatch(/cidr: 192\.168\.0\.0\/16\s+encapsulation: VXLAN/);
    expect(() => build({ calicoVersion: 'latest' })).toThrow(
      'calicoVersion "latest" must look like "v3.29.1"',
    );
  });

  it('takes the join token from SSM at boot and never puts it in user data', () => {
    const { text, cluster } = build();
    expect(cluster.userData.api).toContain(
      'aws ssm get-parameter --region ap-northeast-2 --name "/waste-coach-test/kubeadm/$1" --with-decryption',
    );
    expect(cluster.userData['control-plane']).toContain(
      '--name /waste-coach-test/kubeadm/join-token --type SecureString',
    );
    expect(text).not.toMatch(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/);
  });

  it('renders cloud-init that passes cloud-init schema (and sh -n on its scripts) for every pool of per-service-14', () => {
    const { cluster } = build({ topology: topologies['per-service-14'] });
    expect(Object.keys(cluster.userData)).toHaveLength(5);
    for (const [pool, doc] of Object.entries(cluster.userData)) {
      const r = cloudInitSchema(doc);
      expect([pool, r.code, r.output.trim()]).toEqual([pool, 0, expect.stringMatching(/Valid cloud-config/)]);
      expect([pool, shellSyntaxErrors(doc)]).toEqual([pool, []]);
    }
  });

  it('opens cluster ports only to the peers that need them', () => {
    const { json } = build();
    const ingress = resourcesOf(json, 'aws_vpc_security_group_ingress_rule') as Rule[];
    const on = (port: number) => ingress.filter((r) => r.from_port === port);
    expect(
      on(6443)
        .map((r) => r.cidr_ipv4)
        .sort(),
    ).toEqual(['10.0.0.0/16', '203.0.113.0/24']);
    expect(on(2379)).toHaveLength(1);
    expect(on(2379)[0]).toMatchObject({
      to_port: 2380,
      referenced_security_group_id: expect.stringMatching(/ControlPlaneSecurityGroup/),
    });
    // 9100: node-exporter, scraped by Prometheus on another node.
    for (const port of [10250, 4789, 179, 9100]) {
      expect([port, on(port)]).toEqual([port, [expect.anything()]]);
      expect(on(port)[0]!.referenced_security_group_id).toMatch(/NodeSecurityGroup/);
      expect(on(port)[0]!.security_group_id).toMatch(/NodeSecurityGroup/);
    }
    expect(on(4789)[0]!.ip_protocol).toBe('udp');
    const nodePorts = on(30000);
    expect(nodePorts).toHaveLength(1);
    expect(nodePorts[0]).toMatchObject({
      to_port: 32767,
      referenced_security_group_id: expect.stringMatching(/AlbSecurityGroup/),
    });
    const world = ingress
      .filter((r) => r.cidr_ipv4 === '0.0.0.0/0')
      .map((r) => r.from_port)
      .sort();
    expect(world).toEqual([443, 80].sort());
  });

  it('scopes the ALB controller and EBS CSI policies: no wildcard actions, writes on * only with conditions', () => {
    const { json } = build();
    const policies = resourcesOf(json, 'aws_iam_policy');
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      const doc = JSON.parse(p.policy as string) as {
        Statement: { Action: string[]; Resource: string | string[]; Condition?: unknown }[];
      };
      for (const s of doc.Statement) {
        for (const a of s.Action) expect(a).not.toMatch(/\*$/);
        const onAll = ([] as string[]).concat(s.Resource).includes('*');
        const writes = s.Action.filter((a) => !/:(Describe|List|Get)/.test(a));
        if (onAll && writes.length) expect(s.Condition).toBeDefined();
      }
    }
  });

  it('grants the nodes secrets by name prefix and bucket objects by bucket ARN, never *', () => {
    const { json } = synth((s) => {
      const network = new Network(s, 'Net', { cidr: '10.0.0.0/16', zones: 3 });
      const cluster = new KubeadmCluster(s, 'Cluster', {
        network,
        topology: topologies['tiered-4'],
        clusterName: 'waste-coach-test',
        region: 'ap-northeast-2',
        accountId: '111111111111',
      });
      cluster.grantSecretsRead('waste-coach/');
      cluster.grantBucket(new SecureBucket(s, 'Images', { bucketName: 'images-test' }), 'read-write');
      cluster.grantBucket(new SecureBucket(s, 'Backups', { bucketName: 'backups-test' }), 'put', 'postgres/');
    });
    const policies = resourcesOf(json, 'aws_iam_role_policy')
      .filter((p) => String(p.role).includes('Cluster_NodeRole'))
      .map((p) => (JSON.parse(String(p.policy)) as { Statement: unknown[] }).Statement);
    expect(policies).toEqual(
      expect.arrayContaining([
        [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: 'arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:waste-coach/*',
          },
        ],
        [
          {
            Effect: 'Allow',
            Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
            Resource: expect.stringMatching(/^\$\{aws_s3_bucket\.Images_[0-9A-F]+\.arn\}\/\*$/),
          },
          {
            Effect: 'Allow',
            Action: ['s3:ListBucket'],
            Resource: expect.stringMatching(/^\$\{aws_s3_bucket\.Images_[0-9A-F]+\.arn\}$/),
          },
        ],
        [
          {
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
            Resource: expect.stringMatching(/^\$\{aws_s3_bucket\.Backups_[0-9A-F]+\.arn\}\/postgres\/\*$/),
          },
        ],
      ]),
    );
    expect(() =>
      synth((s) => {
        const network = new Network(s, 'Net', { cidr: '10.0.0.0/16', zones: 3 });
        new KubeadmCluster(s, 'Cluster', {
          network,
          topology: topologies['tiered-4'],
          clusterName: 'waste-coach-test',
          region: 'ap-northeast-2',
          accountId: '111111111111',
        }).grantSecretsRead('*');
      }),
    ).toThrow(/secret name prefix "\*" must be a path of name characters ending in "\/"/);
  });

  it('rejects a topology with no control plane', () => {
    const noCp: ClusterTopology = {
      name: 'workers-only',
      pools: topologies['tiered-4'].pools.filter((p) => p.role !== 'control-plane'),
    };
    expect(() => build({ topology: noCp })).toThrow(
      'topology "workers-only" has no control plane: add a pool with role "control-plane" and count >= 1',
    );
  });

  it('rejects two control-plane nodes and an unknown instance type together', () => {
    const t: ClusterTopology = {
      name: 'odd',
      pools: [
        { name: 'control-plane', role: 'control-plane', instanceType: 't3.large', count: 2, tainted: true },
        { name: 'api', role: 'api', instanceType: 'x9.huge', count: 1, tainted: false },
      ],
    };
    expect(() => build({ topology: t })).toThrow(
      /2 problems[\s\S]*unknown instance type "x9.huge"[\s\S]*2 control-plane nodes/,
    );
  });

  it('rejects a pod network that overlaps the VPC and a world-open admin range', () => {
    expect(() => build({ podCidr: '10.0.0.0/12', adminCidrs: ['0.0.0.0/0'] })).toThrow(
      /2 problems[\s\S]*podCidr "10.0.0.0\/12" overlaps the VPC "10.0.0.0\/16"[\s\S]*opens the API server to the internet/,
    );
  });
});
