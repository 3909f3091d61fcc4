import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Instance } from '@cdktn/provider-aws/lib/instance';
import { DataAwsAmi } from '@cdktn/provider-aws/lib/data-aws-ami';
import { Testing } from 'cdktn';
import type { Construct } from 'constructs';
import { CLOUDFLARE_IPV4_RANGES, ProxyHost, type ProxyHostProps } from '../src';
import { cloudInitSchema, resourcesOf, run, shellSyntaxErrors, synth, withTempDir } from './helpers';

Testing.setupJest();

const base: ProxyHostProps = {
  vpcId: 'vpc-1',
  subnet: { id: 'subnet-pub', cidr: '10.10.0.0/20', availabilityZone: 'ap-northeast-2a', public: true },
  serverName: 'api.drawguess.example',
  upstreamAddress: '192.168.50.240',
  upstreamPort: 80,
  ingressCidrs: CLOUDFLARE_IPV4_RANGES.slice(0, 2),
  tailscaleAuthKeyParameter: '/drawguess/dev/tailscale-auth-key',
  region: 'ap-northeast-2',
  accountId: '111111111111',
};

function build(props: Partial<ProxyHostProps> = {}) {
  let proxy: ProxyHost | undefined;
  const out = synth((s: Construct) => {
    proxy = new ProxyHost(s, 'Proxy', { ...base, ...props });
  });
  return { ...out, proxy: proxy as ProxyHost };
}

/** `nginx -t` with the rendered config included in a minimal main config under a temp prefix. */
function nginxTest(serverConfig: string): { code: number; output: string } {
  return withTempDir((dir) => {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const gen = run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=test',
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    if (gen.code !== 0) throw new Error(`openssl failed: ${gen.output}`);
    writeFileSync(
      join(dir, 'edge-proxy.conf'),
      serverConfig
        .replaceAll('/etc/ssl/certs/edge-proxy.pem', cert)
        .replaceAll('/etc/ssl/private/edge-proxy.key', key),
    );
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((t) => `${t}_temp_path ${join(dir, t)};`)
      .join('\n  ');
    writeFileSync(
      join(dir, 'nginx.conf'),
      `pid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')};\nevents {}\nhttp {\n  access_log off;\n  ${temp}\n  include ${join(dir, 'edge-proxy.conf')};\n}\n`,
    );
    return run('nginx', ['-t', '-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')]);
  });
}

