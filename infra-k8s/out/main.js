"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
/**
 * `pnpm synth` (infra-k8s): synthesizes both clusters into dist/, regenerates
 * docs/architecture.md, and prints a summary per cluster. Fails on schema errors and on any
 * node pool over its memory budget (with a table of who uses what).
 */
const node_path_1 = require("node:path");
const config_1 = require("./config");
const synth_1 = require("./synth");
const root = (0, node_path_1.resolve)(__dirname, '../..');
try {
    const result = (0, synth_1.synthAll)((0, config_1.configFromEnv)(), root);
    const { written, removed } = (0, synth_1.writeOutputs)(result, (0, node_path_1.resolve)(root, 'infra-k8s/dist'), (0, node_path_1.resolve)(root, 'docs/architecture.md'));
    for (const c of result.clusters)
        console.log((0, synth_1.summary)(c));
    console.log(`infra-k8s: ${written} files written, ${removed} removed, ${result.clusters.reduce((s, c) => s + c.files.size, 0)} manifests; docs/architecture.md up to date`);
}
catch (e) {
    console.error(e.message);
    process.exit(1);
}
//# sourceMappingURL=main.js.map