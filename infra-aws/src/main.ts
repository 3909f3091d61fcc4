import { App } from 'cdktn';
import { buildApp } from './app';

// `cdktn synth` passes its output directory in CDKTF_OUTDIR; `pnpm synth` writes cdktf.out here.
const app = new App({ outdir: process.env.CDKTF_OUTDIR ?? 'cdktf.out' });
buildApp(app);
app.synth();
