import { NODE_PORT_RANGE, validateTopology, type ClusterTopology, type NodePool } from '@hybrid/catalog';
import { AutoscalingGroup } from '@cdktn/provider-aws/lib/autoscaling-group';
import { DataAwsAmi } from '@cdktn/provider-aws/lib/data-aws-ami';
import { IamInstanceProfile } from '@cdktn/provider-aws/lib/iam-instance-profile';
import { IamPolicy } from '@cdktn/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktn/provider-aws/lib/iam-role-policy-attachment';
import { Instance } from '@cdktn/provider-aws/lib/instance';
import { LaunchTemplate } from '@cdktn/provider-aws/lib/launch-template';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { instanceArchitecture, UBUNTU_OWNER, ubuntuImageName, type Architecture } from './architecture';
import { cidrContains, cidrsOverlap, formatIpv4, parseCidr, type Cidr } from './cidr';
import { ebsCsiDriverPolicy, loadBalancerControllerPolicy } from './controller-policies';
import { renderControlPlaneUserData, renderNodeUserData, type KubeadmBootOptions } from './kubeadm-user-data';
import type { Network } from './network';
import type { SecureBucket } from './secure-bucket';
import { allTraffic, SecurityGroup, tcp, udp } from './security-group';
import { throwIfProblems } from './validation';

export interface KubeadmClusterProps {
  readonly network: Network;
  readonly topology: ClusterTopology;
  readonly clusterName: string;
  /** CIDRs allowed to reach the API server (6443) from outside the VPC. @default [] */
  readonly adminCidrs?: readonly string[];
  /** @default '1.31.4' */
  readonly kubernetesVersion?: string;
  /** Calico's pod network. @default '192.168.0.0/16' */
  readonly podCidr?: string;
  /** @default '10.96.0.0/12' */
  readonly serviceCidr?: string;
  /** SSM path for the join token and CA hash. @default `/<clusterName>/kubeadm` */
  readonly ssmPrefix?: string;
  /** @default 30 */
  readonly rootVolumeGiB?: number;
  /** Calico release the control plane installs. @default 'v3.29.1' */
  readonly calicoVersion?: string;
  readonly region: string;
  readonly accountId: string;
}

/** What pods may do with a bucket's objects through the nodes' instance role. */
export type BucketAccess =
  /** get, put and delete objects, list the bucket (the images bucket) */
  | 'read-write'
  /** put objects only, including multipart uploads (a backup destination) */
  | 'put';

/**
 * A self-managed kubeadm cluster on EC2: one control-plane instance at a fixed private address,
 * every other pool of the topology as an Auto Scaling group in the private subnets. Labels and
 * taints per role reach kubelet through cloud-init; the join material comes from SSM at boot.
 */
export class KubeadmCluster extends Construct {
  readonly controlPlaneSecurityGroup: SecurityGroup;
  readonly nodeSecurityGroup: SecurityGroup;
  readonly albSecurityGroup: SecurityGroup;
  readonly nodeRole: IamRole;
  readonly controlPlaneRole: IamRole;
  readonly controlPlane: Instance;
  readonly controlPlaneAddress: string;
  readonly pools: Readonly<Record<string, AutoscalingGroup>>;
  /** Rendered cloud-init per pool name (for review and tests). */
  readonly userData: Readonly<Record<string, string>>;
  readonly ssmPrefix: string;
  readonly clusterName: string;
  private readonly region: string;
  private readonly accountId: string;

