import { DataAwsAmi } from '@cdktn/provider-aws/lib/data-aws-ami';
import { Eip } from '@cdktn/provider-aws/lib/eip';
import { IamInstanceProfile } from '@cdktn/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktn/provider-aws/lib/iam-role-policy-attachment';
import { Instance } from '@cdktn/provider-aws/lib/instance';
import { Construct } from 'constructs';
import { instanceArchitecture, UBUNTU_OWNER, ubuntuImageName, type Architecture } from './architecture';
import { parseCidr, parseIpv4 } from './cidr';
import { renderCloudConfig } from './cloud-init';
import type { NetworkSubnet } from './network';
import { renderNginxProxy } from './nginx';
import { SecurityGroup, tcp, udp } from './security-group';
import { throwIfProblems } from './validation';

export interface ProxyHostProps {
  readonly vpcId: string;
  /** Where the host runs; must be a public subnet (it receives the CDN's connections). */
  readonly subnet: NetworkSubnet;
  /** Public API hostname nginx answers for. */
  readonly serverName: string;
  /** The Pi cluster's MetalLB address, reached over the tailnet. */
  readonly upstreamAddress: string;
  /** @default 80 */
  readonly upstreamPort?: number;
  /** Sources allowed on 80/443: the CDN's published ranges. */
  readonly ingressCidrs: readonly string[];
  /** SSM parameter (SecureString) holding the Tailscale auth key; read at boot. */
  readonly tailscaleAuthKeyParameter: string;
  /** Subnet routes to accept from the tailnet (the Pi's LAN with the MetalLB pool). @default [] */
  readonly tailnetRoutes?: readonly string[];
  /**
   * VPC ranges the proxy advertises into the tailnet as a subnet router (e.g. the database
   * subnets, so the Pi cluster reaches RDS). Traffic is SNATed to the proxy's address.
   * @default []
   */
  readonly advertiseRoutes?: readonly string[];
  /** @default 'arm64' */
  readonly architecture?: Architecture;
  /** @default 't4g.small' */
  readonly instanceType?: string;
  /** @default 16 */
  readonly rootVolumeGiB?: number;
  readonly region: string;
  readonly accountId: string;
}

/**
 * The EC2 host that bridges the public API hostname into the tailnet: nginx (REST and WebSocket)
 * in front of Tailscale. SSM Session Manager instead of SSH, IMDSv2 only, encrypted root volume,
 * 80/443 only from the CDN. The Tailscale key never leaves SSM until boot.
 */
export class ProxyHost extends Construct {
  readonly instance: Instance;
  readonly securityGroup: SecurityGroup;
  readonly address: Eip;
  readonly role: IamRole;
  readonly userData: string;
  readonly nginxConfig: string;
  readonly architecture: Architecture;
  readonly instanceType: string;

