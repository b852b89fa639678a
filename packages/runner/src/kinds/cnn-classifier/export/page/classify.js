// The exported model in the browser: model-data.js (window.XP_MODEL) holds model.json, the
// weights as base64 and xp-model.json, loaded by script tags so the page works from file://,
// where fetch is refused. Images are prepared as `xp predict` prepares them: channels converted
// (RGB → grey by BT.601 luma), resized bilinearly with half-pixel centres (tf.image.resizeBilinear)
// and rounded to 8 bits, then pixel/255 normalized with the model's mean and std.
(async () => {
  const { modelJson, weightsBase64, meta } = window.XP_MODEL;
  const { height, width, channels } = meta.input;
  const prediction = document.getElementById('prediction');
  const topTable = document.getElementById('top');
  const inputCanvas = document.getElementById('input');
  inputCanvas.width = width;
  inputCanvas.height = height;
  document.getElementById('about').textContent =
    `Input ${width}×${height}×${channels}, ${meta.classes.length} classes; trained by xp ${meta.trainedBy.xpVersion}, run ${meta.trainedBy.runId} (${meta.trainedBy.variant}).`;

  // The cpu backend: these models are small, and it computes as TensorFlow.js does in Node.
  await tf.setBackend('cpu');
  const bytes = Uint8Array.from(atob(weightsBase64), (c) => c.charCodeAt(0));
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: modelJson.modelTopology, weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights), weightData: bytes.buffer }),
  );

  /** RGBA pixels of an image at its own size → the model's channels, 8-bit, channels last. */
  function toChannels(rgba, count) {
    const out = new Uint8Array(count * channels);
    let grey = true;
    for (let p = 0; p < count && grey; p++) grey = rgba[p * 4] === rgba[p * 4 + 1] && rgba[p * 4] === rgba[p * 4 + 2];
    for (let p = 0; p < count; p++) {
      const [r, g, b] = [rgba[p * 4], rgba[p * 4 + 1], rgba[p * 4 + 2]];
      if (channels === 3) out.set([r, g, b], p * 3);
      else out[p] = grey ? r : Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    }
    return out;
  }

  /** A canvas's pixels as the model's input: [1, height, width, channels] normalized, and the 8-bit pixels it came from. */
  function prepare(source) {
    const context = source.getContext('2d');
    const { data } = context.getImageData(0, 0, source.width, source.height);
    const pixels = toChannels(data, source.width * source.height);
    const fitted = tf.tidy(() => {
      const image = tf.tensor3d(Float32Array.from(pixels), [source.height, source.width, channels]);
      const resized = source.width === width && source.height === height ? image : tf.image.resizeBilinear(image, [height, width], false, true);
      return tf.clipByValue(tf.round(resized), 0, 255).dataSync();
    });
    const eight = Uint8Array.from(fitted);
    const { divideBy, mean, std } = meta.normalization;
    const x = new Float32Array(eight.length);
    for (let i = 0; i < x.length; i++) x[i] = (eight[i] / divideBy - mean[i % channels]) / std[i % channels];
    return { x, eight };
  }

  function show(eight) {
    const image = inputCanvas.getContext('2d').createImageData(width, height);
    for (let p = 0; p < width * height; p++) {
      const v = channels === 1 ? [eight[p], eight[p], eight[p]] : [eight[p * 3], eight[p * 3 + 1], eight[p * 3 + 2]];
      image.data.set([...v, 255], p * 4);
    }
    inputCanvas.getContext('2d').putImageData(image, 0, 0);
  }

  function classify(source) {
    const { x, eight } = prepare(source);
    const probabilities = tf.tidy(() => model.predict(tf.tensor4d(x, [1, height, width, channels])).dataSync());
    const ranked = Array.from(probabilities, (p, index) => ({ index, class: meta.classes[index], probability: p })).sort((a, b) => b.probability - a.probability);
    const best = ranked[0];
    prediction.textContent = best.class;
    Object.assign(prediction.dataset, { state: 'done', class: best.class, index: String(best.index), probability: String(best.probability) });
    topTable.innerHTML = '';
    for (const entry of ranked.slice(0, 3)) {
      const row = topTable.insertRow();
      row.insertCell().textContent = entry.class;
      row.insertCell().textContent = `${(entry.probability * 100).toFixed(2)}%`;
    }
    show(eight);
    // For tests and for anyone curious: what the model was given and what it said.
    window.xpLast = { pixels: Array.from(eight), probabilities: Array.from(probabilities), class: best.class };
  }

  // Drawing: white strokes on black, as MNIST's digits are.
  const pad = document.getElementById('pad');
  const ink = pad.getContext('2d');
  const clear = () => {
    ink.fillStyle = '#000';
    ink.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let last = null;
  const at = (event) => {
    const box = pad.getBoundingClientRect();
    return [((event.clientX - box.left) * pad.width) / box.width, ((event.clientY - box.top) * pad.height) / box.height];
  };
  pad.addEventListener('pointerdown', (event) => {
    last = at(event);
    pad.setPointerCapture(event.pointerId);
  });
  pad.addEventListener('pointermove', (event) => {
    if (!last) return;
    const next = at(event);
    Object.assign(ink, { strokeStyle: '#fff', lineWidth: pad.width / 12, lineCap: 'round', lineJoin: 'round' });
    ink.beginPath();
    ink.moveTo(...last);
    ink.lineTo(...next);
    ink.stroke();
    last = next;
  });
  const end = () => {
    if (!last) return;
    last = null;
    classify(pad);
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointerleave', end);
  document.getElementById('clear').addEventListener('click', () => {
    clear();
    prediction.textContent = '…';
    prediction.dataset.state = 'ready';
  });

  // An image file, dropped or chosen.
  async function classifyFile(file) {
    const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d').drawImage(bitmap, 0, 0);
    classify(canvas);
  }
  const drop = document.getElementById('drop');
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    if (event.dataTransfer.files[0]) classifyFile(event.dataTransfer.files[0]);
  });
  document.getElementById('file').addEventListener('change', (event) => {
    if (event.target.files[0]) classifyFile(event.target.files[0]);
  });

  prediction.textContent = '…';
  prediction.dataset.state = 'ready';
})().catch((error) => {
  const prediction = document.getElementById('prediction');
  prediction.textContent = `error: ${error.message}`;
  prediction.dataset.state = 'error';
});
