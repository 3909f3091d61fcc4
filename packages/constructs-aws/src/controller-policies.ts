/**
 * Scoped IAM policy documents for the controllers the kubeadm cluster runs with the node role:
 * the AWS Load Balancer Controller and the EBS CSI driver. Read-only Describe calls need `*`; every
 * mutating action is limited by resource type and by the cluster's ownership tags. No action
 * wildcards.
 */
export interface ScopedPolicyOptions {
  readonly clusterName: string;
  readonly region: string;
  readonly accountId: string;
  readonly vpcId: string;
}

export function loadBalancerControllerPolicy(o: ScopedPolicyOptions): Record<string, unknown> {
  const elb = `arn:aws:elasticloadbalancing:${o.region}:${o.accountId}`;
  const ec2 = `arn:aws:ec2:${o.region}:${o.accountId}`;
  const clusterTag = { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'false' };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ServiceLinkedRole',
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole'],
        Resource: '*',
        Condition: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
      },
      {
        Sid: 'Describe',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeAccountAttributes',
          'ec2:DescribeAddresses',
          'ec2:DescribeAvailabilityZones',
          'ec2:DescribeInternetGateways',
          'ec2:DescribeVpcs',
          'ec2:DescribeVpcPeeringConnections',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeTags',
          'ec2:GetCoipPoolUsage',
          'ec2:DescribeCoipPools',
          'ec2:GetSecurityGroupsForVpc',
          'ec2:DescribeIpamPools',
          'ec2:DescribeRouteTables',
          'elasticloadbalancing:DescribeLoadBalancers',
          'elasticloadbalancing:DescribeLoadBalancerAttributes',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeListenerCertificates',
          'elasticloadbalancing:DescribeSSLPolicies',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetGroupAttributes',
          'elasticloadbalancing:DescribeTargetHealth',
          'elasticloadbalancing:DescribeTags',
          'elasticloadbalancing:DescribeTrustStores',
          'elasticloadbalancing:DescribeListenerAttributes',
          'elasticloadbalancing:DescribeCapacityReservation',
          'acm:ListCertificates',
          'acm:DescribeCertificate',
        ],
        Resource: '*',
      },
      {
        Sid: 'SecurityGroupsInClusterVpc',
        Effect: 'Allow',
        Action: ['ec2:CreateSecurityGroup'],
        Resource: [`${ec2}:vpc/${o.vpcId}`, `${ec2}:security-group/*`],
      },
      {
        Sid: 'TagNewSecurityGroups',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: `${ec2}:security-group/*`,
        Condition: { StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup' } },
      },
      {
        Sid: 'ManageOwnSecurityGroups',
        Effect: 'Allow',
        Action: [
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:RevokeSecurityGroupIngress',
          'ec2:DeleteSecurityGroup',
          'ec2:CreateTags',
          'ec2:DeleteTags',
        ],
        Resource: `${ec2}:security-group/*`,
        Condition: { Null: clusterTag },
      },
      {
        Sid: 'CreateTaggedLoadBalancers',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:CreateLoadBalancer',
          'elasticloadbalancing:CreateTargetGroup',
          'elasticloadbalancing:AddTags',
        ],
        Resource: [`${elb}:loadbalancer/app/*/*`, `${elb}:targetgroup/*/*`],
        Condition: { Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'false' } },
      },
      {
        Sid: 'ManageOwnLoadBalancers',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:ModifyLoadBalancerAttributes',
          'elasticloadbalancing:SetIpAddressType',
          'elasticloadbalancing:SetSecurityGroups',
          'elasticloadbalancing:SetSubnets',
          'elasticloadbalancing:DeleteLoadBalancer',
          'elasticloadbalancing:ModifyTargetGroup',
          'elasticloadbalancing:ModifyTargetGroupAttributes',
          'elasticloadbalancing:DeleteTargetGroup',
          'elasticloadbalancing:RemoveTags',
          'elasticloadbalancing:AddTags',
          'elasticloadbalancing:ModifyListenerAttributes',
        ],
        Resource: [`${elb}:loadbalancer/app/*/*`, `${elb}:targetgroup/*/*`],
        Condition: { Null: clusterTag },
      },
      {
        Sid: 'ListenersAndRules',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:CreateListener',
          'elasticloadbalancing:DeleteListener',
          'elasticloadbalancing:CreateRule',
          'elasticloadbalancing:DeleteRule',
          'elasticloadbalancing:ModifyListener',
          'elasticloadbalancing:ModifyRule',
          'elasticloadbalancing:AddListenerCertificates',
          'elasticloadbalancing:RemoveListenerCertificates',
          'elasticloadbalancing:SetWebAcl',
        ],
        Resource: [
          `${elb}:loadbalancer/app/*/*`,
          `${elb}:listener/app/*/*/*`,
          `${elb}:listener-rule/app/*/*/*/*`,
        ],
      },
      {
        Sid: 'Targets',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        Resource: `${elb}:targetgroup/*/*`,
      },
    ],
  };
}

export function ebsCsiDriverPolicy(o: ScopedPolicyOptions): Record<string, unknown> {
  const ec2 = `arn:aws:ec2:${o.region}`;
  const owned = { 'aws:ResourceTag/ebs.csi.aws.com/cluster': 'true' };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Describe',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeAvailabilityZones',
          'ec2:DescribeInstances',
          'ec2:DescribeSnapshots',
          'ec2:DescribeTags',
          'ec2:DescribeVolumes',
          'ec2:DescribeVolumesModifications',
        ],
        Resource: '*',
      },
      {
        Sid: 'CreateTaggedVolumes',
        Effect: 'Allow',
        Action: ['ec2:CreateVolume', 'ec2:CreateSnapshot'],
        Resource: [`${ec2}:*:volume/*`, `${ec2}::snapshot/*`],
        Condition: { StringEquals: { 'aws:RequestTag/ebs.csi.aws.com/cluster': 'true' } },
      },
      {
        Sid: 'TagOnCreate',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: [`${ec2}:*:volume/*`, `${ec2}::snapshot/*`],
        Condition: { StringEquals: { 'ec2:CreateAction': ['CreateVolume', 'CreateSnapshot'] } },
      },
      {
        Sid: 'AttachToClusterNodes',
        Effect: 'Allow',
        Action: ['ec2:AttachVolume', 'ec2:DetachVolume'],
        Resource: `${ec2}:*:instance/*`,
        Condition: { StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${o.clusterName}`]: 'owned' } },
      },
      {
        Sid: 'ManageOwnVolumes',
        Effect: 'Allow',
        Action: [
          'ec2:AttachVolume',
          'ec2:DetachVolume',
          'ec2:ModifyVolume',
          'ec2:DeleteVolume',
          'ec2:DeleteSnapshot',
        ],
        Resource: [`${ec2}:*:volume/*`, `${ec2}::snapshot/*`],
        Condition: { StringEquals: owned },
      },
    ],
  };
}
