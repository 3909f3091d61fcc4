import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { DataAwsAvailabilityZones } from '@cdktn/provider-aws/lib/data-aws-availability-zones';
import { DefaultSecurityGroup } from '@cdktn/provider-aws/lib/default-security-group';
import { Eip } from '@cdktn/provider-aws/lib/eip';
import { FlowLog } from '@cdktn/provider-aws/lib/flow-log';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktn/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktn/provider-aws/lib/nat-gateway';
import { Route } from '@cdktn/provider-aws/lib/route';
import { RouteTable } from '@cdktn/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktn/provider-aws/lib/route-table-association';
import { Subnet as SubnetResource } from '@cdktn/provider-aws/lib/subnet';
import { Vpc } from '@cdktn/provider-aws/lib/vpc';
import { Fn } from 'cdktn';
import { Construct } from 'constructs';
import { cidrsOverlap, parseCidr, subnetCidr, type Cidr } from './cidr';
import { throwIfProblems } from './validation';

/** A subnet and what the constructs placed in it need to know about it. */
export interface NetworkSubnet {
  readonly id: string;
  readonly cidr: string;
  readonly availabilityZone: string;
  readonly public: boolean;
}

export interface NetworkProps {
  /** @default '10.0.0.0/16' */
  readonly cidr?: string;
  /** Availability zones to spread subnets over. @default 2 */
  readonly zones?: number;
  /**
   * Networks this VPC must not overlap, by name (the tailnet, the Pi cluster's LAN, a peered VPC).
   * @default {}
   */
  readonly reservedCidrs?: Readonly<Record<string, string>>;
  /** One NAT gateway per zone (true) or a single shared one (false). @default false */
  readonly natPerZone?: boolean;
  /** Create private subnets with NAT egress. @default true */
  readonly privateSubnets?: boolean;
  /** Extra tags on public / private subnets (e.g. `kubernetes.io/role/elb`). @default {} */
  readonly publicSubnetTags?: Readonly<Record<string, string>>;
  /** @default {} */
  readonly privateSubnetTags?: Readonly<Record<string, string>>;
  /** Flow log retention in days. @default 365 */
  readonly flowLogRetentionDays?: number;
}