  constructor(scope: Construct, id: string, props: ProxyHostProps) {
    super(scope, id);
    this.architecture = props.architecture ?? 'arm64';
    this.instanceType = props.instanceType ?? 't4g.small';
    const upstreamPort = props.upstreamPort ?? 80;
    const problems: string[] = [];
    const typeArch = instanceArchitecture(this.instanceType);
    if (typeArch !== this.architecture) {
      problems.push(
        `instanceType "${this.instanceType}" is ${typeArch} but the AMI is ${this.architecture}: pick a ${this.architecture} type (e.g. ${this.architecture === 'arm64' ? 't4g.small' : 't3.small'}) or set architecture: '${typeArch}'`,
      );
    }
    if (!props.subnet.public)
      problems.push(
        `subnet ${props.subnet.cidr} is private: the proxy receives the CDN's connections and needs a public subnet`,
      );
    if (!props.ingressCidrs.length)
      problems.push('ingressCidrs is empty: list the CDN ranges allowed on 80/443');
    for (const c of props.ingressCidrs) {
      const p = parseCidr(c);
      if (typeof p === 'string') problems.push(`ingressCidrs: ${p}`);
      else if (p.prefix === 0)
        problems.push(
          `ingressCidrs "${c}" admits the whole internet; list the CDN's published ranges instead`,
        );
    }
    for (const [name, list] of [
      ['tailnetRoutes', props.tailnetRoutes],
      ['advertiseRoutes', props.advertiseRoutes],
    ] as const) {
      for (const c of list ?? []) {
        const p = parseCidr(c);
        if (typeof p === 'string') problems.push(`${name}: ${p}`);
        else if (p.prefix === 0) problems.push(`${name} "${c}" is the whole internet; name the subnets`);
      }
    }
    if (parseIpv4(props.upstreamAddress) === undefined)
      problems.push(`upstreamAddress "${props.upstreamAddress}" is not an IPv4 address`);
    if (!Number.isInteger(upstreamPort) || upstreamPort < 1 || upstreamPort > 65535)
      problems.push(`upstreamPort ${upstreamPort} is not a TCP port`);
    if (!/^\/[\w./-]+$/.test(props.tailscaleAuthKeyParameter)) {
      problems.push(
        `tailscaleAuthKeyParameter "${props.tailscaleAuthKeyParameter}" must be an SSM parameter name like "/drawguess/dev/tailscale-auth-key", never the key itself`,
      );
    }
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(props.serverName))
      problems.push(`serverName "${props.serverName}" is not a hostname`);
    throwIfProblems(`ProxyHost ${this.node.path}`, problems);

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpcId: props.vpcId,
      description: 'Edge proxy: HTTP and HTTPS from the CDN only; no SSH (Session Manager)',
    });
    props.ingressCidrs.forEach((cidr, i) => {
      this.securityGroup.allowIngress({ cidr }, tcp(443), `HTTPS from CDN range ${cidr}`, `Https${i}`);
      this.securityGroup.allowIngress(
        { cidr },
        tcp(80),
        `HTTP (redirect, health) from CDN range ${cidr}`,
        `Http${i}`,
      );
    });
    this.securityGroup.allowEgress(
      { cidr: '0.0.0.0/0' },
      tcp(443),
      'HTTPS out: packages, SSM, Tailscale control plane',
      'HttpsOut',
    );
    this.securityGroup.allowEgress(
      { cidr: '0.0.0.0/0' },
      tcp(80),
      'HTTP out: Ubuntu package mirrors',
      'HttpOut',
    );
    this.securityGroup.allowEgress(
      { cidr: '0.0.0.0/0' },
      udp(41641),
      'WireGuard to tailnet peers (direct connections)',
      'WireGuardOut',
    );
    this.securityGroup.allowEgress(
      { cidr: '0.0.0.0/0' },
      udp(3478),
      'STUN for Tailscale NAT traversal',
      'StunOut',
    );

    this.role = new IamRole(this, 'Role', {
      namePrefix: 'edge-proxy-',
      description: 'Edge proxy host: Session Manager and its Tailscale auth key parameter',
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    });
    new IamRolePolicyAttachment(this, 'SessionManager', {
      role: this.role.name,
      policyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
    });
    new IamRolePolicy(this, 'ReadTailscaleKey', {
      role: this.role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['ssm:GetParameter'],
            Resource: `arn:aws:ssm:${props.region}:${props.accountId}:parameter${props.tailscaleAuthKeyParameter}`,
          },
        ],
      }),
    });
    const profile = new IamInstanceProfile(this, 'Profile', {
      namePrefix: 'edge-proxy-',
      role: this.role.name,
    });

    const ami = new DataAwsAmi(this, 'Ami', {
      mostRecent: true,
      owners: [UBUNTU_OWNER],
      filter: [
        { name: 'name', values: [ubuntuImageName(this.architecture)] },
        { name: 'architecture', values: [this.architecture] },
        { name: 'virtualization-type', values: ['hvm'] },
      ],
    });

    this.nginxConfig = renderNginxProxy({
      serverName: props.serverName,
      upstreamAddress: props.upstreamAddress,
      upstreamPort,
      certificateFile: '/etc/ssl/certs/edge-proxy.pem',
      certificateKeyFile: '/etc/ssl/private/edge-proxy.key',
      trustedProxies: props.ingressCidrs,
    });
    this.userData = renderProxyUserData({
      nginxConfig: this.nginxConfig,
      parameter: props.tailscaleAuthKeyParameter,
      region: props.region,
      advertiseRoutes: props.advertiseRoutes ?? [],
      hostname: this.node.path.replace(/\//g, '-').toLowerCase(),
    });

    this.instance = new Instance(this, 'Resource', {
      ami: ami.id,
      instanceType: this.instanceType,
      subnetId: props.subnet.id,
      vpcSecurityGroupIds: [this.securityGroup.id],
      iamInstanceProfile: profile.name,
      userData: this.userData,
      userDataReplaceOnChange: true,
      monitoring: true,
      ebsOptimized: true,
      metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 },
      rootBlockDevice: {
        encrypted: true,
        volumeType: 'gp3',
        volumeSize: props.rootVolumeGiB ?? 16,
        deleteOnTermination: true,
      },
      tags: { Name: this.node.path },
      lifecycle: { ignoreChanges: ['ami'] },
    });
    this.address = new Eip(this, 'Address', {
      domain: 'vpc',
      instance: this.instance.id,
      tags: { Name: this.node.path },
    });
  }
}

