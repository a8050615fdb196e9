// Rows of grey images on one canvas (called from src/ui/image_rows.rs): the samples per class
// of a dataset and the reconstruction grid. As SVG, one <rect> per pixel made 60 000 elements
// for MNIST's samples, which the page's main thread took hundreds of milliseconds to lay out.
//
// Test hooks on the canvas: data-rows, data-images, data-tile (rows x cols of one image).

/**
 * `labels`: one per row; `counts`: images per row; `pixels`: every image, row after row
 * (width × height bytes each); `scale`: CSS pixels per image pixel, lowered so that a tile's
 * longer side is at most `maxTile` CSS pixels (MedMNIST+'s 224-pixel images would otherwise
 * take 448 px each; they are drawn smoothed, at the canvas' full resolution).
 */
export function drawImageRows(host, labels, counts, pixels, width, height, wantedScale, maxTile) {
  let canvas = host.querySelector('canvas');
  if (!canvas) {
    canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    host.replaceChildren(canvas);
  }
  const scale = Math.min(wantedScale, maxTile / Math.max(width, height, 1));
  const gap = 4;
  const font = '12px system-ui, sans-serif';
  const probe = canvas.getContext('2d');
  probe.font = font;
  const labelWidth = labels.some((l) => l) ? Math.ceil(Math.max(...labels.map((l) => probe.measureText(l).width))) + 8 : 0;
  const most = Math.max(0, ...counts);
  const cssW = labelWidth + most * (width * scale + gap);
  const cssH = labels.length * (height * scale + gap);
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(cssW * dpr));
  canvas.height = Math.max(1, Math.round(cssH * dpr));
  canvas.style.width = `${cssW}px`;
  canvas.style.maxWidth = '100%';
  const g = canvas.getContext('2d');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  // Enlarged pixels stay sharp; shrunk images are averaged, not sampled.
  g.imageSmoothingEnabled = scale < 1;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, cssW, cssH);
  g.font = font;
  g.fillStyle = '#333';
  g.textBaseline = 'middle';
  // Each image goes through a small canvas of its own size, then is scaled up.
  const tile = document.createElement('canvas');
  tile.width = width;
  tile.height = height;
  const tg = tile.getContext('2d');
  const image = new ImageData(width, height);
  let offset = 0;
  let images = 0;
  labels.forEach((label, r) => {
    const y = r * (height * scale + gap);
    if (label) g.fillText(label, 0, y + (height * scale) / 2);
    for (let i = 0; i < counts[r]; i++) {
      for (let p = 0; p < width * height; p++) {
        const v = pixels[offset + p];
        image.data[4 * p] = v;
        image.data[4 * p + 1] = v;
        image.data[4 * p + 2] = v;
        image.data[4 * p + 3] = 255;
      }
      offset += width * height;
      tg.putImageData(image, 0, 0);
      g.drawImage(tile, labelWidth + i * (width * scale + gap), y, width * scale, height * scale);
      images += 1;
    }
  });
  canvas.dataset.rows = String(labels.length);
  canvas.dataset.images = String(images);
  canvas.dataset.tile = `${height}x${width}`;
  canvas.dataset.tileCss = `${Math.round(height * scale)}x${Math.round(width * scale)}`;
  canvas.setAttribute('aria-label', `${images} images in ${labels.length} rows: ${labels.filter((l) => l).join(', ')}`);
}
