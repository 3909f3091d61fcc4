import { nodeRoleKey, type NodePool } from '@hybrid/catalog';
import { renderCloudConfig } from './cloud-init';

export interface KubeadmBootOptions {
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  readonly region: string;
  /** SSM path under which the control plane publishes the join token and CA hash. */
  readonly ssmPrefix: string;
  readonly controlPlaneAddress: string;
  readonly podCidr: string;
  readonly serviceCidr: string;
  /** Calico release installed by the control plane (tigera operator). */
  readonly calicoVersion: string;
}

/** kubelet registration flags of a pool: its role label and, when tainted, its NoSchedule taint. */
export function kubeletRegistration(pool: NodePool): { labels: string; taints: string } {
  const key = nodeRoleKey(pool.role);
  return {
    labels: `${key}=true,hybrid.dev/pool=${pool.name}`,
    taints: pool.tainted ? `${key}=true:NoSchedule` : '',
  };
}

/** YAML lines of a kubeadm `nodeRegistration` (indented for the heredocs below). */
function nodeRegistration(pool: NodePool, controlPlane: boolean): string {
  const taints = [
    ...(pool.tainted
      ? [`    - key: ${nodeRoleKey(pool.role)}\n      value: "true"\n      effect: NoSchedule`]
      : []),
    ...(controlPlane ? ['    - key: node-role.kubernetes.io/control-plane\n      effect: NoSchedule'] : []),
  ];
  // The provider id lets the AWS Load Balancer Controller register instances as ALB targets.
  return `nodeRegistration:
  kubeletExtraArgs:
    - name: node-labels
      value: "${kubeletRegistration(pool).labels}"
    - name: provider-id
      value: "aws:///$az/$instance_id"
  taints:${taints.length ? `\n${taints.join('\n')}` : ' []'}`;
}

/** Reads the instance id and zone through IMDSv2 (session token, hop limit respected). */
const imds = `imds() { curl -fsS -H "X-aws-ec2-metadata-token: $(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token)" "http://169.254.169.254/latest/meta-data/$1"; }
instance_id="$(imds instance-id)"
az="$(imds placement/availability-zone)"`;

const commonScript = (o: KubeadmBootOptions): string => `#!/bin/sh
# containerd, kubelet and kubeadm from the Kubernetes package repository (pkgs.k8s.io).
set -eu
minor="${o.kubernetesVersion.split('.').slice(0, 2).join('.')}"
modprobe overlay
modprobe br_netfilter
printf 'overlay\\nbr_netfilter\\n' > /etc/modules-load.d/k8s.conf
printf 'net.bridge.bridge-nf-call-iptables = 1\\nnet.bridge.bridge-nf-call-ip6tables = 1\\nnet.ipv4.ip_forward = 1\\n' > /etc/sysctl.d/k8s.conf
sysctl --system
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q containerd apt-transport-https ca-certificates curl gpg
mkdir -p /etc/containerd /etc/apt/keyrings /etc/kubeadm
containerd config default | sed 's/SystemdCgroup = false/SystemdCgroup = true/' > /etc/containerd/config.toml
systemctl restart containerd
curl -fsSL "https://pkgs.k8s.io/core:/stable:/v$minor/deb/Release.key" | gpg --dearmor -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg
echo "deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v$minor/deb/ /" > /etc/apt/sources.list.d/kubernetes.list
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q kubelet kubeadm kubectl
apt-mark hold kubelet kubeadm kubectl
snap install aws-cli --classic
`;

