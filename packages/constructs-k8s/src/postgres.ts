import type { Catalog, Workload } from '@hybrid/catalog';
import { Construct } from 'constructs';
import { checkDataProps, DataStatefulSet, type DataServiceProps } from './data-service';
import { k8s } from './k8s';
import { labelsOf } from './labels';

/** One database and its owning role, plus the roles that only use it. */
export interface DatabaseGrant {
  readonly database: string;
  readonly owner: string;
  readonly users: readonly string[];
}

/** Role names are the workloads' names in snake case. */
export const roleName = (workload: string): string => workload.replace(/-/g, '_');

/** The databases of one PostgreSQL server, from the catalog's dependencies. */
export function databasesOf(catalog: Pick<Catalog, 'workloads'>, server: string): DatabaseGrant[] {
  const byDb = new Map<string, { owner?: string; users: string[] }>();
  for (const w of catalog.workloads) {
    const p = w.dependencies.postgres;
    if (!p || p.server !== server) continue;
    const entry = byDb.get(p.database) ?? { users: [] };
    if (p.owner === false) entry.users.push(roleName(w.name));
    else entry.owner = roleName(w.name);
    byDb.set(p.database, entry);
  }
  return [...byDb.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([database, e]) => ({ database, owner: e.owner ?? roleName(database), users: e.users.sort() }));
}

/** Env var holding a role's password in the init container (from Secret `<server>-roles`). */
export const passwordVar = (role: string): string => `PASSWORD_${role.toUpperCase()}`;

/**
 * The init script run by the image on first start (docker-entrypoint-initdb.d): one role and one
 * database per owner (from template0, which no session can hold open), LOGIN roles for the users
 * with membership in the owner role. Idempotent; the passwords come from env, never from the manifest.
 */
export function initScript(grants: readonly DatabaseGrant[]): string {
  const roles = [...new Set(grants.flatMap((g) => [g.owner, ...g.users]))].sort();
  const lines = [
    '#!/bin/sh',
    '# Generated from the catalog: one database and role per service.',
    'set -eu',
    'run() { psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres "$@"; }',
    'role() {',
    `  run -v role="$1" -v pw="$2" <<'SQL'`,
    "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'pw') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')\\gexec",
    'SQL',
    '}',
    'database() {',
    `  run -v db="$1" -v owner="$2" <<'SQL'`,
    "SELECT format('CREATE DATABASE %I OWNER %I TEMPLATE template0', :'db', :'owner') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db')\\gexec",
    "SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db')\\gexec",
    'SQL',
    '}',
    'grant() {',
    `  run -v owner="$1" -v member="$2" <<'SQL'`,
    "SELECT format('GRANT %I TO %I', :'owner', :'member')\\gexec",
    'SQL',
    '}',
    ...roles.map((r) => `role ${r} "$${passwordVar(r)}"`),
    ...grants.map((g) => `database ${g.database} ${g.owner}`),
    ...grants.flatMap((g) => g.users.map((u) => `grant ${g.owner} ${u}`)),
    '',
  ];
  return lines.join('\n');
}

export interface PostgresProps extends DataServiceProps {
  /** The databases to create (see `databasesOf`). */
  readonly databases: readonly DatabaseGrant[];
}

/** PostgreSQL as a StatefulSet; creates one database and role per service on first start. */
export class Postgres extends Construct {
  readonly name: string;
  readonly databases: readonly DatabaseGrant[];
  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const { problems, image } = checkDataProps('Postgres', 'postgres', props);
    const w: Workload = props.workload;
    if (!props.databases.length)
      problems.add(`Postgres "${w.name}": no databases: no catalog workload depends on it`);
    for (const g of props.databases) {
      for (const n of [g.database, g.owner, ...g.users]) {
        if (!/^[a-z][a-z0-9_]{0,62}$/.test(n))
          problems.add(`Postgres "${w.name}": "${n}" is not a lowercase SQL identifier`);
      }
    }
    problems.throwIfAny('Postgres');
    this.name = w.name;
    this.databases = props.databases;
    const roles = [...new Set(props.databases.flatMap((g) => [g.owner, ...g.users]))].sort();
    const secret = `${w.name}-roles`;
    new k8s.KubeConfigMap(this, 'Init', {
      metadata: { name: `${w.name}-init`, namespace: props.namespace, labels: labelsOf(w) },
      data: { '10-databases.sh': initScript(props.databases) },
    });
    new DataStatefulSet(this, 'Resource', props, image, {
      engine: 'postgres',
      uid: 70,
      dataPath: '/var/lib/postgresql/data',
      writablePaths: ['/var/run/postgresql', '/tmp'],
      env: [
        { name: 'POSTGRES_USER', value: 'postgres' },
        { name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { name: secret, key: 'postgres' } } },
        { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
        ...roles.map((r) => ({
          name: passwordVar(r),
          valueFrom: { secretKeyRef: { name: secret, key: r } },
        })),
      ],
      configMounts: [{ name: 'init', mountPath: '/docker-entrypoint-initdb.d', readOnly: true }],
      configVolumes: [{ name: 'init', configMap: { name: `${w.name}-init`, defaultMode: 0o555 } }],
      probe: { exec: { command: ['pg_isready', '-U', 'postgres', '-h', '127.0.0.1'] }, timeoutSeconds: 3 },
    });
  }
}