  constructor(scope: Construct, id: string, props: KubeadmClusterProps) {
    super(scope, id);
    const net = props.network;
    this.clusterName = props.clusterName;
    this.region = props.region;
    this.accountId = props.accountId;
    this.ssmPrefix = props.ssmPrefix ?? `/${props.clusterName}/kubeadm`;
    const podCidr = props.podCidr ?? '192.168.0.0/16';
    const serviceCidr = props.serviceCidr ?? '10.96.0.0/12';
    const version = props.kubernetesVersion ?? '1.31.4';

    const problems = [...validateTopology(props.topology)];
    const controlPools = props.topology.pools.filter((p) => p.role === 'control-plane');
    const cpCount = controlPools.reduce((n, p) => n + p.count, 0);
    if (cpCount > 1)
      problems.push(
        `topology "${props.topology.name}" has ${cpCount} control-plane nodes; this construct runs one (stacked etcd): use count 1`,
      );
    if (!/^[a-z][a-z0-9-]{1,38}$/.test(props.clusterName))
      problems.push(`clusterName "${props.clusterName}" must be lower-case letters, digits and hyphens`);
    const calico = props.calicoVersion ?? 'v3.29.1';
    if (!/^v3\.\d+\.\d+$/.test(calico)) problems.push(`calicoVersion "${calico}" must look like "v3.29.1"`);
    if (!/^1\.\d+\.\d+$/.test(version))
      problems.push(`kubernetesVersion "${version}" must look like "1.31.4"`);
    const vpc = parseCidr(net.cidr) as Cidr;
    const named: [string, string][] = [
      ['podCidr', podCidr],
      ['serviceCidr', serviceCidr],
    ];
    const parsed: Cidr[] = [];
    for (const [name, text] of named) {
      const c = parseCidr(text);
      if (typeof c === 'string') problems.push(`${name}: ${c}`);
      else {
        if (cidrsOverlap(c, vpc))
          problems.push(`${name} "${text}" overlaps the VPC "${net.cidr}": pick a range outside it`);
        parsed.push(c);
      }
    }
    const [pod, svc] = parsed;
    if (pod && svc && cidrsOverlap(pod, svc))
      problems.push(`podCidr "${podCidr}" overlaps serviceCidr "${serviceCidr}"`);
    for (const c of props.adminCidrs ?? []) {
      const p = parseCidr(c);
      if (typeof p === 'string') problems.push(`adminCidrs: ${p}`);
      else if (p.prefix === 0)
        problems.push(
          `adminCidrs "${c}" opens the API server to the internet; name your office or VPN range`,
        );
    }
    if (!net.privateSubnets.length)
      problems.push('network has no private subnets: nodes run in private subnets behind NAT');
    const archs = new Set(props.topology.pools.map((p) => instanceArchitecture(p.instanceType)));
    throwIfProblems(`KubeadmCluster ${this.node.path}`, problems);

    // Security groups.
    this.albSecurityGroup = new SecurityGroup(this, 'AlbSecurityGroup', {
      vpcId: net.vpc.id,
      description: `Public ALB of ${props.clusterName}: HTTP and HTTPS from the internet, NodePorts to nodes`,
      tags: { [`kubernetes.io/cluster/${props.clusterName}`]: 'owned' },
    });
    this.controlPlaneSecurityGroup = new SecurityGroup(this, 'ControlPlaneSecurityGroup', {
      vpcId: net.vpc.id,
      description: `Control plane of ${props.clusterName}: API server, etcd, scheduler and controller manager`,
    });
    this.nodeSecurityGroup = new SecurityGroup(this, 'NodeSecurityGroup', {
      vpcId: net.vpc.id,
      description: `Every node of ${props.clusterName}: kubelet, Calico and NodePorts`,
      tags: { [`kubernetes.io/cluster/${props.clusterName}`]: 'owned' },
    });
    const alb = this.albSecurityGroup;
    const cp = this.controlPlaneSecurityGroup;
    const nodes = this.nodeSecurityGroup;
    acknowledge(
      alb.allowIngress({ cidr: '0.0.0.0/0' }, tcp(443), 'HTTPS from the internet to the public ALB', 'Https'),
      'TF-SG-005',
      'The public ALB is the front door of the Waste Coach API',
    );
    acknowledge(
      alb.allowIngress(
        { cidr: '0.0.0.0/0' },
        tcp(80),
        'HTTP from the internet (redirected to HTTPS)',
        'Http',
      ),
      'TF-SG-005',
      'The public ALB redirects plain HTTP to HTTPS',
    );
    alb.allowEgress(
      { securityGroup: nodes },
      tcp(NODE_PORT_RANGE.from, NODE_PORT_RANGE.to),
      'ALB to NodePort services',
      'ToNodePorts',
    );
    cp.allowIngress({ cidr: net.cidr }, tcp(6443), 'Kubernetes API from inside the VPC', 'ApiFromVpc');
    (props.adminCidrs ?? []).forEach((cidr, i) =>
      cp.allowIngress({ cidr }, tcp(6443), `Kubernetes API from admin range ${cidr}`, `ApiFromAdmin${i}`),
    );
    cp.allowIngress(
      { securityGroup: cp },
      tcp(2379, 2380),
      'etcd client and peer, control plane only',
      'Etcd',
    );
    cp.allowIngress(
      { securityGroup: cp },
      tcp(10257),
      'kube-controller-manager, control plane only',
      'ControllerManager',
    );
    cp.allowIngress({ securityGroup: cp }, tcp(10259), 'kube-scheduler, control plane only', 'Scheduler');
    nodes.allowIngress({ securityGroup: nodes }, tcp(10250), 'kubelet API between nodes', 'Kubelet');
    nodes.allowIngress({ securityGroup: nodes }, udp(4789), 'Calico VXLAN between nodes', 'CalicoVxlan');
    nodes.allowIngress({ securityGroup: nodes }, tcp(179), 'Calico BGP between nodes', 'CalicoBgp');
    nodes.allowIngress({ securityGroup: nodes }, tcp(5473), 'Calico Typha between nodes', 'CalicoTypha');
    nodes.allowIngress(
      { securityGroup: nodes },
      tcp(9100),
      'node-exporter between nodes (Prometheus scrapes every node)',
      'NodeExporter',
    );
    nodes.allowIngress(
      { securityGroup: alb },
      tcp(NODE_PORT_RANGE.from, NODE_PORT_RANGE.to),
      'NodePort range from the ALB only',
      'NodePortsFromAlb',
    );
    nodes.allowEgress(
      { cidr: net.cidr },
      allTraffic,
      'Anything inside the VPC (pods, API server, DNS)',
      'Vpc',
    );
    nodes.allowEgress(
      { cidr: '0.0.0.0/0' },
      tcp(443),
      'HTTPS out through NAT: images, packages, AWS APIs',
      'Https',
    );
    nodes.allowEgress({ cidr: '0.0.0.0/0' }, tcp(80), 'HTTP out through NAT: Ubuntu package mirrors', 'Http');
    cp.allowEgress({ cidr: net.cidr }, allTraffic, 'Anything inside the VPC (kubelets, etcd peers)', 'Vpc');

    // IAM: a role for the control plane (may publish the join token) and one for the nodes.
    const assume = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    const paramArn = `arn:aws:ssm:${props.region}:${props.accountId}:parameter${this.ssmPrefix}`;
    this.controlPlaneRole = new IamRole(this, 'ControlPlaneRole', {
      namePrefix: `${props.clusterName}-cp-`,
      description: `Control plane of ${props.clusterName}: Session Manager, publishes the join token`,
      assumeRolePolicy: assume,
    });
    new IamRolePolicy(this, 'PublishJoin', {
      role: this.controlPlaneRole.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['ssm:PutParameter', 'ssm:GetParameter'], Resource: `${paramArn}/*` },
        ],
      }),
    });
    this.nodeRole = new IamRole(this, 'NodeRole', {
      namePrefix: `${props.clusterName}-node-`,
      description: `Nodes of ${props.clusterName}: Session Manager, join material, ALB controller, EBS CSI`,
      assumeRolePolicy: assume,
    });
    new IamRolePolicy(this, 'ReadJoin', {
      role: this.nodeRole.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['ssm:GetParameter'],
            Resource: [`${paramArn}/join-token`, `${paramArn}/ca-cert-hash`],
          },
        ],
      }),
    });
    const policyScope = {
      clusterName: props.clusterName,
      region: props.region,
      accountId: props.accountId,
      vpcId: net.vpc.id,
    };
    const lbc = new IamPolicy(this, 'LoadBalancerControllerPolicy', {
      namePrefix: `${props.clusterName}-aws-lb-controller-`,
      description: 'AWS Load Balancer Controller, scoped to the cluster VPC and its tagged load balancers',
      policy: JSON.stringify(loadBalancerControllerPolicy(policyScope)),
    });
    const ebs = new IamPolicy(this, 'EbsCsiPolicy', {
      namePrefix: `${props.clusterName}-ebs-csi-`,
      description: 'EBS CSI driver, scoped to volumes and snapshots it tags',
      policy: JSON.stringify(ebsCsiDriverPolicy(policyScope)),
    });
    for (const [role, rid] of [
      [this.controlPlaneRole, 'ControlPlane'],
      [this.nodeRole, 'Node'],
    ] as const) {
      new IamRolePolicyAttachment(this, `${rid}SessionManager`, {
        role: role.name,
        policyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
      });
      new IamRolePolicyAttachment(this, `${rid}LoadBalancerController`, {
        role: role.name,
        policyArn: lbc.arn,
      });
      new IamRolePolicyAttachment(this, `${rid}EbsCsi`, { role: role.name, policyArn: ebs.arn });
    }
    const cpProfile = new IamInstanceProfile(this, 'ControlPlaneProfile', {
      namePrefix: `${props.clusterName}-cp-`,
      role: this.controlPlaneRole.name,
    });
    const nodeProfile = new IamInstanceProfile(this, 'NodeProfile', {
      namePrefix: `${props.clusterName}-node-`,
      role: this.nodeRole.name,
    });

    const amis: Partial<Record<Architecture, DataAwsAmi>> = {};
    for (const arch of [...archs].sort()) {
      amis[arch] = new DataAwsAmi(this, `Ami-${arch}`, {
        mostRecent: true,
        owners: [UBUNTU_OWNER],
        filter: [
          { name: 'name', values: [ubuntuImageName(arch)] },
          { name: 'architecture', values: [arch] },
        ],
      });
    }
    const amiFor = (p: NodePool): string => (amis[instanceArchitecture(p.instanceType)] as DataAwsAmi).id;

    // The control plane at the 10th address of the first private subnet, so nodes know where to join.
    const firstPrivate = net.privateSubnets[0];
    if (!firstPrivate) throw new Error('unreachable: checked above');
    const firstCidr = parseCidr(firstPrivate.cidr) as Cidr;
    this.controlPlaneAddress = formatIpv4(firstCidr.network + 10);
    if (!cidrContains(firstCidr, firstCidr.network + 10)) throw new Error('unreachable: subnet too small');
    const boot: KubeadmBootOptions = {
      clusterName: props.clusterName,
      kubernetesVersion: version,
      region: props.region,
      ssmPrefix: this.ssmPrefix,
      controlPlaneAddress: this.controlPlaneAddress,
      podCidr,
      serviceCidr,
      calicoVersion: props.calicoVersion ?? 'v3.29.1',
    };
    const clusterTags = { [`kubernetes.io/cluster/${props.clusterName}`]: 'owned' };
    const userData: Record<string, string> = {};
    const cpPool = controlPools[0] as NodePool;
    const cpUserData = renderControlPlaneUserData(boot, cpPool);
    userData[cpPool.name] = cpUserData;
    this.controlPlane = new Instance(this, 'ControlPlane', {
      ami: amiFor(cpPool),
      instanceType: cpPool.instanceType,
      subnetId: firstPrivate.id,
      privateIp: this.controlPlaneAddress,
      vpcSecurityGroupIds: [cp.id, nodes.id],
      iamInstanceProfile: cpProfile.name,
      userData: cpUserData,
      userDataReplaceOnChange: false,
      monitoring: true,
      ebsOptimized: true,
      disableApiTermination: true,
      metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 2 },
      rootBlockDevice: {
        encrypted: true,
        volumeType: 'gp3',
        volumeSize: props.rootVolumeGiB ?? 30,
        deleteOnTermination: true,
      },
      tags: { Name: `${props.clusterName}-${cpPool.name}`, ...clusterTags, 'hybrid.dev/pool': cpPool.name },
      lifecycle: { ignoreChanges: ['ami', 'user_data'] },
    });

    const pools: Record<string, AutoscalingGroup> = {};
    for (const pool of props.topology.pools) {
      if (pool.role === 'control-plane' || pool.count === 0) continue;
      userData[pool.name] = renderNodeUserData(boot, pool);
      const lt = new LaunchTemplate(this, `${pool.name}-LaunchTemplate`, {
        namePrefix: `${props.clusterName}-${pool.name}-`,
        description: `${props.clusterName} ${pool.name} nodes (${pool.role})`,
        imageId: amiFor(pool),
        instanceType: pool.instanceType,
        vpcSecurityGroupIds: [nodes.id],
        iamInstanceProfile: { arn: nodeProfile.arn },
        userData: Buffer.from(userData[pool.name] as string).toString('base64'),
        ebsOptimized: 'true',
        monitoring: { enabled: true },
        updateDefaultVersion: true,
        metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 2 },
        blockDeviceMappings: [
          {
            deviceName: '/dev/sda1',
            ebs: {
              encrypted: 'true',
              volumeType: 'gp3',
              volumeSize: props.rootVolumeGiB ?? 30,
              deleteOnTermination: 'true',
            },
          },
        ],
        tagSpecifications: [
          { resourceType: 'instance', tags: { Name: `${props.clusterName}-${pool.name}`, ...clusterTags } },
          { resourceType: 'volume', tags: { Name: `${props.clusterName}-${pool.name}`, ...clusterTags } },
        ],
      });
      pools[pool.name] = new AutoscalingGroup(this, `${pool.name}-Group`, {
        namePrefix: `${props.clusterName}-${pool.name}-`,
        minSize: pool.count,
        maxSize: pool.count,
        desiredCapacity: pool.count,
        vpcZoneIdentifier: net.privateSubnets.map((s) => s.id),
        launchTemplate: { id: lt.id, version: '$Latest' },
        healthCheckType: 'EC2',
        dependsOn: [this.controlPlane],
        tag: [
          { key: 'Name', value: `${props.clusterName}-${pool.name}`, propagateAtLaunch: true },
          ...Object.entries(clusterTags).map(([key, value]) => ({ key, value, propagateAtLaunch: true })),
          { key: 'hybrid.dev/pool', value: pool.name, propagateAtLaunch: true },
        ],
      });
    }
    this.pools = pools;
    this.userData = userData;
  }
  /**
   * Lets pods that use the nodes' instance role (the External Secrets operator behind the
   * ClusterSecretStore) read the Secrets Manager secrets whose names start with `namePrefix`,
   * e.g. `waste-coach/` for `waste-coach/<workload>`. Nothing outside the prefix.
   */
  grantSecretsRead(namePrefix: string): IamRolePolicy {
    throwIfProblems(
      `KubeadmCluster ${this.node.path}`,
      /^[A-Za-z0-9/_+=.@-]+\/$/.test(namePrefix)
        ? []
        : [
            `secret name prefix "${namePrefix}" must be a path of name characters ending in "/" (no wildcards)`,
          ],
    );
    const arn = `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${namePrefix}*`;
    return new IamRolePolicy(this, `ReadSecrets-${namePrefix.replace(/[^A-Za-z0-9]/g, '')}`, {
      role: this.nodeRole.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: arn,
          },
        ],
      }),
    });
  }

  /**
   * Lets pods that use the nodes' instance role use the objects of one bucket, scoped to its ARN
   * (and to `keyPrefix` within it). @param keyPrefix @default '' (every key)
   */
  grantBucket(bucket: SecureBucket, access: BucketAccess, keyPrefix = ''): IamRolePolicy {
    const objects = `${bucket.arn}/${keyPrefix}*`;
    const statements =
      access === 'read-write'
        ? [
            {
              Effect: 'Allow',
              Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
              Resource: objects,
            },
            { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: bucket.arn },
          ]
        : [{ Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: objects }];
    return new IamRolePolicy(this, `Bucket-${bucket.node.id}`, {
      role: this.nodeRole.id,
      policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
    });
  }
}