/** cloud-init for the control-plane node: kubeadm init, Calico, then the join material goes to SSM. */
export function renderControlPlaneUserData(o: KubeadmBootOptions, pool: NodePool): string {
  const init = `#!/bin/sh
# kubeadm init with this node's provider id, then Calico (VXLAN) through the tigera operator.
set -eu
${imds}
umask 077
cat > /etc/kubeadm/init.yaml <<INIT
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
${nodeRegistration(pool, true)}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
clusterName: ${o.clusterName}
kubernetesVersion: v${o.kubernetesVersion}
controlPlaneEndpoint: ${o.controlPlaneAddress}:6443
networking:
  podSubnet: ${o.podCidr}
  serviceSubnet: ${o.serviceCidr}
INIT
kubeadm init --config /etc/kubeadm/init.yaml
export KUBECONFIG=/etc/kubernetes/admin.conf
kubectl create -f https://raw.githubusercontent.com/projectcalico/calico/${o.calicoVersion}/manifests/tigera-operator.yaml
until kubectl get crd installations.operator.tigera.io > /dev/null 2>&1; do sleep 5; done
kubectl create -f /etc/kubeadm/calico.yaml
`;
  const calico = `apiVersion: operator.tigera.io/v1
kind: Installation
metadata:
  name: default
spec:
  calicoNetwork:
    bgp: Disabled
    ipPools:
      - cidr: ${o.podCidr}
        encapsulation: VXLAN
        natOutgoing: Enabled
        nodeSelector: all()
  controlPlaneTolerations:
    - key: node-role.kubernetes.io/control-plane
      effect: NoSchedule
---
apiVersion: operator.tigera.io/v1
kind: APIServer
metadata:
  name: default
spec: {}
`;
  const publish = `#!/bin/sh
# Publishes a fresh bootstrap token and the CA hash to SSM (SecureString); run at boot and by a timer.
set -eu
export KUBECONFIG=/etc/kubernetes/admin.conf
token="$(kubeadm token create --ttl 24h)"
hash="sha256:$(openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt | openssl rsa -pubin -outform der 2>/dev/null | sha256sum | cut -d' ' -f1)"
aws ssm put-parameter --region ${o.region} --name ${o.ssmPrefix}/join-token --type SecureString --overwrite --value "$token" > /dev/null
aws ssm put-parameter --region ${o.region} --name ${o.ssmPrefix}/ca-cert-hash --type String --overwrite --value "$hash" > /dev/null
`;
  return renderCloudConfig({
    package_update: true,
    write_files: [
      { path: '/usr/local/sbin/k8s-install', content: commonScript(o), permissions: '0755' },
      { path: '/usr/local/sbin/k8s-init', content: init, permissions: '0700' },
      { path: '/etc/kubeadm/calico.yaml', content: calico, permissions: '0644' },
      { path: '/usr/local/sbin/k8s-publish-join', content: publish, permissions: '0700' },
      {
        path: '/etc/systemd/system/k8s-publish-join.service',
        content:
          '[Unit]\nDescription=Publish the kubeadm join token to SSM\n\n[Service]\nType=oneshot\nExecStart=/usr/local/sbin/k8s-publish-join\n',
      },
      {
        path: '/etc/systemd/system/k8s-publish-join.timer',
        content:
          '[Unit]\nDescription=Refresh the kubeadm join token in SSM\n\n[Timer]\nOnBootSec=10min\nOnUnitActiveSec=12h\n\n[Install]\nWantedBy=timers.target\n',
      },
    ],
    runcmd: [
      ['/usr/local/sbin/k8s-install'],
      ['/usr/local/sbin/k8s-init'],
      ['/usr/local/sbin/k8s-publish-join'],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', 'k8s-publish-join.timer'],
    ],
  });
}

/** cloud-init for a worker pool node: waits for the join material in SSM, then kubeadm join. */
export function renderNodeUserData(o: KubeadmBootOptions, pool: NodePool): string {
  const join = `#!/bin/sh
# Joins the cluster with the token and CA hash the control plane published to SSM.
set -eu
${imds}
get() { aws ssm get-parameter --region ${o.region} --name "${o.ssmPrefix}/$1" --with-decryption --query Parameter.Value --output text; }
until token="$(get join-token)" && hash="$(get ca-cert-hash)"; do sleep 15; done
umask 077
cat > /etc/kubeadm/join.yaml <<JOIN
apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: ${o.controlPlaneAddress}:6443
    token: "$token"
    caCertHashes: ["$hash"]
${nodeRegistration(pool, false)}
JOIN
kubeadm join --config /etc/kubeadm/join.yaml
rm -f /etc/kubeadm/join.yaml
`;
  return renderCloudConfig({
    package_update: true,
    write_files: [
      { path: '/usr/local/sbin/k8s-install', content: commonScript(o), permissions: '0755' },
      { path: '/usr/local/sbin/k8s-join', content: join, permissions: '0700' },
    ],
    runcmd: [['/usr/local/sbin/k8s-install'], ['/usr/local/sbin/k8s-join']],
  });
}
