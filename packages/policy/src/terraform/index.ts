import type { Rule } from '../core';
import type { UnitContext } from '../sources';
import { cloudfrontHttps } from './cloudfront-https';
import { cloudfrontOriginAccessControl } from './cloudfront-origin-access';
import { cloudfrontModernTls } from './cloudfront-tls';
import { ec2DetailedMonitoring } from './ec2-detailed-monitoring';
import { ec2EbsOptimized } from './ec2-ebs-optimized';
import { ec2EncryptedVolumes } from './ec2-encrypted-volumes';
import { ec2Imdsv2 } from './ec2-imdsv2';
import { ec2NoKeyPair } from './ec2-no-key-pair';
import { ec2NoAutoPublicIp } from './ec2-no-public-ip';
import { ec2NoSecretsInUserData } from './ec2-no-secrets-in-user-data';
import { iamNoWildcardActions } from './iam-no-wildcard-actions';
import { iamTrustNotPublic } from './iam-trust-policy';
import { logGroupRetention } from './log-retention';
import { providerNoCredentials } from './provider-no-credentials';
import { rdsBackupRetention } from './rds-backup-retention';
import { rdsDeletionProtection } from './rds-deletion-protection';
import { rdsForceTls } from './rds-force-tls';
import { rdsIamAuthentication } from './rds-iam-auth';
import { rdsLogExports } from './rds-log-exports';
import { rdsManagedPassword } from './rds-managed-password';
import { rdsAutoMinorUpgrade } from './rds-minor-upgrades';
import { rdsMultiAz } from './rds-multi-az';
import { rdsNotPublic } from './rds-not-public';
import { rdsPerformanceInsights } from './rds-performance-insights';
import { rdsStorageEncrypted } from './rds-storage-encrypted';
import { s3Encryption } from './s3-encryption';
import { s3Lifecycle } from './s3-lifecycle';
import { s3NotWorldReadable } from './s3-not-world-readable';
import { s3OwnershipEnforced } from './s3-ownership-controls';
import { s3PublicAccessBlock } from './s3-public-access-block';
import { s3TlsOnly } from './s3-tls-only';
import { s3Versioning } from './s3-versioning';
import { sgNoInternetAdminPorts } from './sg-admin-ports';
import { sgDefaultNoRules } from './sg-default-no-rules';
import { sgDescription } from './sg-description';
import { sgNoInternetIngress } from './sg-no-internet-ingress';
import { sgNoUnrestrictedEgress } from './sg-no-open-egress';
import { sgRuleDescription } from './sg-rule-description';
import { vpcDefaultSecurityGroupManaged } from './vpc-default-sg-managed';
import { vpcFlowLogs } from './vpc-flow-logs';
import { vpcSubnetNoAutoPublicIp } from './vpc-subnet-no-public-ip';

/** The Terraform rule pack (one rule per file in this folder), in id order. */
export const terraformRules: readonly Rule<UnitContext>[] = [
  cloudfrontHttps,
  cloudfrontOriginAccessControl,
  cloudfrontModernTls,
  ec2DetailedMonitoring,
  ec2EbsOptimized,
  ec2EncryptedVolumes,
  ec2Imdsv2,
  ec2NoKeyPair,
  ec2NoAutoPublicIp,
  ec2NoSecretsInUserData,
  iamNoWildcardActions,
  iamTrustNotPublic,
  logGroupRetention,
  providerNoCredentials,
  rdsBackupRetention,
  rdsDeletionProtection,
  rdsForceTls,
  rdsIamAuthentication,
  rdsLogExports,
  rdsManagedPassword,
  rdsAutoMinorUpgrade,
  rdsMultiAz,
  rdsNotPublic,
  rdsPerformanceInsights,
  rdsStorageEncrypted,
  s3Encryption,
  s3Lifecycle,
  s3NotWorldReadable,
  s3OwnershipEnforced,
  s3PublicAccessBlock,
  s3TlsOnly,
  s3Versioning,
  sgNoInternetAdminPorts,
  sgDefaultNoRules,
  sgDescription,
  sgNoInternetIngress,
  sgNoUnrestrictedEgress,
  sgRuleDescription,
  vpcDefaultSecurityGroupManaged,
  vpcFlowLogs,
  vpcSubnetNoAutoPublicIp,
].sort((a, b) => a.id.localeCompare(b.id));