describe('ProxyHost', () => {
  it('is an ARM64 host with IMDSv2, an encrypted root volume, no key pair and an Elastic IP', () => {
    const { text, json } = build();
    expect(text).toHaveResourceWithProperties(Instance, {
      instance_type: 't4g.small',
      metadata_options: expect.objectContaining({ http_tokens: 'required' }),
      root_block_device: expect.objectContaining({ encrypted: true }),
      monitoring: true,
    });
    expect(text).toHaveDataSourceWithProperties(DataAwsAmi, {
      owners: ['099720109477'],
      filter: expect.arrayContaining([{ name: 'architecture', values: ['arm64'] }]),
    });
    const instance = resourcesOf(json, 'aws_instance')[0]!;
    expect(instance).not.toHaveProperty('key_name');
    expect(instance).not.toHaveProperty('associate_public_ip_address');
    expect(resourcesOf(json, 'aws_eip')).toHaveLength(1);
  });

  it('admits only 80 and 443 from the CDN ranges, never SSH', () => {
    const { json } = build();
    const ingress = resourcesOf(json, 'aws_vpc_security_group_ingress_rule');
    expect(ingress).toHaveLength(4);
    expect(new Set(ingress.map((r) => r.from_port))).toEqual(new Set([80, 443]));
    expect(new Set(ingress.map((r) => r.cidr_ipv4))).toEqual(new Set(CLOUDFLARE_IPV4_RANGES.slice(0, 2)));
    expect(
      ingress.every((r) => typeof r.description === 'string' && (r.description as string).length > 0),
    ).toBe(true);
  });

  it('reads the Tailscale key from SSM at boot; nothing secret in user data or JSON', () => {
    const { text, proxy } = build();
    expect(proxy.userData).toContain(
      'aws ssm get-parameter --region ap-northeast-2 --name /drawguess/dev/tailscale-auth-key --with-decryption',
    );
    expect(proxy.userData).toContain('--auth-key="file:$key_file"');
    expect(text).not.toMatch(/tskey-/);
    const role = JSON.parse(text) as { resource: Record<string, Record<string, { policy?: string }>> };
    const policy = Object.values(role.resource.aws_iam_role_policy ?? {})[0]?.policy ?? '';
    expect(JSON.parse(policy).Statement[0]).toEqual({
      Effect: 'Allow',
      Action: ['ssm:GetParameter'],
      Resource: 'arn:aws:ssm:ap-northeast-2:111111111111:parameter/drawguess/dev/tailscale-auth-key',
    });
  });

  it('joins the tailnet as a subnet router for the database subnets when asked', () => {
    const { proxy } = build({ advertiseRoutes: ['10.10.128.0/20', '10.10.144.0/20'] });
    expect(proxy.userData).toContain('--accept-routes --advertise-routes=10.10.128.0/20,10.10.144.0/20');
    expect(proxy.userData).toContain('net.ipv4.ip_forward = 1');
    expect(build().proxy.userData).not.toContain('--advertise-routes');
  });

  it('renders an nginx config that proxies REST and WebSocket upgrades and passes nginx -t', () => {
    const { proxy } = build();
    expect(proxy.nginxConfig).toContain('server 192.168.50.240:80');
    expect(proxy.nginxConfig).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(proxy.nginxConfig).toContain('server_name api.drawguess.example;');
    const ok = nginxTest(proxy.nginxConfig);
    expect(ok.output).toMatch(/syntax is ok/);
    expect(ok.code).toBe(0);
    const broken = nginxTest(
      proxy.nginxConfig.replace('proxy_http_version 1.1;', 'proxy_http_version 1.1 1.0;'),
    );
    expect(broken.code).not.toBe(0);
  });

  it('renders user data that passes cloud-init schema and whose scripts parse', () => {
    const { proxy } = build();
    expect(proxy.userData.startsWith('#cloud-config\n')).toBe(true);
    const result = cloudInitSchema(proxy.userData);
    expect(result.output).toMatch(/Valid cloud-config/);
    expect(result.code).toBe(0);
    expect(cloudInitSchema('#cloud-config\npackages: nginx\nruncmd: 5\n').code).not.toBe(0);
    expect(shellSyntaxErrors(proxy.userData)).toEqual([]);
    expect(
      shellSyntaxErrors(
        '#cloud-config\nwrite_files:\n  - path: /x\n    content: "#!/bin/sh\\nif then fi\\n"\n',
      ),
    ).toHaveLength(1);
  });

  it('rejects an ARM64 AMI with an x86 instance type', () => {
    expect(() => build({ instanceType: 't3.small' })).toThrow(
      `instanceType "t3.small" is x86_64 but the AMI is arm64: pick a arm64 type (e.g. t4g.small) or set architecture: 'x86_64'`,
    );
  });

  it('accepts an x86 host when both sides say x86_64', () => {
    const { text } = build({ instanceType: 't3.small', architecture: 'x86_64' });
    expect(text).toHaveDataSourceWithProperties(DataAwsAmi, {
      filter: expect.arrayContaining([{ name: 'architecture', values: ['x86_64'] }]),
    });
  });

  it('rejects a private subnet, world-open ingress, a key in place of a parameter name, and a bad upstream at once', () => {
    expect(() =>
      build({
        subnet: { ...base.subnet, public: false },
        ingressCidrs: ['0.0.0.0/0'],
        tailscaleAuthKeyParameter: 'tskey-auth-abc123',
        upstreamAddress: 'pi.local',
      }),
    ).toThrow(
      /4 problems[\s\S]*is private[\s\S]*admits the whole internet[\s\S]*not an IPv4 address[\s\S]*never the key itself/,
    );
  });
});