interface ProxyUserData {
  readonly nginxConfig: string;
  readonly parameter: string;
  readonly region: string;
  readonly advertiseRoutes: readonly string[];
  readonly hostname: string;
}

/** cloud-init for the proxy: nginx, Tailscale from its apt repository, the key fetched from SSM. */
export function renderProxyUserData(u: ProxyUserData): string {
  const tailscaleUp = `#!/bin/sh
# Joins the tailnet with the auth key from SSM Parameter Store; the key lives only in a 0600 tmpfs file.
set -eu
key_file="$(mktemp -p /run)"
chmod 600 "$key_file"
trap 'rm -f "$key_file"' EXIT
aws ssm get-parameter --region ${u.region} --name ${u.parameter} --with-decryption --query Parameter.Value --output text > "$key_file"
tailscale up --auth-key="file:$key_file" --hostname=${u.hostname} --accept-routes${u.advertiseRoutes.length ? ` --advertise-routes=${u.advertiseRoutes.join(',')}` : ''}
`;
  return renderCloudConfig({
    package_update: true,
    package_upgrade: true,
    packages: ['nginx', 'curl', 'ca-certificates', 'openssl'],
    write_files: [
      { path: '/etc/nginx/conf.d/edge-proxy.conf', content: u.nginxConfig, permissions: '0644' },
      { path: '/usr/local/sbin/edge-tailscale-up', content: tailscaleUp, permissions: '0755' },
      {
        path: '/etc/sysctl.d/99-tailscale-subnet-router.conf',
        content: 'net.ipv4.ip_forward = 1\n',
        permissions: '0644',
      },
      {
        path: '/usr/local/sbin/edge-install-tailscale',
        permissions: '0755',
        content: `#!/bin/sh
# Tailscale's apt repository, signed by its published key.
set -eu
. /etc/os-release
curl -fsSL "https://pkgs.tailscale.com/stable/ubuntu/$VERSION_CODENAME.noarmor.gpg" -o /usr/share/keyrings/tailscale-archive-keyring.gpg
curl -fsSL "https://pkgs.tailscale.com/stable/ubuntu/$VERSION_CODENAME.tailscale-keyring.list" -o /etc/apt/sources.list.d/tailscale.list
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q tailscale
systemctl enable --now tailscaled
`,
      },
    ],
    runcmd: [
      ['rm', '-f', '/etc/nginx/sites-enabled/default'],
      [
        'openssl',
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '825',
        '-subj',
        '/CN=edge-proxy',
        '-keyout',
        '/etc/ssl/private/edge-proxy.key',
        '-out',
        '/etc/ssl/certs/edge-proxy.pem',
      ],
      ['snap', 'install', 'aws-cli', '--classic'],
      ['sysctl', '--system'],
      ['/usr/local/sbin/edge-install-tailscale'],
      ['/usr/local/sbin/edge-tailscale-up'],
      ['nginx', '-t'],
      ['systemctl', 'reload-or-restart', 'nginx'],
    ],
  });
}