/**
 * A VPC over several zones: public subnets (internet gateway, no automatic public IPs), private
 * subnets behind NAT, rejected-and-accepted flow logs to CloudWatch, and a default security group
 * with no rules at all. Subnet CIDRs are carved at synth time so overlaps are caught before a plan.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly cidr: string;
  readonly zones: number;
  readonly publicSubnets: readonly NetworkSubnet[];
  readonly privateSubnets: readonly NetworkSubnet[];
  readonly flowLogGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    this.cidr = props.cidr ?? '10.0.0.0/16';
    this.zones = props.zones ?? 2;
    const parsed = validateNetwork(
      this.node.path,
      this.cidr,
      this.zones,
      props.reservedCidrs ?? {},
      props.flowLogRetentionDays ?? 365,
    );

    this.vpc = new Vpc(this, 'Resource', {
      cidrBlock: this.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: this.node.path },
    });
    new DefaultSecurityGroup(this, 'DefaultSecurityGroup', {
      vpcId: this.vpc.id,
      tags: { Name: `${this.node.path} default (no rules)` },
    });

    const azs = new DataAwsAvailabilityZones(this, 'Zones', { state: 'available' });
    const zoneName = (i: number): string => Fn.element(azs.names, i);
    const igw = new InternetGateway(this, 'InternetGateway', {
      vpcId: this.vpc.id,
      tags: { Name: this.node.path },
    });

    // Each subnet is 1/16 of the VPC (/16 -> /20): public 0..zones-1, private 8..8+zones-1.
    const newbits = 4;
    const publicTable = new RouteTable(this, 'PublicRoutes', {
      vpcId: this.vpc.id,
      tags: { Name: `${this.node.path}/public` },
    });
    new Route(this, 'PublicDefault', {
      routeTableId: publicTable.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });
    const publicSubnets: NetworkSubnet[] = [];
    for (let i = 0; i < this.zones; i++) {
      const cidr = subnetCidr(parsed, newbits, i);
      const s = new SubnetResource(this, `Public${i}`, {
        vpcId: this.vpc.id,
        cidrBlock: cidr,
        availabilityZone: zoneName(i),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${this.node.path}/public-${i}`, tier: 'public', ...props.publicSubnetTags },
      });
      new RouteTableAssociation(this, `Public${i}Routes`, { subnetId: s.id, routeTableId: publicTable.id });
      publicSubnets.push({ id: s.id, cidr, availabilityZone: zoneName(i), public: true });
    }
    this.publicSubnets = publicSubnets;

    const privateSubnets: NetworkSubnet[] = [];
    if (props.privateSubnets ?? true) {
      const nats: NatGateway[] = [];
      const natCount = props.natPerZone ? this.zones : 1;
      for (let i = 0; i < natCount; i++) {
        const eip = new Eip(this, `Nat${i}Address`, {
          domain: 'vpc',
          tags: { Name: `${this.node.path}/nat-${i}` },
        });
        const sub = publicSubnets[i];
        if (!sub) throw new Error('unreachable: a NAT gateway per public subnet');
        nats.push(
          new NatGateway(this, `Nat${i}`, {
            allocationId: eip.id,
            subnetId: sub.id,
            tags: { Name: `${this.node.path}/nat-${i}` },
            dependsOn: [igw],
          }),
        );
      }
      for (let i = 0; i < this.zones; i++) {
        const cidr = subnetCidr(parsed, newbits, 8 + i);
        const table = new RouteTable(this, `Private${i}RouteTable`, {
          vpcId: this.vpc.id,
          tags: { Name: `${this.node.path}/private-${i}` },
        });
        const nat = nats[i % nats.length];
        if (!nat) throw new Error('unreachable: at least one NAT gateway');
        new Route(this, `Private${i}Default`, {
          routeTableId: table.id,
          destinationCidrBlock: '0.0.0.0/0',
          natGatewayId: nat.id,
        });
        const s = new SubnetResource(this, `Private${i}`, {
          vpcId: this.vpc.id,
          cidrBlock: cidr,
          availabilityZone: zoneName(i),
          mapPublicIpOnLaunch: false,
          tags: { Name: `${this.node.path}/private-${i}`, tier: 'private', ...props.privateSubnetTags },
        });
        new RouteTableAssociation(this, `Private${i}Routes`, { subnetId: s.id, routeTableId: table.id });
        privateSubnets.push({ id: s.id, cidr, availabilityZone: zoneName(i), public: false });
      }
    }
    this.privateSubnets = privateSubnets;

    this.flowLogGroup = new CloudwatchLogGroup(this, 'FlowLogs', {
      namePrefix: `/hybrid/vpc-flow-logs/${this.node.path.replace(/\//g, '-')}-`,
      retentionInDays: props.flowLogRetentionDays ?? 365,
    });
    const role = new IamRole(this, 'FlowLogsRole', {
      namePrefix: 'vpc-flow-logs-',
      description: `Lets VPC Flow Logs write ${this.node.path} traffic records to CloudWatch Logs`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    });
    new IamRolePolicy(this, 'FlowLogsPolicy', {
      role: role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: [this.flowLogGroup.arn, `${this.flowLogGroup.arn}:*`],
          },
        ],
      }),
    });
    new FlowLog(this, 'FlowLog', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
    });
  }
}

function validateNetwork(
  path: string,
  cidr: string,
  zones: number,
  reserved: Readonly<Record<string, string>>,
  retention: number,
): Cidr {
  const problems: string[] = [];
  const vpc = parseCidr(cidr);
  if (typeof vpc === 'string') problems.push(`cidr: ${vpc}`);
  else if (vpc.prefix > 20 || vpc.prefix < 16)
    problems.push(
      `cidr "${cidr}" must be a /16 to /20 so every zone gets a public and a private subnet (use e.g. "10.0.0.0/16")`,
    );
  if (!Number.isInteger(zones) || zones < 2 || zones > 4)
    problems.push(
      `zones must be a whole number from 2 to 4 (got ${zones}); RDS Multi-AZ and the ALB need at least 2`,
    );
  for (const [name, text] of Object.entries(reserved)) {
    const other = parseCidr(text);
    if (typeof other === 'string') problems.push(`reservedCidrs.${name}: ${other}`);
    else if (typeof vpc !== 'string' && cidrsOverlap(vpc, other)) {
      problems.push(
        `cidr "${cidr}" overlaps ${name} "${text}": pick a VPC range outside it (e.g. "10.20.0.0/16")`,
      );
    }
  }
  if (
    ![
      1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
    ].includes(retention)
  ) {
    problems.push(`flowLogRetentionDays ${retention} is not a CloudWatch retention value (use e.g. 365)`);
  }
  throwIfProblems(`Network ${path}`, problems);
  return vpc as Cidr;
}
