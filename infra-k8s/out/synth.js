"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.SchemaValidationError = void 0;
exports.synthCluster = synthCluster;
exports.synthAll = synthAll;
exports.summary = summary;
exports.writeOutputs = writeOutputs;
exports.diffOutputs = diffOutputs;
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const constructs_k8s_1 = require("@hybrid/constructs-k8s");
const yaml_1 = require("yaml");
const architecture_1 = require("./architecture");
const kubeadm_1 = require("./clusters/kubeadm");
const pi_1 = require("./clusters/pi");
const config_1 = require("./config");
const validate_1 = require("./validate");
class SchemaValidationError extends Error {
    errors;
    constructor(errors) {
        super(`schema validation failed (${errors.length}):\n${errors.map((e) => `  - ${e.object}: ${e.message}`).join('\n')}`);
        this.errors = errors;
        this.name = 'SchemaValidationError';
    }
}
exports.SchemaValidationError = SchemaValidationError;
/** Synthesizes one cluster: every object as a file, schema-checked and capacity-checked. */
function synthCluster(build) {
    const files = new Map();
    const objects = [];
    for (const [folder, chart] of build.folders) {
        for (const o of chart.toJson()) {
            const file = `${folder}/${String(o.kind).toLowerCase()}-${o.metadata?.name ?? 'unnamed'}.yaml`;
            if (files.has(file))
                throw new Error(`synth ${build.name}: two objects would be written to ${file}: give them distinct names`);
            files.set(file, (0, yaml_1.stringify)(o, { lineWidth: 0, aliasDuplicateObjects: false }));
            objects.push(o);
        }
    }
    const errors = (0, validate_1.validateObjects)(objects);
    if (errors.length)
        throw new SchemaValidationError(errors.map((e) => ({ ...e, object: `${build.name}: ${e.object}` })));
    const usage = [
        ...(0, constructs_k8s_1.manifestUsage)(objects, build.roleKeyPrefix, build.poolOfRole),
        ...build.addons.flatMap(({ addon, pool }) => addon.components.map((c) => ({ who: `${addon.namespace}/${addon.releaseName}:${c.path}`, pool, replicas: c.replicas, limitBytes: c.limitBytes }))),
    ];
    const budgets = (0, constructs_k8s_1.checkCapacity)(build.name, build.pools, usage);
    return { name: build.name, files, objects, budgets, build };
}
/** Both clusters and the architecture document, in memory. */
function synthAll(cfg = (0, config_1.configFromEnv)(), repoRoot) {
    const clusters = [synthCluster((0, pi_1.buildPi)(cfg)), synthCluster((0, kubeadm_1.buildKubeadm)(cfg))];
    return { clusters, architecture: (0, architecture_1.renderArchitecture)(clusters, repoRoot) };
}
/** Objects per kind and the memory budget as a bar, per pool. */
function summary(out) {
    const kinds = new Map();
    for (const o of out.objects)
        kinds.set(String(o.kind), (kinds.get(String(o.kind)) ?? 0) + 1);
    const lines = [`${out.name}: ${out.objects.length} objects in ${out.build.folders.size} folders`];
    lines.push(`  ${[...kinds.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const b of out.budgets)
        if (b.users.length)
            lines.push(`  memory ${b.pool.padEnd(14)} ${(0, constructs_k8s_1.budgetBar)(b.usedBytes, b.allocatableBytes)}`);
    return lines.join('\n');
}
function yamlFiles(dir) {
    if (!(0, node_fs_1.existsSync)(dir))
        return [];
    return (0, node_fs_1.readdirSync)(dir).flatMap((f) => {
        const p = (0, node_path_1.join)(dir, f);
        return (0, node_fs_1.statSync)(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(f) ? [p] : [];
    });
}
/** Writes dist/<cluster>/** (removing files no longer produced) and docs/architecture.md. */
function writeOutputs(result, distDir, docsFile) {
    let written = 0;
    let removed = 0;
    for (const c of result.clusters) {
        const dir = (0, node_path_1.join)(distDir, c.name);
        const wanted = new Set([...c.files.keys()].map((f) => (0, node_path_1.join)(dir, f)));
        for (const stale of yamlFiles(dir)) {
            if (!wanted.has(stale)) {
                (0, node_fs_1.rmSync)(stale);
                removed++;
            }
        }
        for (const [file, text] of c.files) {
            const path = (0, node_path_1.join)(dir, file);
            (0, node_fs_1.mkdirSync)((0, node_path_1.dirname)(path), { recursive: true });
            if (!(0, node_fs_1.existsSync)(path) || (0, node_fs_1.readFileSync)(path, 'utf8') !== text) {
                (0, node_fs_1.writeFileSync)(path, text);
                written++;
            }
        }
        for (const d of (0, node_fs_1.existsSync)(dir) ? (0, node_fs_1.readdirSync)(dir) : []) {
            const p = (0, node_path_1.join)(dir, d);
            if ((0, node_fs_1.statSync)(p).isDirectory() && !(0, node_fs_1.readdirSync)(p).length)
                (0, node_fs_1.rmSync)(p, { recursive: true });
        }
    }
    (0, node_fs_1.mkdirSync)((0, node_path_1.dirname)(docsFile), { recursive: true });
    if (!(0, node_fs_1.existsSync)(docsFile) || (0, node_fs_1.readFileSync)(docsFile, 'utf8') !== result.architecture) {
        (0, node_fs_1.writeFileSync)(docsFile, result.architecture);
        written++;
    }
    return { written, removed };
}
/** Differences between a synth result and what is on disk (for the drift test). */
function diffOutputs(result, distDir, docsFile) {
    const diffs = [];
    for (const c of result.clusters) {
        const dir = (0, node_path_1.join)(distDir, c.name);
        const onDisk = new Set(yamlFiles(dir).map((p) => (0, node_path_1.relative)(dir, p)));
        for (const [file, text] of c.files) {
            const path = (0, node_path_1.join)(dir, file);
            if (!onDisk.has(file))
                diffs.push(`missing: ${c.name}/${file}`);
            else if ((0, node_fs_1.readFileSync)(path, 'utf8') !== text)
                diffs.push(`differs: ${c.name}/${file}`);
            onDisk.delete(file);
        }
        for (const extra of onDisk)
            diffs.push(`not produced by synth: ${c.name}/${extra}`);
    }
    if (!(0, node_fs_1.existsSync)(docsFile))
        diffs.push('missing: docs/architecture.md');
    else if ((0, node_fs_1.readFileSync)(docsFile, 'utf8') !== result.architecture)
        diffs.push('differs: docs/architecture.md');
    return diffs;
}
//# sourceMappingURL=synth.js.map