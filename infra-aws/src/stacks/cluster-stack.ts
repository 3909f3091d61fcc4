import { postgresBackupBucketBase, topologies } from '@hybrid/catalog';
import { DnsCertificate, KubeadmCluster, Network, SecureBucket } from '@hybrid/constructs-aws';
import { TerraformOutput } from 'cdktn';
import type { Construct } from 'constructs';
import type { Environment } from '../environments';
import { EnvironmentStack } from './base';

/**
 * Secrets Manager names the cluster's ExternalSecrets read (`<namespace>/<workload>`, namespace
 * `waste-coach`); the nodes may read these and no other secrets.
 */
export const CLUSTER_SECRETS_PREFIX = 'waste-coach/';

/**
 * Waste Coach: the kubeadm cluster on EC2, its images and backups buckets (used by pods through the
 * nodes' instance role), and its certificate when a domain is set.
 */
export class ClusterStack extends EnvironmentStack {
  readonly network: Network;
  readonly cluster: KubeadmCluster;
  readonly images: SecureBucket;
  readonly backups: SecureBucket;
  readonly certificate: DnsCertificate | undefined;

  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, env);
    const c = env.cluster;
    const clusterName = c.name;
    this.network = new Network(this, 'Network', {
      cidr: c.vpcCidr,
      zones: 3,
      natPerZone: env.name === 'prod',
      publicSubnetTags: { 'kubernetes.io/role/elb': '1', [`kubernetes.io/cluster/${clusterName}`]: 'shared' },
      privateSubnetTags: {
        'kubernetes.io/role/internal-elb': '1',
        [`kubernetes.io/cluster/${clusterName}`]: 'shared',
      },
    });
    this.cluster = new KubeadmCluster(this, 'Cluster', {
      network: this.network,
      topology: topologies[c.topology],
      clusterName,
      adminCidrs: c.adminCidrs,
      region: env.region,
      accountId: env.accountId,
    });
    this.images = new SecureBucket(this, 'Images', {
      bucketName: c.imagesBucket,
      cors: [
        {
          allowedMethods: ['PUT', 'GET', 'HEAD'],
          allowedOrigins: [c.appOrigin],
          allowedHeaders: ['content-type', 'content-md5', 'x-amz-*'],
        },
      ],
      noncurrentVersionDays: 30,
      lifecycleRules: [
        {
          id: 'uploads-to-infrequent-access',
          status: 'Enabled',
          filter: [{ prefix: 'scans/' }],
          transition: [{ days: 30, storageClass: 'STANDARD_IA' }],
        },
      ],
    });
    // The nightly pg_dump CronJob writes `postgres/<db>/<stamp>.dump` to `<base>-<account id>`.
    this.backups = new SecureBucket(this, 'Backups', {
      bucketName: `${postgresBackupBucketBase}-${env.accountId}`,
    });
    this.cluster.grantSecretsRead(CLUSTER_SECRETS_PREFIX);
    this.cluster.grantBucket(this.images, 'read-write');
    this.cluster.grantBucket(this.backups, 'put', 'postgres/');
    this.certificate = c.domain ? new DnsCertificate(this, 'Certificate', { zoneName: c.domain }) : undefined;

    const out = (name: string, value: unknown, description: string): void => {
      new TerraformOutput(this, name, { value, description });
    };
    out('cluster_name', clusterName, 'clusterName for the AWS Load Balancer Controller');
    out('region', env.region, 'AWS region');
    out('vpc_id', this.network.vpc.id, 'vpcId for the AWS Load Balancer Controller');
    out(
      'public_subnet_ids',
      this.network.publicSubnets.map((s) => s.id),
      'Subnets the ALB uses (tagged kubernetes.io/role/elb)',
    );
    out(
      'alb_security_group_id',
      this.cluster.albSecurityGroup.id,
      'alb.ingress.kubernetes.io/security-groups for the Ingress',
    );
    out('node_role_arn', this.cluster.nodeRole.arn, 'IAM role of the nodes (controllers run with it)');
    out(
      'control_plane_address',
      this.cluster.controlPlaneAddress,
      'Private address of the API server (kubeadm controlPlaneEndpoint)',
    );
    out('join_parameters_path', this.cluster.ssmPrefix, 'SSM path of the kubeadm join token and CA hash');
    out('images_bucket', this.images.name, 'IMAGES_BUCKET for scan and worker-storage');
    out('backups_bucket', this.backups.name, 'Bucket of the nightly PostgreSQL backup job');
    if (this.certificate)
      out(
        'certificate_arn',
        this.certificate.arn,
        'alb.ingress.kubernetes.io/certificate-arn for the Ingress',
      );
  }
}
