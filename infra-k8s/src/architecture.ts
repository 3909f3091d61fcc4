import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { catalog } from '@hybrid/catalog';
import { toMiB } from '@hybrid/catalog';
import { connectionsOf } from './clusters/common';
import type { ClusterOutput } from './synth';

type Obj = Record<string, unknown> & {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown>;
};

/** The AWS section depends on infra-aws output, which is not committed. */
export const AWS_BEGIN = '<!-- aws:begin -->';
export const AWS_END = '<!-- aws:end -->';
/** The document without its AWS section (to compare when infra-aws has not been synthesized). */
export const withoutAws = (doc: string): string =>
  doc.replace(new RegExp(`${AWS_BEGIN}[\\s\\S]*?${AWS_END}`), `${AWS_BEGIN}${AWS_END}`);

const id = (s: string) => s.replace(/[^A-Za-z0-9]/g, '_');
const POD_KINDS = ['Deployment', 'StatefulSet', 'CronJob', 'DaemonSet'];

/** A cluster as a Mermaid flowchart: namespaces as subgraphs, workloads, their catalog dependencies. */
function clusterDiagram(c: ClusterOutput): string[] {
  const lines = ['```mermaid', 'flowchart LR'];
  const byNs = new Map<string, Obj[]>();
  for (const o of c.objects as Obj[]) {
    if (!POD_KINDS.includes(String(o.kind))) continue;
    const ns = o.metadata?.namespace ?? '(cluster)';
    byNs.set(ns, [...(byNs.get(ns) ?? []), o]);
  }
  const nodes = new Set<string>();
  for (const [ns, objs] of [...byNs.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  subgraph ${id(`${c.name}_${ns}`)}["${ns}"]`);
    for (const o of objs.sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)))) {
      const name = String(o.metadata?.name);
      const w = catalog.workloads.find((x) => x.name === name);
      const shape =
        o.kind === 'StatefulSet'
          ? `[("${name}")]`
          : o.kind === 'CronJob'
            ? `{{"${name}"}}`
            : `["${name}${w?.port ? `<br/>:${w.port}` : ''}"]`;
      lines.push(`    ${id(`${c.name}_${name}`)}${shape}`);
      nodes.add(name);
    }
    lines.push('  end');
  }
  const addons = c.build.addons.map((a) => a.addon.releaseName).sort();
  lines.push(`  subgraph ${id(`${c.name}_addons`)}["add-ons (ArgoCD Helm applications)"]`);
  for (const a of addons) lines.push(`    ${id(`${c.name}_addon_${a}`)}["${a}"]`);
  lines.push('  end');
  for (const w of catalog.workloads
    .filter((x) => nodes.has(x.name))
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const deps = connectionsOf(w, catalog).map((x) => [x.server, x.label] as const);
    for (const [target, label] of deps) {
      const to = nodes.has(target) ? id(`${c.name}_${target}`) : id(`ext_${target}`);
      if (!nodes.has(target)) lines.push(`  ${to}[/"${target} (${catalog.get(target).cluster})"/]`);
      lines.push(`  ${id(`${c.name}_${w.name}`)} -->|${label}| ${to}`);
    }
  }
  const ingress = (c.objects as Obj[]).filter((o) => o.kind === 'Ingress');
  if (ingress.length) {
    lines.push(`  ${id(`${c.name}_alb`)}(("ALB"))`);
    for (const ing of ingress) {
      const rules =
        (ing.spec?.rules as
          { http?: { paths?: { path: string; backend: { service: { name: string } } }[] } }[] | undefined) ??
        [];
      for (const p of rules.flatMap((r) => r.http?.paths ?? [])) {
        const target = nodes.has(p.backend.service.name)
          ? id(`${c.name}_${p.backend.service.name}`)
          : id(`${c.name}_addons`);
        lines.push(`  ${id(`${c.name}_alb`)} -->|${p.path}| ${target}`);
      }
    }
  }
  lines.push('```');
  return lines;
}

interface TfStack {
  readonly name: string;
  readonly resources: readonly { type: string; name: string }[];
}

/** The AWS stacks synthesized by infra-aws, when present. */
function readStacks(repoRoot: string | undefined): TfStack[] {
  if (!repoRoot) return [];
  const dir = join(repoRoot, 'infra-aws/cdktf.out/stacks');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .filter((s) => existsSync(join(dir, s, 'cdk.tf.json')))
    .map((s) => {
      const tf = JSON.parse(readFileSync(join(dir, s, 'cdk.tf.json'), 'utf8')) as {
        resource?: Record<string, Record<string, unknown>>;
      };
      const resources = Object.entries(tf.resource ?? {}).flatMap(([type, byName]) =>
        Object.keys(byName).map((name) => ({ type, name })),
      );
      return {
        name: s,
        resources: resources.sort((a, b) => `${a.type}.${a.name}`.localeCompare(`${b.type}.${b.name}`)),
      };
    });
}

const KEY_TYPES = [
  'aws_vpc',
  'aws_subnet',
  'aws_instance',
  'aws_launch_template',
  'aws_autoscaling_group',
  'aws_db_instance',
  'aws_s3_bucket',
  'aws_cloudfront_distribution',
  'aws_lb',
  'aws_security_group',
  'aws_iam_role',
  'aws_dynamodb_table',
];

function awsDiagram(stacks: readonly TfStack[]): string[] {
  const lines = ['```mermaid', 'flowchart LR'];
  if (!stacks.length) {
    // Without infra-aws output: what the catalog knows lives on AWS.
    lines.push('  subgraph aws["AWS (from the catalog; run pnpm synth with infra-aws for the stacks)"]');
    for (const w of catalog
      .byCluster('aws')
      .slice()
      .sort((a, b) => a.name.localeCompare(b.name))) {
      lines.push(
        `    ${id(`aws_${w.name}`)}["${w.name}: ${w.kind === 'static' ? 'S3 site + CDN' : `${w.engine} (RDS)`}"]`,
      );
    }
    lines.push('    aws_proxy["proxy: EC2 nginx + Tailscale"]');
    lines.push('  end');
  } else {
    for (const s of stacks) {
      lines.push(`  subgraph ${id(`stack_${s.name}`)}["stack ${s.name}"]`);
      const counts = new Map<string, string[]>();
      for (const r of s.resources)
        if (KEY_TYPES.includes(r.type)) counts.set(r.type, [...(counts.get(r.type) ?? []), r.name]);
      for (const [type, names] of [...counts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const shown =
          names.length > 3 ? `${names.slice(0, 3).join(', ')}, +${names.length - 3}` : names.join(', ');
        lines.push(`    ${id(`${s.name}_${type}`)}["${type} x${names.length}<br/>${shown}"]`);
      }
      lines.push(`    ${id(`${s.name}_total`)}["${s.resources.length} resources"]`);
      lines.push('  end');
    }
  }
  lines.push('```');
  return lines;
}

function tunnelDiagram(): string[] {
  const game = catalog.get('game-server');
  const rds = catalog.get('rds');
  return [
    '```mermaid',
    'flowchart LR',
    '  player(("player browser"))',
    '  cdn["CDN + S3 site (web)"]',
    '  proxy["EC2 nginx proxy<br/>public API host"]',
    '  subgraph tailnet["Tailscale WireGuard tunnel"]',
    '    ts_aws["tailscale on the proxy"]',
    '    ts_pi["tailscale-router (Pi)"]',
    '  end',
    `  lb["MetalLB address<br/>game-server :${game.port}"]`,
    `  rds[("RDS PostgreSQL :${rds.port}")]`,
    '  player --> cdn',
    '  player -->|Socket.IO| proxy',
    '  proxy --> ts_aws --> ts_pi --> lb',
    '  lb -->|scores| ts_pi',
    '  ts_pi -.->|accepted route to the VPC| rds',
    '```',
  ];
}

function capacityTable(c: ClusterOutput): string[] {
  const lines = ['| pool | used (MiB, limits) | allocatable (MiB) | use |', '|---|---:|---:|---:|'];
  for (const b of c.budgets) {
    lines.push(
      `| ${b.pool} | ${toMiB(b.usedBytes)} | ${toMiB(b.allocatableBytes)} | ${b.allocatableBytes ? Math.round((100 * b.usedBytes) / b.allocatableBytes) : 0}% |`,
    );
  }
  return lines;
}

/** docs/architecture.md, from the catalog and the synthesized clusters (deterministic). */
export function renderArchitecture(clusters: readonly ClusterOutput[], repoRoot?: string): string {
  const out = [
    '# Architecture',
    '',
    '<!-- Generated by `pnpm synth` (infra-k8s/src/architecture.ts) from the catalog and the synthesized constructs. Do not edit. -->',
    '',
    'DrawGuess runs on the Raspberry Pi cluster and AWS; Waste Coach runs on the kubeadm cluster on EC2.',
    '',
    '## The tunnel',
    '',
    ...tunnelDiagram(),
    '',
  ];
  for (const c of clusters) {
    out.push(
      `## Cluster \`${c.name}\``,
      '',
      `${c.objects.length} objects in ${c.build.folders.size} ArgoCD folders (\`infra-k8s/dist/${c.name}/\`).`,
      '',
    );
    out.push(...clusterDiagram(c), '', ...capacityTable(c), '');
  }
  out.push('## AWS stacks', '', AWS_BEGIN, ...awsDiagram(readStacks(repoRoot)), AWS_END, '');
  return out.join('\n');
}
