/**
 * node hack/finish-bundle.ts OUT: finishes what ncc wrote to OUT (hack/bundle.sh, docs/bundle.md).
 *
 * - Minifies the chunk files beside OUT/index.js, one per group of modules behind a dynamic
 *   import(): `ncc build --minify` minifies only the entry file. Same terser pass as ncc's (no
 *   compression, names kept).
 * - Writes OUT/licenses.txt from the per-chunk license files ncc's license plugin wrote
 *   (`--license '[id].licenses.txt'`): given one file name it lets each chunk overwrite the last.
 *   Every chunk's file lists the packages of all the chunks (the plugin pools unnamed chunks),
 *   which holds only while the entry file itself holds no package, so they must all be the same.
 * - Writes OUT/post.js, the post step's entry (action.yml runs.post): it imports OUT/index.js, which
 *   knows from the file the runner started that it is the post step (src/index.ts).
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minify } from 'terser';

const out = process.argv[2] ?? 'dist';
const files = readdirSync(out).sort();

for (const chunk of files.filter((name) => /^\d+\.index\.js$/.test(name))) {
  const path = join(out, chunk);
  const { code } = await minify(readFileSync(path, 'utf8'), {
    module: true,
    compress: false,
    mangle: { keep_classnames: true, keep_fnames: true },
  });
  if (code === undefined) throw new Error(`terser returned no code for ${path}`);
  writeFileSync(path, code);
}

const licenseFiles = files.filter((name) => name.endsWith('.licenses.txt'));
const licenses = new Set(licenseFiles.map((name) => readFileSync(join(out, name), 'utf8')));
if (licenses.size !== 1) {
  throw new Error(
    `expected one list of licenses from ncc, got ${licenses.size} different ones in ${licenseFiles.join(', ') || 'no file'}: ` +
      'does src/index.ts import a package? Its imports go into the entry file, whose licenses the plugin keeps apart.',
  );
}
writeFileSync(join(out, 'licenses.txt'), [...licenses][0]!);
writeFileSync(
  join(out, 'post.js'),
  "// The post step's entry (action.yml runs.post): the bundle, started as the post step (src/index.ts).\nimport './index.js';\n",
);
for (const name of licenseFiles) rmSync(join(out, name));
