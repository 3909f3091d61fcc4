import { Testing, type Chart } from 'cdk8s';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- synthesized manifests are untyped JSON
export type Obj = Record<string, any> & {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
};

/** Builds constructs in a fresh chart and returns the synthesized objects. */
export function synth(build: (chart: Chart) => void): Obj[] {
  const chart = Testing.chart();
  build(chart);
  return Testing.synth(chart) as Obj[];
}

export const find = (objs: Obj[], kind: string, name?: string): Obj => {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o)
    throw new Error(
      `no ${kind}${name ? ` ${name}` : ''} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`,
    );
  return o;
};
export const kinds = (objs: Obj[]): string[] => objs.map((o) => o.kind).sort();
