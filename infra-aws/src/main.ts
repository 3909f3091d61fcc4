import { App } from 'cdktn';
import { buildApp } from './app';

// `cdktn synth` passes its output directory in CDKTF_OUTDIR; `pnpm synth` writes cdktf.out here.
// No construct stack traces in metadata: under tsx each one is source-mapped, which costs most of a synth.
const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out', stackTraces: false });
// Tokens record a creation stack unless told not to; under tsx each trace is source-mapped (slow).
process.env.CDKTN_DISABLE_CREATION_STACK ??= '1';
buildApp(app);
app.synth();
