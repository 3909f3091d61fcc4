// Writes data/seoul-sample.geojson: 500 synthetic collection points over Seoul's districts.
// Deterministic (fixed seed): running it again produces the same file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSeoulPoints, toGeoJson } from '../src/sample';

const out = join(__dirname, '..', 'data', 'seoul-sample.geojson');
writeFileSync(out, toGeoJson(generateSeoulPoints(500)));
process.stdout.write(`wrote ${out}\n`);
