import { Network, PostgresDatabase, ProxyHost, StaticSite, TAILNET_CIDR } from '@hybrid/constructs-aws';
import { TerraformOutput } from 'cdktn';
import type { Construct } from 'constructs';
import type { Environment } from '../environments';
import { EnvironmentStack } from './base';

/** DrawGuess on AWS: the proxy into the tailnet, RDS PostgreSQL, and the web client's site. */
export class EdgeStack extends EnvironmentStack {
  readonly network: Network;
  readonly proxy: ProxyHost;
  readonly database: PostgresDatabase;
  readonly site: StaticSite;

  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, env);
    const e = env.edge;
    this.network = new Network(this, 'Network', {
      cidr: e.vpcCidr,
      zones: 2,
      reservedCidrs: { tailnet: TAILNET_CIDR, 'Pi cluster LAN': e.piLanCidr },
    });
    const firstPublic = this.network.publicSubnets[0];
    if (!firstPublic) throw new Error('unreachable: the network has public subnets');
    this.proxy = new ProxyHost(this, 'Proxy', {
      vpcId: this.network.vpc.id,
      subnet: firstPublic,
      serverName: e.apiHostname,
      upstreamAddress: e.piIngressAddress,
      upstreamPort: e.piIngressPort,
      ingressCidrs: e.cdnRanges,
      tailscaleAuthKeyParameter: e.tailscaleAuthKeyParameter,
      tailnetRoutes: [e.piLanCidr],
      // The Pi cluster's game server reaches RDS through the proxy (subnet router, SNAT).
      advertiseRoutes: this.network.privateSubnets.map((sn) => sn.cidr),
      instanceType: e.proxyInstanceType,
      region: env.region,
      accountId: env.accountId,
    });
    this.database = new PostgresDatabase(this, 'Database', {
      vpcId: this.network.vpc.id,
      subnets: this.network.privateSubnets,
      databaseName: 'drawguess',
      instanceClass: e.databaseClass,
      allowFromSecurityGroups: [this.proxy.securityGroup],
      allowFromCidrs: [TAILNET_CIDR],
    });
    this.proxy.securityGroup.allowEgress(
      { securityGroup: this.database.securityGroup },
      { protocol: 'tcp', from: this.database.port },
      'PostgreSQL to the DrawGuess database',
      'ToDatabase',
    );
    this.site = new StaticSite(this, 'Site', {
      cdn: e.site.cdn,
      ...(e.site.domainName ? { domainName: e.site.domainName } : {}),
      ...(e.site.certificateArn ? { certificateArn: e.site.certificateArn } : {}),
    });
    new TerraformOutput(this, 'proxy_address', {
      value: this.proxy.address.publicIp,
      description: 'Public IPv4 of the edge proxy (point the CDN origin at it)',
    });
    new TerraformOutput(this, 'rds_endpoint', {
      value: this.database.instance.endpoint,
      description: 'RDS PostgreSQL endpoint (host:port)',
    });
    new TerraformOutput(this, 'rds_secret_arn', {
      value: this.database.instance.masterUserSecret.get(0).secretArn,
      description: 'Secrets Manager secret holding the master password',
    });
    new TerraformOutput(this, 'site_url', { value: this.site.url, description: 'URL of the web client' });
    new TerraformOutput(this, 'site_bucket', {
      value: this.site.bucket.name,
      description: 'Bucket to upload the web client build to',
    });
  }
}
